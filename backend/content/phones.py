"""Phone numbers as written in a service file, read by Google's `phonenumbers` (libphonenumber's data).

Accepted: US numbers in any usual writing, toll-free numbers, numbers with an extension
("860-541-5030 ext. 12", "x12"), the US short codes families need (211, 911, 988 and the
others libphonenumber knows as valid short numbers), and international numbers written with +.

    shown   how the page prints it: (860) 541-5030, 1-800-798-0671, 211, +44 1234 234567
    e164    the number in E.164 (+18605415030), or the short code itself (211)
    tel     the tel: URI (RFC 3966) a page links and a vCard stores: tel:+18605415030;ext=12, tel:988
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType, shortnumberinfo

REGION = "US"  # numbers written without + are read as US numbers
_ALLOWED = re.compile(r"^[0-9+()\-–. ]*(?:(?:ext\.?|extension|x)\s*\d{1,6})?$", re.IGNORECASE)


@dataclass(frozen=True)
class Parsed:
    shown: str
    e164: str
    extension: str = ""
    short: bool = False

    @property
    def tel(self) -> str:
        return f"tel:{self.e164}" + (f";ext={self.extension}" if self.extension else "")


def parse(text: str) -> Parsed:
    """Given a phone number as written, return it parsed; raise ValueError saying what is wrong."""
    written = text.strip()
    if not written or not _ALLOWED.match(written):
        raise ValueError(f"phone {text!r} has characters other than digits, spaces, + ( ) - . and an extension (ext. 12)")
    digits = re.sub(r"\D", "", written)
    if not written.startswith("+") and 3 <= len(digits) <= 6 and digits == written.replace(" ", ""):
        short = phonenumbers.parse(digits, REGION)
        if shortnumberinfo.is_valid_short_number_for_region(short, REGION):
            return Parsed(digits, digits, short=True)
        raise ValueError(f"phone {text!r} is not a short code that works in the US (such as 211, 911 or 988)")
    try:
        number = phonenumbers.parse(written, REGION)
    except phonenumbers.NumberParseException:
        raise ValueError(f"phone {text!r} is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        what = "a valid international number" if written.startswith("+") and number.country_code != 1 else "a 10-digit US number"
        raise ValueError(f"phone {text!r} is not {what}")
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    extension = number.extension or ""
    if number.country_code != 1:
        shown = phonenumbers.format_number(phonenumbers.parse(e164), PhoneNumberFormat.INTERNATIONAL)
    elif phonenumbers.number_type(number) == PhoneNumberType.TOLL_FREE:
        national = str(number.national_number)
        shown = f"1-{national[:3]}-{national[3:6]}-{national[6:]}"
    else:
        national = str(number.national_number)
        shown = f"({national[:3]}) {national[3:6]}-{national[6:]}"
    return Parsed(shown + (f" ext. {extension}" if extension else ""), e164, extension)


def phone_from(text: str) -> tuple[str, str]:
    """Given a phone number as written, return (local display format, E.164 or short code); raise ValueError."""
    parsed = parse(text)
    return parsed.shown, parsed.e164
