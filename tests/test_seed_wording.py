"""The English content says what the seed says (tests/fixtures/seed.txt): no sentence drifts
into a stronger, narrower, undated or invented claim. Each check reads the seed itself where it
can, so a later edit that drifts from the seed fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from backend.content import Content, Page, load, markup

from .conftest import ROOT

SEED_RAW = (Path(__file__).parent / "fixtures" / "seed.txt").read_text()


def norm(text: str) -> str:
    """Whitespace collapsed and dashes made plain, so a sentence compares across line breaks."""
    return re.sub(r"\s+", " ", text.replace("–", "-").replace("—", "-")).strip()


SEED = norm(SEED_RAW)


def seed_has(phrase: str) -> bool:
    return norm(phrase).lower() in SEED.lower()


def seed_sentence(start: str) -> str:
    """The seed's sentence that begins with `start`, up to its full stop."""
    m = re.search(re.escape(start) + r"[^.]*\.", SEED)
    assert m, f"the seed has no sentence starting {start!r}"
    return m.group(0)


@pytest.fixture(scope="module")
def pack() -> Content:
    return load(ROOT / "content")


def page(pack: Content, page_id: str) -> Page:
    return next(p for p in pack.pages if p.id == page_id)


def texts(p: Page) -> list[str]:
    return [p.title, p.summary] + [b.text for b in p.blocks]


def english_units(pack: Content) -> list[str]:
    return [u.text for u in pack.units()]


# -- rights/school ---------------------------------------------------------------------


def test_school_says_the_district_does_not_collect_immigration_status(pack: Content) -> None:
    school = page(pack, "rights/school")
    phrase = "does not collect immigration status information"
    assert seed_has(phrase)
    assert phrase in school.summary, "the summary says what the seed says: the district does not collect it"
    for text in texts(school):
        assert "does not ask" not in text and "not ask for" not in text, text


def test_the_city_laws_bullets_are_attributed_to_the_city_law(pack: Content) -> None:
    """A bullet of Hartford's 2008 ordinance, used outside the page on that law, says whose it is."""
    city_law = "In 2008 the City of Hartford passed a law"
    bullets = ["Hartford residents have access to city services regardless of immigration status."]
    bullets += ["Hartford's children have the right to educational services regardless of immigration status."]
    bullets += ["Hartford residents who report crimes (as victims or witnesses) to the Hartford Police will not be asked about immigration status."]
    bullets += ["No Hartford resident will be detained by the HPD solely because of immigration status."]
    for bullet in bullets:
        at = SEED.index(bullet[:-1])
        assert SEED.rfind(city_law, 0, at) > SEED.rfind("sensitive locations", 0, at), f"the seed gives {bullet!r} as the city law's"
    checked = 0
    for p in pack.pages:
        if p.id == "rights/hartford":
            continue
        for text in texts(p):
            for bullet in bullets:
                if bullet.rstrip(".") in text:
                    checked += 1
                    plain = markup.plain_text(text)
                    assert "City of Hartford" in plain and "2008" in plain, f"{p.file}: {text!r} does not say it is Hartford's 2008 law"
    assert checked >= 2, "rights/school quotes the city law in its summary and its text; the check above should have seen both"


# -- rights/connecticut ----------------------------------------------------------------


def test_trust_act_names_state_and_local_law_enforcement_and_modifications(pack: Content) -> None:
    ct = page(pack, "rights/connecticut")
    assert seed_has("sets conditions for state and local law enforcement authorities for voluntarily cooperating")
    assert "state and local law enforcement" in ct.summary
    assert seed_has("Modifications to the Trust Act were made in 2019")
    assert "modifications" in ct.summary.lower() and "2019" in ct.summary
    for text in texts(ct):
        assert "local police" not in text, text


def test_no_english_text_says_strengthened_where_the_seed_says_modified(pack: Content) -> None:
    assert not seed_has("strengthen")
    for text in english_units(pack):
        assert "strengthen" not in text.lower(), text


# -- rights/sensitive-locations --------------------------------------------------------


def test_the_sensitive_locations_opinion_is_the_districts_dated_and_in_the_past(pack: Content) -> None:
    sl = page(pack, "rights/sensitive-locations")
    assert seed_has("December 17, 2024") and str(sl.as_of) == "2024-12-17"
    said = seed_sentence("When we think about it, this policy makes a lot of sense to protect")
    seed_tail = said.split("makes a lot of sense to protect ", 1)[1]
    lead = "In December 2024 the district wrote that this policy made a lot of sense to protect "
    (block,) = [b.text for b in sl.blocks if "a lot of sense" in b.text]
    assert block.startswith(lead), block
    # the rest is the seed's own words, in reported speech ("our" facilities become the district's)
    assert block[len(lead):] == seed_tail.replace("our school facilities", "its school facilities")
    for text in texts(sl):
        assert not re.search(r"\bpolicy (protects|ensures|makes)\b", text), text


def test_the_no_record_statement_is_the_districts_and_dated(pack: Content) -> None:
    sl = page(pack, "rights/sensitive-locations")
    seed_tail = seed_sentence("We have no record of").split("We have no record of ", 1)[1]
    (block,) = [b.text for b in sl.blocks if "no record of" in b.text]
    assert block == "The district also wrote that it had no record of " + seed_tail


def test_the_superintendents_office_comes_with_the_legal_services_not_an_invented_contact(pack: Content) -> None:
    sl = page(pack, "rights/sensitive-locations")
    assert seed_has("as soon as you reach out to the Superintendent's office for assistance")
    (block,) = [b.text for b in sl.blocks if "Superintendent" in b.text]
    assert "as soon as they reached out to the Superintendent's office for assistance" in block
    assert block.startswith("In December 2024 the district told school leaders")
    assert [t for t, _ in markup.links(block)] == ["/services/category/legal/"]
    assert "legal" in {c.id for c in pack.categories}
    assert not re.search(r"\d{3}\D{0,3}\d{3}\D{0,3}\d{4}", "".join(texts(sl))), "no phone number the seed does not give"


# -- staff -----------------------------------------------------------------------------


def test_staff_summary_promises_only_what_the_page_gives(pack: Content) -> None:
    staff = page(pack, "staff")
    targets = [t for b in staff.blocks for t, _ in markup.links(b.text)]
    assert not [t for t in targets if t.startswith(("tel:", "mailto:"))], "the page gives no contact"
    for word in ("whom to call", "call", "contact"):
        assert word not in staff.summary.lower(), f"the summary promises {word!r}, which the page does not give"
    # the one-pager stays a missing link, as the seed leaves it
    assert ("#", "one-pager for school leaders") in [link for b in staff.blocks for link in markup.links(b.text)]
    assert "The Superintendent's office" not in [b.text for b in staff.blocks if b.kind == "heading"]
    assert seed_has("Resources to support traumatized students") and "traumatized students" in staff.summary


def test_the_attorney_is_described_as_the_seed_describes_him(pack: Content) -> None:
    staff = page(pack, "staff")
    m = re.search(r"today we count with (the advice of Attorney [^.]+)\.", SEED)
    assert m
    (block,) = [b.text for b in staff.blocks if "Haldeman" in b.text]
    assert m.group(1) in block
    sentence = next(s for s in re.split(r"(?<=\.) ", block) if "Haldeman" in s)
    assert "prepar" not in sentence and "wrote" not in sentence, sentence


# -- services --------------------------------------------------------------------------


def test_every_service_description_is_the_seeds_text(pack: Content) -> None:
    for s in pack.services:
        for b in s.description:
            assert norm(b.text) in SEED, f"{s.file}: the description drifted from the seed: {b.text[:60]!r}"


def test_no_service_carries_an_inferred_language(pack: Content) -> None:
    ihf = next(s for s in pack.services if s.id == "institute-for-the-hispanic-family")
    assert seed_has("services available to Spanish-speaking residents in Greater Hartford")
    assert seed_has("People from all faiths and backgrounds are welcome")
    assert ihf.languages == () and all(p.languages == () for p in ihf.phones)
    for s in pack.services:
        assert s.languages == () and all(p.languages == () for p in s.phones), f"{s.file}: the seed names no language spoken"


def test_every_contact_in_the_english_is_the_seeds(pack: Content) -> None:
    seed_digits = {re.sub(r"\D", "", m) for m in re.findall(r"\(?\d[\d\s()\-–]{8,}\d", SEED_RAW)}
    seed_digits |= {d[1:] for d in seed_digits if d.startswith("1")}
    for s in pack.services:
        for p in s.phones:
            assert p.e164.removeprefix("+1") in seed_digits, (s.id, p.number)
        assert not s.email or seed_has(s.email), (s.id, s.email)
        assert not s.website or seed_has(s.website), (s.id, s.website)
        if s.address:
            assert seed_has(s.address.street), (s.id, s.address.street)
    for text in english_units(pack):
        for number in re.findall(r"\(?\d{3}\)?[\s.\-–]*\d{3}[\s.\-–]*\d{4}", text):
            assert re.sub(r"\D", "", number) in seed_digits, (number, text)
        for target, _ in markup.links(text):
            if target.startswith(("http://", "https://", "mailto:", "tel:")):
                assert seed_has(target.removeprefix("mailto:")), (target, text)
    for src in pack.sources:
        assert src.url == "#" or seed_has(src.url), src.url


def test_links_inside_the_app_lead_to_pages_it_has(pack: Content) -> None:
    paths = {"/" + p.path for p in pack.pages} | {"/services/"} | {f"/services/category/{c.id}/" for c in pack.categories}
    paths |= {f"/services/{s.id}/" for s in pack.services}
    for text in english_units(pack):
        for target, _ in markup.links(text):
            if target.startswith("/"):
                assert target in paths, (target, text)


# -- site.toml -------------------------------------------------------------------------


def test_source_titles_are_made_of_what_the_seed_says(pack: Content) -> None:
    for src in pack.sources:
        assert "Enforcement Actions at or Focused on Sensitive Locations" not in src.title
        for quoted in re.findall(r"“([^”]+)”", src.title):
            assert seed_has(f"“{quoted}”") or seed_has(quoted), (src.id, quoted)
        # what is left outside the quotes, comma by comma, is the seed's words too
        for piece in re.split(r"“[^”]+”|,", src.title):
            piece = piece.strip(" ,")
            if piece:
                assert seed_has(piece), (src.id, piece)
