"""Hotlines and extensions: 211, 988 and a number with an extension, from a service file through the
page's tel: link to the saved contact (vCard 4.0, TEL as a tel: URI), and a bad number refused at file:line."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import vobject

from backend.build import load_inputs
from backend.build.pipeline import render
from backend.config import Config
from backend.errors import ContentError

from .conftest import ROOT, make_config

HOTLINES = """\
name = "Hotlines"
category = "legal"
description = \"\"\"
A test entry: community services, crisis support and an office line with an extension.
\"\"\"
verified_on = 2024-12-17

[[phones]]
number = "211"
label = "Community services"

[[phones]]
number = "988"
label = "Crisis line"

[[phones]]
number = "860-541-5030 ext. 12"
label = "Office"
"""
WANT = [("211", "tel:211"), ("988", "tel:988"), ("(860) 541-5030 ext. 12", "tel:+18605415030;ext=12")]


@pytest.fixture
def one_language(tmp_path: Path, copy_content: Path) -> Config:
    (copy_content / "services" / "hotlines.toml").write_text(HOTLINES)
    locales = tmp_path / "locales"
    shutil.copytree(ROOT / "locales" / "es", locales / "es")
    return make_config(tmp_path, content=copy_content, locales=locales)


def test_short_codes_and_extensions_round_trip_through_page_tel_and_vcard(one_language: Config) -> None:
    site, _ = render(load_inputs(one_language))
    page = site.files["es/services/hotlines/index.html"].decode()
    for shown, tel in WANT:
        # the Call button: its tel: link holds the number as shown (an icon and the word "Call" before it)
        assert re.search(rf'href="{re.escape(tel)}">[^<]*(?:<(?!/a>)[^>]*>[^<]*)*?<bdi dir="ltr">{re.escape(shown)}</bdi>', page), (
            shown, page.split("<main", 1)[1][:2000])
    listed = site.files["es/services/category/legal/index.html"].decode()
    assert all(f'href="{tel}"' in listed for _, tel in WANT)

    text = site.files["es/services/hotlines.vcf"].decode()
    assert "TEL;TYPE=work,voice;PREF=1;VALUE=uri:tel:211\r\n" in text
    assert "TEL;TYPE=work,voice;VALUE=uri:tel:988\r\n" in text
    assert "TEL;TYPE=work,voice;VALUE=uri:tel:+18605415030;ext=12\r\n" in text
    card = vobject.readOne(text)
    assert [t.value for t in card.contents["tel"]] == [tel for _, tel in WANT]
    assert all(t.params["VALUE"] == ["uri"] for t in card.contents["tel"])

    ordinary = site.files["es/services/greater-hartford-legal-aid.vcf"].decode()
    assert "TEL;TYPE=work,voice;VALUE=uri:tel:+18605415030\r\n" in ordinary


def test_a_bad_number_is_still_refused_at_its_line(one_language: Config) -> None:
    path = one_language.content / "services" / "hotlines.toml"
    path.write_text(HOTLINES.replace('number = "988"', 'number = "98"'))
    with pytest.raises(ContentError) as info:
        load_inputs(one_language)
    line = HOTLINES.splitlines().index('number = "988"') + 1
    assert any(p.file.endswith("services/hotlines.toml") and p.line == line and "'98'" in p.message for p in info.value.problems), info.value.problems
