"""The loader's problems in the words of the console's forms: "'starts' must be a date written as
YYYY-MM-DD, without quotes" becomes "Start date: write it like 2026-12-01", beside the field it concerns.

The loader speaks to people editing files (it names keys and files); a form speaks of its labels.
"""

from __future__ import annotations

import re
from collections.abc import Callable

LABELS = {
    "title": "Title", "nav": "Menu label", "summary": "Summary", "as_of": "Accurate as of", "review_by": "Review by",
    "sources": "Sources", "order": "Order", "body": "Text", "slug": "Address", "parent": "Section",
    "text": "Text", "starts": "Start date", "expires": "End date", "id": "Text",
    "name": "Name", "category": "Category", "description": "Description", "phones": "Phones", "email": "Email", "website": "Website",
    "street": "Street", "city": "City", "state": "State", "postal_code": "Postal code", "hours": "Hours", "fees": "Cost",
    "eligibility": "Who it serves", "languages": "Languages spoken", "verified_on": "Details last confirmed on",
}
EXAMPLE_DATE = "2026-12-01"

Rule = tuple[str, Callable[[re.Match[str]], str]]
RULES: list[Rule] = [
    (r"^'(\w+)' must be a date written as YYYY-MM-DD, without quotes$", lambda m: f"write it like {EXAMPLE_DATE}"),
    (r"^missing required field '(\w+)' \(a date", lambda m: f"fill this in, written like {EXAMPLE_DATE}"),
    (r"^missing required field '(\w+)'$", lambda m: "fill this in"),
    (r"^'(\w+)' must be non-empty text$", lambda m: "fill this in"),
    (r"^'review_by' is before 'as_of'$", lambda m: "must be on or after the “Accurate as of” date"),
    (r"^notice '[^']*' expires before it starts$", lambda m: "must be on or after the start date"),
    (r"^notice '[^']*' is (\d+) characters; keep notices under (\d+)$", lambda m: f"{m[1]} characters; keep it to {m[2]} at most"),
    (r"^each notice needs a unique 'id'", lambda m: "this notice could not be given a name; change its first words"),
    (r"^unknown source '([^']*)' \(known: (.*)\)$", lambda m: f"there is no source “{m[1]}”; use one of: {m[2]}"),
    (r"^'sources' must be a non-empty list", lambda m: "name at least one source, by its short name (several: separate them with commas)"),
    (r"^'order' must be a whole number$", lambda m: "write a whole number, like 1"),
    (r"^malformed email '([^']*)'$", lambda m: f"“{m[1]}” is not an email address (it looks like name@example.org)"),
    (r"^malformed website '([^']*)': it must start with https:// or http://$", lambda m: "write the whole address, starting with https://"),
    (r"^unknown category '([^']*)'", lambda m: "choose one from the list"),
    (r"^malformed postal code '([^']*)'$", lambda m: f"“{m[1]}” is not a ZIP code (five digits, like 06106, or ZIP+4)"),
    (r"^phone '([^']*)' is not a phone number$", lambda m: f"“{m[1]}” is not a phone number"),
    (r"^phone '([^']*)' is not (a 10-digit US number|a valid international number)",
     lambda m: f"“{m[1]}” is not {m[2]}; write the whole number, area code first" if "US" in m[2] else f"“{m[1]}” is not {m[2]}"),
    (r"^'languages' must be a list of language tags", lambda m: "write language tags separated by commas, like es, pt-BR"),
    (r"^invalid TOML", lambda m: "this could not be read; avoid unusual characters such as control characters"),
]


def plain(field: str, message: str) -> str:
    """A problem with one form field, in words: "<Label>: what to do"."""
    label = LABELS.get(field, "")
    for pattern, say in RULES:
        m = re.search(pattern, message)
        if m:
            return f"{label}: {say(m)}" if label else say(m)[:1].upper() + say(m)[1:]
    text = re.sub(r"'(\w+)'", lambda m: f"“{LABELS.get(m[1], m[1])}”", message)
    return f"{label}: {text}" if label and field not in ("_form", "body") else text
