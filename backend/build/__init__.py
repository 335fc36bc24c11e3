"""The build layer: inputs read once into a model, rendered into a release (a complete static site).

    inputs.py      Inputs: content and catalogs loaded once, and the source's hash
    renderer.py    Renderer, and one LanguageRenderer per language with its own environment
    pages.py       every page of a language, its contact cards and search index
    share.py       the liaison's pages: share, flyer, wallet card, /share/
    links.py       absolute share links and their QR codes
    search.py      a language's offline search index
    vcard.py       a service as a vCard 4.0 contact card
    worker.py      the service worker's config, written and read as JSON
    metadata.py    release.json, written and read
    pipeline.py    render, write, compress; build and ensure_release
"""

from .inputs import Inputs, files_hash, load_inputs, source_hash
from .pipeline import Site, build, ensure_release, render, write_release

__all__ = ["Inputs", "Site", "build", "ensure_release", "files_hash", "load_inputs", "render", "source_hash", "write_release"]
