"""Open Referral HSDS 3.0: the directory as other systems (211, referral platforms) exchange it.

    export.py     export(content), dumps(content): the directory as HSDS JSON
    importer.py   read(data, content, ...), write(entries, into, ...), load_json(path): HSDS in
"""

from ._common import ENTRY_TERM, NAMESPACE, RELEASE_FILE, TAXONOMY, uid
from .export import dumps, export, markdown_of
from .importer import Entry, load_json, read, write

__all__ = ["ENTRY_TERM", "NAMESPACE", "RELEASE_FILE", "TAXONOMY", "Entry", "dumps", "export", "load_json", "markdown_of", "read", "uid", "write"]
