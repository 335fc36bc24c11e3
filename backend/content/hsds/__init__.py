"""Open Referral HSDS 3.0: the directory as other systems (211, referral platforms) exchange it.

    export.py     export(content), dumps(content): the directory as HSDS JSON
    api.py        files(content), api_file(endpoint, page): HSDS's read API as a release's static JSON
    importer.py   read(data, content, ...), write(entries, into, ...), load_json(path): HSDS in
"""

from ._common import ENTRY_TERM, NAMESPACE, RELEASE_FILE, TAXONOMY, uid
from .api import api_file
from .api import files as api_files
from .export import dumps, export, markdown_of
from .importer import Entry, load_json, read, write

__all__ = ["ENTRY_TERM", "NAMESPACE", "RELEASE_FILE", "TAXONOMY", "Entry", "api_file", "api_files", "dumps", "export", "load_json", "markdown_of", "read", "uid", "write"]
