"""What HSDS export and import share: the UUID namespace, the taxonomy, the fixed values."""

from __future__ import annotations

import re
import uuid

NAMESPACE = uuid.UUID("6b3b0cba-3a65-4f9d-9f26-6e73a9c2bc55")  # never change: it makes every exported UUID
TAXONOMY = "Puente directory categories"
# An attribute whose value is the entry's id (file name and URL): an import into an empty directory keeps the URLs.
ENTRY_TERM = {
    "id": str(uuid.uuid5(NAMESPACE, "term/puente-entry")),
    "code": "puente-entry",
    "name": "Puente directory entry",
    "description": "The entry's id in Puente: its file name, and the last part of its address /{lang}/services/{id}/",
    "taxonomy": TAXONOMY,
}
RELEASE_FILE = "api/hsds/organizations.json"  # in a release; app.py serves it at /api/hsds/organizations.json
COUNTRY = "US"  # the content model's phones and postal codes are US ones
STATUSES = {"active", "inactive", "defunct", "temporarily closed"}
SKIPPED_STATUSES = STATUSES - {"active"}
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def uid(kind: str, *parts: str) -> str:
    """Given what an identifier names, return its stable UUID."""
    return str(uuid.uuid5(NAMESPACE, "/".join((kind, *parts))))
