"""The default content pack is the whole seed, and bad content is refused with file:line."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from backend import content as content_module
from backend.content import load, phone_from
from backend.errors import ContentError

from .conftest import ROOT
from .seed_facts import AS_OF, MISSING_LINKS, SERVICES

SEED = (Path(__file__).parent / "fixtures" / "seed.txt").read_text()


@pytest.fixture(scope="module")
def pack() -> content_module.Content:
    return load(ROOT / "content")


def test_default_pack_loads_with_the_seeds_sections(pack: content_module.Content) -> None:
    ids = {p.id for p in pack.pages}
    assert {"home", "rights", "rights/school", "rights/sensitive-locations", "rights/hartford", "rights/connecticut", "staff", "about"} <= ids
    assert [c.name for c in pack.categories] == [
        "Education, Basic Needs and More",
        "Case Management, Basic Needs & Behavioral Health",
        "Legal Services",
    ]
    assert str(pack.site.as_of) == AS_OF
    for page in pack.pages:
        assert str(page.as_of) == AS_OF and page.review_by > page.as_of and page.sources


def test_all_seven_services_with_every_contact_the_seed_gives(pack: content_module.Content) -> None:
    assert {s.id for s in pack.services} == set(SERVICES)
    for s in pack.services:
        want = SERVICES[s.id]
        assert s.category == want["category"], s.id
        assert [p.e164[2:] for p in s.phones] == want["phones"], s.id
        assert (s.email or None) == want["email"], s.id
        assert (s.website or None) == want["website"], s.id
        if want["address"] is None:
            assert s.address is None, s.id
        else:
            assert s.address is not None
            for part in want["address"]:
                assert part in s.address.one_line(), (s.id, part)


def test_every_phone_email_and_link_in_the_seed_is_in_the_pack(pack: content_module.Content) -> None:
    phones = {re.sub(r"\D", "", p)[-10:] for p in re.findall(r"\(?\d{3}\)?[\s.-]*\d{3}\s*[-–]\s*\d{4}", SEED)}
    assert len(phones) == 7
    assert phones == {p.e164[2:] for s in pack.services for p in s.phones}
    emails = set(re.findall(r"[\w.]+@[\w.]+\w", SEED))
    assert emails == {s.email for s in pack.services if s.email}
    urls = set(re.findall(r"https?://[^>\s]+", SEED))
    in_pack = {s.website for s in pack.services} | {src.url for src in pack.sources}
    in_pack |= {t for u in pack.units() for t, _ in content_module.markup.links(u.text)}
    assert urls <= in_pack


def test_links_the_seed_leaves_as_hash_stay_missing(pack: content_module.Content) -> None:
    missing_texts = [text for _, _, text in pack.missing_links()]
    for text in MISSING_LINKS:
        assert text in missing_texts
    assert "(#)" in SEED  # the seed really leaves them out


def test_rights_pages_carry_the_seeds_statements(pack: content_module.Content) -> None:
    text = " ".join(b.text for p in pack.pages for b in p.blocks)
    for statement in [
        "Hartford's children have the right to educational services regardless of immigration status.",
        "Hartford Public Schools does not collect immigration status information from any of our families.",
        "exigent circumstances exist",
        "prior approval is obtained",
        "In 2008 the City of Hartford passed a law",
        "Modifications to the Trust Act were made in 2019",
        "requires law enforcement to inform an individual when ICE has requested their detention.",
        "Superintendent's office",
    ]:
        assert statement in text, statement


@pytest.mark.parametrize(
    "raw, shown, e164",
    [
        ("860-692-3085", "(860) 692-3085", "+18606923085"),
        ("(203) 562 – 2095", "(203) 562-2095", "+12035622095"),
        ("1-800-798-0671", "1-800-798-0671", "+18007980671"),
        ("211", "211", "211"),
        ("988", "988", "988"),
        ("911", "911", "911"),
        ("860-541-5030 ext. 12", "(860) 541-5030 ext. 12", "+18605415030"),
        ("(860) 541-5030 x 7", "(860) 541-5030 ext. 7", "+18605415030"),
        ("+44 1234 234567", "+44 1234 234567", "+441234234567"),
    ],
)
def test_phone_numbers_normalize(raw: str, shown: str, e164: str) -> None:
    assert phone_from(raw) == (shown, e164)


@pytest.mark.parametrize("raw", ["555-1234", "860-692-308", "call us", "860-692-3085 ext four", "060-692-3085", "123", "12", "+44 12"])
def test_malformed_phones_are_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        phone_from(raw)


def _break(content_dir: Path, rel: str, old: str, new: str) -> None:
    path = content_dir / rel
    text = path.read_text()
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1))


BAD_INPUT = [
    ("services/ciri.toml", 'category = "education"\n', "", "services/ciri.toml:1: missing required field 'category'"),
    ("services/ciri.toml", 'category = "education"', 'category = "food"', "services/ciri.toml:2: unknown category 'food'"),
    ("services/iris.toml", 'number = "(203) 562-2095"', 'number = "562-2095"', "services/iris.toml:11: phone '562-2095' is not a 10-digit US number"),
    ("services/iris.toml", 'email = "info@irisct.org"', 'email = "info at irisct"', "services/iris.toml:6: malformed email"),
    ("pages/rights/school.md", "**Hartford Public Schools does", "**Hartford Public Schools <b>does", "pages/rights/school.md:16: raw HTML"),
    ("pages/rights/school.md", "any of our families.**", "any of our families.", "pages/rights/school.md:16: '**' is opened but never closed"),
    ("pages/home.md", 'title = "Welcome"\n', "", "pages/home.md:2: missing required field 'title'"),
    ("pages/home.md", "review_by = 2025-06-17", 'review_by = "soon"', "pages/home.md:5: 'review_by' must be a date"),
    ("pages/home.md", 'sources = ["hps-2024"]', 'sources = ["nowhere"]', "pages/home.md:6: unknown source 'nowhere'"),
    ("pages/staff.md", "[Classroom WISE](#)", "[Classroom WISE](javascript:alert(1))", "pages/staff.md:29: link target"),
]


@pytest.mark.parametrize("rel, old, new, expected", BAD_INPUT)
def test_bad_content_is_refused_with_file_line_and_no_release(copy_content: Path, tmp_path: Path, rel: str, old: str, new: str, expected: str) -> None:
    _break(copy_content, rel, old, new)
    out = tmp_path / "release"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "serve.py"), "build", "--out", str(out), "--public-url", "http://127.0.0.1:8000", "--content", str(copy_content)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert expected in proc.stderr.replace("content/", ""), proc.stderr
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".release")], "a temporary release was left behind"


def test_every_problem_is_reported_in_one_run(copy_content: Path) -> None:
    _break(copy_content, "services/ciri.toml", 'category = "education"', 'category = "food"')
    _break(copy_content, "services/iris.toml", 'email = "info@irisct.org"', 'email = "nope"')
    with pytest.raises(ContentError) as info:
        load(copy_content)
    assert len(info.value.problems) == 2
