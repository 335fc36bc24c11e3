"""Incremental builds: an output is rendered again only when what it read changed, and an incremental
build is byte for byte the build from nothing of the same source (the guard against a missed read).

One small pack (English, Spanish, Arabic) is built once with a render cache; then one change of each
kind is made, and after each the cached build is compared with a cold one (no cache, in memory).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import polib
import pytest

from backend.build import Progress, Site, load_inputs, render, render_cache
from backend.config import Config

from .conftest import ROOT, make_config

LANGS = ("es", "ar")
PAGE = "rights/connecticut"  # none of its paragraphs is on the wallet card or the flyer


def files_of(site: Site) -> dict[str, bytes]:
    out = {rel: site.read(rel) for rel in site.shas}
    info = json.loads(out["release.json"])
    info.pop("built_at")
    out["release.json"] = json.dumps(info).encode()
    return out


def incremental(cfg: Config, jobs: int = 1) -> tuple[dict[str, bytes], list[str]]:
    inputs = load_inputs(cfg)
    progress = Progress("build", len(inputs.languages))
    site, _ = render(inputs, render_cache(cfg), jobs, progress)
    return files_of(site), progress.counts.rendered


def cold(cfg: Config) -> dict[str, bytes]:
    site, _ = render(load_inputs(cfg))
    return files_of(site)


def same_as_cold(cfg: Config, label: str) -> tuple[list[str], dict[str, bytes]]:
    """Build incrementally and from nothing; fail naming the files that differ. Return what was rendered, and the files."""
    inc, rendered = incremental(cfg)
    ref = cold(cfg)
    differ = sorted(k for k in inc.keys() | ref.keys() if inc.get(k) != ref.get(k))
    assert not differ, f"after {label}, the incremental build differs from a cold one in {differ[:10]}"
    return rendered, ref


def assert_same(cfg: Config, label: str) -> list[str]:
    return same_as_cold(cfg, label)[0]


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Config:
    tmp = tmp_path_factory.mktemp("incremental")
    shutil.copytree(ROOT / "content", tmp / "content")
    shutil.copytree(ROOT / "pwa", tmp / "pwa", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    shutil.copytree(ROOT / "service_worker", tmp / "service_worker")
    (tmp / "locales").mkdir()
    shutil.copy2(ROOT / "locales" / "messages.pot", tmp / "locales")
    for tag in LANGS:
        shutil.copytree(ROOT / "locales" / tag, tmp / "locales" / tag)
    cfg = make_config(tmp, content=tmp / "content", locales=tmp / "locales", project=tmp)
    incremental(cfg, jobs=2)  # the first build, in two worker processes: fills the cache
    return cfg


def _edit_po(cfg: Config, tag: str, ctx: str, msgid_pick: object, new: str) -> str:
    path = cfg.locales / tag / "LC_MESSAGES" / "messages.po"
    po = polib.pofile(str(path), wrapwidth=0)
    entry = next(e for e in po if e.msgctxt == ctx and not e.obsolete and e.msgstr and (msgid_pick is None or e.msgid == msgid_pick))
    entry.msgstr = new
    po.save(str(path))
    return entry.msgid


def test_nothing_changed_renders_nothing(pack: Config) -> None:
    _, rendered = incremental(pack)
    assert rendered == []


def test_one_spanish_paragraph_renders_its_page_search_index_and_bundle(pack: Config) -> None:
    inputs = load_inputs(pack)
    page = next(p for p in inputs.content.pages if p.id == PAGE)
    block = next(b for b in page.blocks if b.kind == "paragraph" and "](" not in b.text and "**" not in b.text)
    _edit_po(pack, "es", page.context, block.text, "Un párrafo cambiado por la prueba de compilación incremental.")
    rendered = assert_same(pack, "one Spanish paragraph changed")
    # the search page names the index by its hash, so it changes with it
    assert sorted(re.sub(r"\.[0-9a-f]{12}\.json$", ".json", r) for r in rendered) == sorted(
        [f"es/{page.path}index.html", "es/search.json", "es/search/index.html", "es/bundle.json", "es/pack.json"]
    )


def test_one_ui_string(pack: Config) -> None:
    _edit_po(pack, "es", "ui", "You are offline", "Sin conexión (cambiado por la prueba)")
    rendered = assert_same(pack, "a UI string changed")
    assert "es/offline/index.html" in rendered and not any(r.startswith(("ar/", "en/")) for r in rendered)
    assert "es/rights/connecticut/index.html" not in rendered


def test_a_languages_draft_tag_reaches_the_chooser(pack: Config) -> None:
    """The chooser tags each draft language in its own words: its "Draft translation" is one of the chooser's reads."""
    _edit_po(pack, "es", "ui", "Draft translation", "Borrador (cambiado por la prueba)")
    rendered = assert_same(pack, "a draft tag changed")
    assert {"index.html", "404.html"} <= set(rendered), rendered


def test_a_languages_site_name_reaches_the_liaison_page(pack: Config) -> None:
    """The liaison page names the site in every language: those are among its reads (kept with each language)."""
    _edit_po(pack, "es", "site", None, "Puente (cambiado por la prueba)")
    rendered = assert_same(pack, "a site name changed")
    assert "share/index.html" in rendered, rendered


def test_one_template(pack: Config) -> None:
    path = pack.pwa / "templates" / "offline.html"
    text = path.read_text(encoding="utf-8")
    assert "{% endblock %}" in text
    path.write_text(text.replace("{% endblock %}", "<p>changed by the test</p>\n{% endblock %}", 1), encoding="utf-8")
    rendered = assert_same(pack, "a template changed")
    assert {r for r in rendered if r.endswith(".html")} == {f"{tag}/offline/index.html" for tag in ("en", *LANGS)}


def test_one_service(pack: Config) -> None:
    path = next((pack.content / "services").glob("*.toml"))
    text = path.read_text(encoding="utf-8")
    changed = re.sub(r'number = "(\d{3})-(\d{3})-(\d{4})"', lambda m: f'number = "{m[1]}-{m[2]}-{int(m[3]) ^ 1:04d}"', text, count=1)
    assert changed != text
    path.write_text(changed, encoding="utf-8")
    rendered = assert_same(pack, "a service's phone number changed")
    assert f"es/services/{path.stem}/index.html" in rendered and "es/rights/connecticut/index.html" not in rendered


def test_an_english_paragraph(pack: Config) -> None:
    path = pack.content / "pages" / "rights" / "school.md"
    text = path.read_text(encoding="utf-8")
    head, sep, body = text.partition("\n+++\n")
    para = next(line for line in body.splitlines() if line and line[0].isalpha() and len(line) > 40)
    path.write_text(head + sep + body.replace(para, para + " (An edit.)", 1), encoding="utf-8")
    assert_same(pack, "an English paragraph changed")


def test_a_stylesheet(pack: Config) -> None:
    path = pack.pwa / "static" / "app.css"
    path.write_text(path.read_text(encoding="utf-8") + "\n.changed-by-the-test{color:#000}\n", encoding="utf-8")
    assert_same(pack, "the stylesheet changed")


def test_a_new_language(pack: Config) -> None:
    shutil.copytree(ROOT / "locales" / "fr", pack.locales / "fr")
    rendered = assert_same(pack, "a language added")
    assert any(r.startswith("fr/") for r in rendered)


def test_the_build_reads_the_date_only_where_the_release_key_accounts_for_it() -> None:
    """cache.release_key holds what the date decides (pages past review, notices shown), not the date:
    a page that read cfg.today anywhere else would be reused from yesterday's build."""
    allowed = {"renderer.py": 2, "cache.py": 99, "inputs.py": 99, "pipeline.py": 1}  # meta and notices; the keys; release.json
    for path in sorted((ROOT / "backend" / "build").glob("*.py")):
        uses = len(re.findall(r"\.today\b", path.read_text(encoding="utf-8")))
        assert uses <= allowed.get(path.name, 0), f"{path.name} reads the build's date: add what it decides to cache.release_key"


def test_a_compressed_text_is_done_once_its_br_or_its_none_marker_is_there(tmp_path: Path) -> None:
    import os

    from backend.build.compress import CompressedCache

    cache = CompressedCache(tmp_path)
    text = b"<p>Una p\xc3\xa1gina.</p>" * 100
    sha = hashlib.sha256(text).hexdigest()
    made = {suffix: (size, digest) for suffix, size, digest in cache.ensure("es/index.html", text)}
    assert set(made) == {".br", ".gz"} and sorted(p.name.rsplit(".", 1)[1] for p in tmp_path.iterdir()) == ["br", "gz"]
    for suffix, (size, digest) in made.items():  # what the build records of each variant is what the cache holds
        held = Path(cache.path("es/index.html", sha, suffix)).read_bytes()
        assert (len(held), hashlib.sha256(held).hexdigest()) == (size, digest)
    assert [v[0] for v in cache.ensure("es/index.html", text)] == [".br", ".gz"], "read back, not compressed again"
    os.unlink(cache.path("es/index.html", sha, ".br"))  # as a crash between the two writes leaves it: not done, compressed again
    assert cache.paths("es/index.html", sha) is None
    assert {v[0] for v in cache.ensure("es/index.html", text)} == {".br", ".gz"}
    noise = os.urandom(2000)  # nothing worth keeping: a marker, and no second try
    assert cache.ensure("es/index.html", noise) == []
    assert cache.paths("es/index.html", hashlib.sha256(noise).hexdigest()) == []
    assert len(list(tmp_path.glob("*.none"))) == 1


def test_the_cache_keeps_what_the_release_uses_and_prunes_the_rest(tmp_path: Path) -> None:
    from backend.build.cache import RenderCache
    from backend.build.compress import CompressedCache

    cache = RenderCache(tmp_path / "cache")
    kept, gone = cache.put(b"<p>kept</p>" * 50), cache.put(b"<p>gone</p>" * 50)
    for body in (b"<p>kept</p>" * 50, b"<p>gone</p>" * 50):
        CompressedCache(cache.compressed).ensure("es/index.html", body)
    assert cache.prune({kept}) == 3  # the other blob, its .br and .gz
    assert cache.has(kept) and not cache.has(gone)
    assert CompressedCache(cache.compressed).paths("es/index.html", kept) and CompressedCache(cache.compressed).paths("es/index.html", gone) is None
    cache.put(b"<p>gone</p>" * 50)
    assert cache.prune({kept}) == 0, "pruned again within the day"


def test_a_kept_catalog_is_unpickled_only_when_its_entries_are_read(pack: Config) -> None:
    """At a state's scale most languages did not change: their language comes from a small file, their entries
    (a large one) only when a page of theirs is rendered; a kept parse that vanished is parsed again, and a
    catalog changed on disk after its key was taken is refused rather than mixed with the old key."""
    from backend.errors import ContentError
    from backend.i18n import parse_catalog

    load_inputs(pack)  # the kept parses exist
    inputs = load_inputs(pack)
    es = inputs.catalog("es")
    assert es is not None and all(c._po is None for c in inputs.catalogs), "entries unpickled before anyone asked"
    assert es.language.tag == "es" and es._po is None
    fresh = parse_catalog(es.path)
    assert [(e.msgctxt, e.msgid, e.msgstr) for e in es.po] == [(e.msgctxt, e.msgid, e.msgstr) for e in fresh.po] and es.lines == fresh.lines

    cache = pack.data / "cache" / "catalogs"
    inputs = load_inputs(pack)
    for kept in cache.glob("ar.*.pickle"):
        if not kept.name.endswith(".language.pickle"):
            kept.unlink()
    ar = inputs.catalog("ar")
    assert ar is not None and len(ar.po) == len(parse_catalog(ar.path).po)

    inputs = load_inputs(pack)
    for kept in cache.glob("es.*.pickle"):
        if not kept.name.endswith(".language.pickle"):
            kept.unlink()
    es = inputs.catalog("es")
    assert es is not None
    original = es.path.read_bytes()
    try:
        es.path.write_bytes(original + b"\n")
        with pytest.raises(ContentError, match="changed while it was being published"):
            es.po  # noqa: B018
    finally:
        es.path.write_bytes(original)


def test_a_publish_after_one_paragraph_reads_only_that_languages_entries(pack: Config) -> None:
    """The chooser and the liaison page read every language's interface strings: those come with each language
    (a small file), so checking them reads no other catalog's entries; only the changed language's are read."""
    inputs = load_inputs(pack)
    page = next(p for p in inputs.content.pages if p.id == PAGE)
    block = next(b for b in page.blocks if b.kind == "paragraph" and "](" not in b.text and "**" not in b.text and b.text != "")
    _edit_po(pack, "ar", page.context, block.text, "فقرة غيّرها الاختبار.")
    incremental(pack)  # the changed catalog parsed and kept
    _edit_po(pack, "ar", page.context, block.text, "فقرة غيّرها الاختبار مرة أخرى.")
    load_inputs(pack)  # its new parse kept; what the build below reads is what a publish reads
    inputs = load_inputs(pack)
    site, _ = render(inputs, render_cache(pack), 1, Progress("build", len(inputs.languages)))
    read = sorted(c.language.tag for c in inputs.catalogs if c._po is not None)
    assert read == ["ar"], f"the entries of {read} were read"
    assert "فقرة غيّرها الاختبار مرة أخرى." in site.read(f"ar/{page.path}index.html").decode()


@pytest.mark.parametrize(("first", "then"), [({}, {"port": 8001}), ({"public_url": "https://a.example.org"}, {"public_url": "https://b.example.org"})],
                         ids=["the server's own address, on another port", "the configured public URL"])
def test_the_address_families_open(pack: Config, first: dict[str, object], then: dict[str, object]) -> None:
    """Only the outputs that show the address (share links, QR codes, hreflang alternates) read it: another
    address renders those again, not every page (a test server on a new port, or a district's new domain)."""
    assert_same(pack.with_(**first), "the first address")
    moved = pack.with_(**then)
    rendered, made = same_as_cold(moved, "the address changed")
    assert {"es/share/index.html", "share/index.html", "es/index.html", "index.html"} <= set(rendered), rendered
    assert "es/rights/connecticut/index.html" not in rendered and "ar/offline/index.html" not in rendered, rendered
    address = (str(then["public_url"]) if "public_url" in then else f"http://{pack.host}:{then['port']}").encode()
    assert address + b"/es/" in made["es/share/index.html"]
    assert b'hreflang="es" href="' + address + b'/es/"' in made["es/index.html"]
    assert_same(pack, "the address changed back")
