"""Dates and numbers read naturally in every language: each catalog's own month names and date
pattern (CLDR lacks them for Haitian Creole and Kinyarwanda), one full stop where a date ends
with one, and one numeral system per page, the one its catalog's header declares."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import polib
import pytest

from backend.build.inputs import load_inputs
from backend.build.renderer import Renderer
from backend.config import Config
from backend.i18n import discover
from backend.i18n.dates import DATE_PATTERN, MONTHS, cldr_gaps, digits, fill
from backend.i18n.languages import DIGITS, LOCALE_DATA_HEADER, NUMBERING_HEADER

from .conftest import ROOT, make_config
from .test_page_language import _Texts

LANGUAGES = discover(ROOT / "locales")
CATALOGS = [lang for lang in LANGUAGES if not lang.is_source]
DAY = dt.date(2024, 12, 17)


def catalog_date(lang, day: dt.date) -> str:  # type: ignore[no-untyped-def]
    """The date as the catalog itself writes it, read from the .po file with polib, not through the app."""
    po = polib.pofile(str(lang.catalog))
    pattern = po.find(DATE_PATTERN, msgctxt="ui")
    month = po.find(MONTHS[day.month - 1], msgctxt="ui")
    assert pattern is not None and pattern.msgstr and not pattern.fuzzy, f"{lang.tag}: the catalog writes no date pattern"
    assert month is not None and month.msgstr and not month.fuzzy, f"{lang.tag}: the catalog writes no month names"
    system = DIGITS[po.metadata[NUMBERING_HEADER]]
    local = lambda n: "".join(system[int(c)] for c in str(n))  # noqa: E731
    text = pattern.msgstr.replace("%(day)s", local(day.day)).replace("%(year)s", local(day.year))
    return text.replace("%(month)s", "".join(system[int(c)] if c.isdigit() else c for c in month.msgstr))


@pytest.fixture(scope="module")
def renderer(config: Config) -> Renderer:
    return Renderer(load_inputs(config), {})


@pytest.mark.parametrize("lang", CATALOGS, ids=lambda lang: lang.tag)
def test_every_language_writes_a_date_with_its_catalogs_own_pattern(renderer: Renderer, release_dir: Path, lang) -> None:  # type: ignore[no-untyped-def]
    expected = catalog_date(lang, DAY)
    assert renderer.language(lang).date(DAY) == expected
    assert not re.search(r"\bM\d{1,2}\b", expected) and "2024-12-17" not in expected
    # and the pages say it: the footer of every content page and the printed flyer
    footer = (release_dir / lang.tag / "rights" / "school" / "index.html").read_text()
    assert expected in footer, f"{lang.tag}: {expected!r} not on the page"
    assert expected in (release_dir / lang.tag / "share" / "print" / "index.html").read_text()


def test_haitian_creole_dates_come_from_its_catalog_not_cldrs_m12(renderer: Renderer) -> None:
    ht = next(lang for lang in CATALOGS if lang.tag == "ht")
    assert {"months", "date_format"} <= cldr_gaps("ht"), "Babel has no Haitian month names (it prints 2024 M12 17)"
    assert renderer.language(ht).date(DAY) == "17 desanm 2024", "as the catalog writes it in its prose"
    assert renderer.english.date(DAY) == "December 17, 2024"


def test_a_catalog_without_date_units_falls_back_to_cldr_and_where_cldr_has_none_to_iso(tmp_path: Path) -> None:
    locales = tmp_path / "locales"
    shutil.copytree(ROOT / "locales", locales)
    for tag in ("es", "ht"):
        path = locales / tag / "LC_MESSAGES" / "messages.po"
        po = polib.pofile(str(path), wrapwidth=0)
        po.find(DATE_PATTERN, msgctxt="ui").msgstr = ""
        po.save()
    r = Renderer(load_inputs(make_config(tmp_path, locales=locales)), {})
    by_tag = {lang.tag: lang for lang in r.languages}
    assert r.language(by_tag["es"]).date(DAY) == "17 de diciembre de 2024"  # CLDR's
    assert r.language(by_tag["ht"]).date(DAY) == "2024-12-17"  # not "2024 M12 17"


def test_where_babel_lacks_a_locales_data_the_catalog_header_says_so() -> None:
    for lang in CATALOGS:
        po = polib.pofile(str(lang.catalog))
        gaps = cldr_gaps(lang.tag)
        note = po.metadata.get(LOCALE_DATA_HEADER, "")
        if gaps:
            assert note, f"{lang.tag}: Babel lacks {sorted(gaps)}; say so in the {LOCALE_DATA_HEADER} header"
            lacks = note.split(":")[0]  # "Babel ... has no <what>: what the catalog does instead"
            for gap, word in (("months", "month"), ("date_format", "date pattern"), ("plural_rules", "plural")):
                assert (gap in gaps) == (word in lacks), (lang.tag, gap, note)
        else:
            assert not note, f"{lang.tag}: CLDR has its data; {LOCALE_DATA_HEADER} says otherwise"
    assert cldr_gaps("ht") == {"months", "date_format", "plural_rules"} and cldr_gaps("rw") == {"date_format", "plural_rules"}


def test_fill_keeps_one_full_stop_after_a_date_that_ends_with_one() -> None:
    assert fill("Stanje na dan %(date)s.", {"date": "17. decembra 2024."}) == "Stanje na dan 17. decembra 2024."
    assert fill("станом на %(date)s.", {"date": "17 грудня 2024 р."}) == "станом на 17 грудня 2024 р."
    assert fill("na dan %(date)s i do %(b)s.", {"date": "17. decembra 2024.", "b": "x"}) == "na dan 17. decembra 2024. i do x."
    assert fill("%(num)d organizations, 100%%", {"num": 12}, "arabext") == "۱۲ organizations, 100%"
    assert digits("2024-12-17", "arabext") == "۲۰۲۴-۱۲-۱۷" and digits("17", "latn") == "17"


def _page_texts(html: str, lang: str) -> list[str]:
    """The page's own text in its language: outside elements marked with another language or direction
    (phones, emails and addresses are `<bdi dir="ltr">`), and outside link targets."""
    parser = _Texts()
    parser.feed(re.sub(r"<bdi dir=\"ltr\"[^>]*>.*?</bdi>", "", html, flags=re.S))
    return [" ".join(t.split()) for t, text_lang in parser.found if text_lang == lang]


@pytest.mark.parametrize("lang", CATALOGS, ids=lambda lang: lang.tag)
def test_one_numeral_system_per_page_and_no_doubled_full_stop(release_dir: Path, lang) -> None:  # type: ignore[no-untyped-def]
    po = polib.pofile(str(lang.catalog))
    system = po.metadata.get(NUMBERING_HEADER)
    assert system in DIGITS, f"{lang.tag}: declare {NUMBERING_HEADER}"
    others = "".join(d for name, d in DIGITS.items() if name not in (system, "latn"))
    problems = []
    for path in sorted((release_dir / lang.tag).rglob("*.html")):
        for text in _page_texts(path.read_text(encoding="utf-8"), lang.tag):
            where = f"/{lang.tag}/{path.relative_to(release_dir / lang.tag).as_posix()}: {text[:80]!r}"
            if re.search(rf"[{others}]", text):
                problems.append(f"{where}: digits of another system")
            # a number in the prose (not part of a code such as K-12 or A4) is in the declared digits
            prose = re.sub(r"https?://\S+", "", text)  # addresses are written as they are typed
            if system != "latn" and re.search(r"(?<![A-Za-z0-9\-])[0-9]+", prose):
                problems.append(f"{where}: Latin digits on a {system} page")
            if re.search(r"(?<!\.)\.\.(?!\.)", text):
                problems.append(f"{where}: doubled full stop")
            if re.search(r"\bM\d{1,2}\b", text):
                problems.append(f"{where}: CLDR's placeholder month")
    assert not problems, "\n".join(problems)
