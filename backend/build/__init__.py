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
    trace.py       what each output reads, recorded while it renders
    cache.py       the render cache: each output's key from what it read, its files by hash
    produce.py     each output made or reused; the languages across worker processes
    compress.py    .br and .gz at a level per kind of file, reused by hash
    progress.py    languages done and time left, on stderr and in <data>/progress.json
    write.py       a release's files written, each language's folder shared between releases
    pipeline.py    render; build and ensure_release
"""

from .inputs import Inputs, files_hash, load_inputs, source_hash
from .pipeline import build, ensure_release, render, render_cache
from .produce import default_jobs
from .progress import RECORD as PROGRESS_RECORD
from .progress import Progress
from .write import Site, write_release

__all__ = [
    "PROGRESS_RECORD", "Inputs", "Progress", "Site", "build", "default_jobs", "ensure_release", "files_hash", "load_inputs", "render",
    "render_cache", "source_hash", "write_release",
]
