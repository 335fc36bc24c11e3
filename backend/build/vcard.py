"""vCard 4.0 (RFC 6350) for one service, so a family can save it to the phone's contacts.

Written by hand because it is small: CRLF line endings, text values escaped (3.4),
lines folded at 75 octets without splitting a UTF-8 character (3.2). No timestamp,
so the same content always gives the same bytes (and the same revision offline).

Phone numbers are tel: URIs, as RFC 6350 6.4.1 recommends (`TEL;TYPE=work,voice;VALUE=uri:tel:+18606923085`),
so an extension (`tel:+18605415030;ext=12`) and a short code (`tel:211`) keep their meaning.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..content import Address

_LINE_OCTETS = 75


@dataclass(frozen=True)
class Card:
    name: str  # FN: the name as the family reads it
    organization: str  # ORG
    phones: tuple[str, ...]  # tel: URIs
    email: str
    url: str
    address: Address | None
    note: str = ""
    language: str = ""  # BCP 47 tag of the name and note, as a LANGUAGE parameter


def escape(value: str) -> str:
    """Given a text value, return it escaped for a vCard property value (RFC 6350 3.4)."""
    return value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")


def uri(value: str) -> str:
    """Given a URL, return it with commas and semicolons percent-encoded: importers split values on them."""
    return value.replace(",", "%2C").replace(";", "%3B")


def fold(line: str) -> str:
    """Given one logical content line, return it folded into physical lines of at most 75 octets, CRLF-terminated."""
    out: list[str] = []
    current: list[str] = []
    size, limit = 0, _LINE_OCTETS
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > limit:
            out.append("".join(current))
            current, size, limit = [" "], 1, _LINE_OCTETS
        current.append(ch)
        size += n
    out.append("".join(current))
    return "\r\n".join(out) + "\r\n"


def render(card: Card) -> str:
    """Given a Card, return the vCard 4.0 text."""
    lang = f";LANGUAGE={card.language}" if card.language else ""
    lines = ["BEGIN:VCARD", "VERSION:4.0", "KIND:org", f"FN{lang}:{escape(card.name)}", f"ORG:{escape(card.organization or card.name)}"]
    for i, number in enumerate(card.phones, start=1):
        pref = ";PREF=1" if i == 1 and len(card.phones) > 1 else ""
        lines.append(f"TEL;TYPE=work,voice{pref};VALUE=uri:{number}")
    if card.email:
        lines.append(f"EMAIL;TYPE=work:{escape(card.email)}")
    if card.url:
        lines.append(f"URL;TYPE=work:{uri(card.url)}")
    a = card.address
    if a is not None:
        parts = ["", "", a.street, a.city, a.state, a.postal_code, ""]  # PO box; extended; street; locality; region; code; country
        lines.append("ADR;TYPE=work:" + ";".join(escape(p) for p in parts))
    if card.note:
        lines.append(f"NOTE{lang}:{escape(card.note)}")
    lines.append("END:VCARD")
    return "".join(fold(line) for line in lines)
