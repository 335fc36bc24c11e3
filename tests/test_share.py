"""Liaisons hand over the app: a QR code and link per language and per service, a one-page flyer,
wallet cards, liaison mode. Every QR code is decoded by a real decoder (zxing-cpp) from what a
browser drew or what Chromium printed, and must be exactly the expected absolute address."""

from __future__ import annotations

import contextlib
import html as htmllib
import io
import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import polib
import pytest
import zxingcpp
from PIL import Image

import backend.build as building
from backend import cli
from backend.build import build
from backend.build import links as share
from backend.build.worker import read_config
from backend.config import Config
from backend.content import load
from backend.errors import ContentError
from backend.i18n import discover

from .conftest import ROOT, Server, make_config, start_puente, start_static

PUBLIC = "https://puente.example.org"
LANGS = [lang.tag for lang in discover(ROOT / "locales")]
CONTENT = load(ROOT / "content")
LEGAL_PHONES = [p.number for s in CONTENT.services_in("legal") for p in s.phones]
QR = re.compile(r'<svg role="img" aria-label="[^"]*" viewBox="[^"]*" class="qr-code">.*?</svg>', re.DOTALL)
MM = 96 / 25.4  # CSS pixels per millimetre


@pytest.fixture(scope="session")
def public_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("public") / "site"
    build(make_config(tmp_path_factory.mktemp("public-cfg"), public_url=PUBLIC), out)
    return out


@pytest.fixture(scope="session")
def public_site(public_release: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_static(public_release, tmp_path_factory.mktemp("public-http"))
    yield server
    server.stop()


def html(release: Path, path: str) -> str:
    return (release / path.strip("/") / "index.html").read_text()


def decode(image: Image.Image) -> list[str]:
    return [b.text for b in zxingcpp.read_barcodes(image)]


# -- the public URL setting ---------------------------------------------------------


def test_public_url_comes_from_the_flag_or_the_environment() -> None:
    assert Config.load({}, environ={"PUENTE_PUBLIC_URL": "https://Families.Example.org/"}).public_url == "https://families.example.org"
    assert Config.load({"public_url": "http://10.0.0.5:8000"}, environ={"PUENTE_PUBLIC_URL": "https://x.org"}).public_url == (
        "http://10.0.0.5:8000"
    )
    for command in (["build", "--out", "site"], ["serve"], []):
        assert cli.parser().parse_args([*command, "--public-url", PUBLIC]).public_url == PUBLIC
    assert "PUENTE_PUBLIC_URL" in cli.parser().format_help()


@pytest.mark.parametrize(
    "bad",
    [
        "https://puente.example.org/?utm_source=flyer",
        "https://puente.example.org/#from-liaison",
        "https://puente.example.org/a/../b/",
        "https://puente.example.org/a b/",
        "https://liaison:secret@puente.example.org",
        "ftp://puente.example.org",
        "puente.example.org",
    ],
)
def test_public_url_refuses_anything_but_an_address(bad: str) -> None:
    with pytest.raises(ValueError, match="public_url"):
        Config.load({"public_url": bad}, environ={})


def test_public_url_may_carry_the_path_the_app_lives_under() -> None:
    cfg = Config.load({"public_url": "https://District.example.org/puente/"}, environ={})
    assert cfg.public_url == "https://district.example.org/puente" and cfg.base_path == "/puente"
    assert Config.load({"public_url": "https://d.example.org/a/b"}, environ={}).base_path == "/a/b"
    assert Config.load({"public_url": "https://d.example.org/"}, environ={}).base_path == ""


def test_without_public_url_links_point_at_the_servers_own_address(config: Config) -> None:
    assert share.base_url(config) == "http://127.0.0.1:8000"
    assert share.base_url(config.with_(host="::1", port=9000)) == "http://[::1]:9000"
    everywhere = share.base_url(config.with_(host="0.0.0.0"))
    assert re.fullmatch(r"http://\d+\.\d+\.\d+\.\d+:8000", everywhere) and "0.0.0.0" not in everywhere
    assert share.base_url(config.with_(public_url=PUBLIC)) == PUBLIC
    assert share.unconfigured_warning(config.with_(public_url=PUBLIC)) is None


def test_build_without_public_url_refuses_and_says_how_to_set_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[Config] = []

    def fake_build(cfg: Config, out: Path, stream: object = None) -> dict[str, object]:
        built.append(cfg)
        return {"id": "0" * 12, "pages": 0, "languages": [], "built": "built"}

    monkeypatch.setattr(building, "build", fake_build)
    monkeypatch.delenv("PUENTE_PUBLIC_URL", raising=False)
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        assert cli.main(["build", "--out", str(tmp_path / "site")]) == 2
    assert built == [] and not (tmp_path / "site").exists()
    assert "--public-url" in err.getvalue() and "PUENTE_PUBLIC_URL" in err.getvalue() and "Nothing was written" in err.getvalue()
    for url in (PUBLIC, "http://127.0.0.1:8000"):  # an explicit loopback address still works, for trying it locally
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as quiet:
            assert cli.main(["build", "--out", str(tmp_path / "site"), "--public-url", url]) == 0
        assert "WARNING" not in quiet.getvalue()
    monkeypatch.setenv("PUENTE_PUBLIC_URL", PUBLIC)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert cli.main(["build", "--out", str(tmp_path / "site")]) == 0
    assert [cfg.public_url for cfg in built] == [PUBLIC, "http://127.0.0.1:8000", PUBLIC]


def test_built_without_public_url_links_point_at_the_server_and_the_share_pages_say_so(release_dir: Path) -> None:
    for path in ("es/share", "es/share/print", "es/share/card", "share"):
        page = html(release_dir, path)
        notice = page.split('id="share-notice"', 1)[1].split("</div>", 1)[0]
        assert "http://127.0.0.1:8000" in notice and "administrator" in notice, path
    assert 'data-url="http://127.0.0.1:8000/es/"' in html(release_dir, "es/share")
    assert 'data-url="http://127.0.0.1:8000/es/services/ciri/"' in html(release_dir, "es/services/ciri")
    info = json.loads((release_dir / "release.json").read_text())
    assert info["public_url"] == "http://127.0.0.1:8000" and info["public_url_configured"] is False


def test_serve_without_public_url_warns_loudly(live_server: Server) -> None:
    assert "WARNING: no public URL is configured" in live_server.output()


def test_with_a_public_url_no_page_carries_the_notice(public_release: Path) -> None:
    for path in ("es/share", "es/share/print", "es/share/card", "share"):
        assert "share-notice" not in html(public_release, path), path
    assert json.loads((public_release / "release.json").read_text())["public_url"] == PUBLIC


# -- what the build writes --------------------------------------------------------------


def test_share_pages_for_every_language_are_precached_with_it(public_release: Path) -> None:
    sw = (public_release / "sw.js").read_text()
    config = read_config(sw)
    assert set(config["languages"]) == set(LANGS)
    for tag in LANGS:
        for path in ("share", "share/print", "share/card"):
            assert (public_release / tag / path / "index.html").is_file(), (tag, path)
        pages = [u for u, _ in json.loads((public_release / config["languages"][tag].lstrip("/")).read_text())["pages"]]
        assert {f"/{tag}/share/", f"/{tag}/share/print/", f"/{tag}/share/card/"} <= set(pages), "a liaison shows and prints them offline"
    assert (public_release / "share" / "index.html").is_file()
    shell = {u for u, _ in config["shell"]}
    assert any(re.fullmatch(r"/static/print\.[0-9a-f]{12}\.css", u) for u in shell), "the flyer's and card's stylesheet too"


def expected_codes(release: Path, base: str) -> list[tuple[str, str, str]]:
    """(page, svg, the address it must encode) for every QR code of the release; fails on an unexpected one."""
    found = []
    for path in sorted(release.rglob("*.html")):
        text = path.read_text()
        svgs = QR.findall(text)
        if not svgs:
            continue
        rel = path.relative_to(release).as_posix()
        parts = rel.split("/")
        if rel == "share/index.html":
            tags = re.findall(r'<section class="qr-screen" id="share-([^"]+)"', text)
            assert sorted(tags) == sorted(LANGS)
            want = [f"{base}/{t}/" for t in tags]
        elif parts[1:] in (["share", "index.html"], ["share", "print", "index.html"]):
            want = [f"{base}/{parts[0]}/"]
        elif parts[1:] == ["share", "card", "index.html"]:
            want = [f"{base}/{parts[0]}/"] * text.count('class="wallet-card"')  # one on each card, on its front
        elif parts[1] == "services" and len(parts) == 4 and parts[3] == "index.html":
            want = [f"{base}/{parts[0]}/services/{parts[2]}/"]
        else:
            raise AssertionError(f"{rel} has a QR code nobody expects")
        assert len(svgs) == len(want), rel
        found += [(rel, svg, url) for svg, url in zip(svgs, want, strict=True)]
    return found


def test_links_carry_nothing_but_the_address(public_release: Path) -> None:
    codes = expected_codes(public_release, PUBLIC)
    cards = 8 + 4 * (len(LANGS) - 1)  # English prints 8 one-sided cards, every other language 4 folded ones
    assert len(codes) == len(LANGS) * (3 + len(CONTENT.services)) + cards
    for path in public_release.rglob("*.html"):
        text = path.read_text()
        for url in re.findall(r'class="share-actions" data-url="([^"]*)"', text):
            parts = urlsplit(url)
            assert (parts.scheme, parts.netloc, parts.query, parts.fragment) == ("https", "puente.example.org", "", ""), url
            assert re.fullmatch(r"/[A-Za-z-]+/(services/[a-z0-9-]+/)?", parts.path), url
        assert "utm_" not in text and "fbclid" not in text


def test_qr_codes_are_small_inline_svg_with_no_style(public_release: Path) -> None:
    sizes = []
    for rel, svg, _url in expected_codes(public_release, PUBLIC):
        assert "style" not in svg and "<script" not in svg, rel
        assert 'role="img"' in svg and "aria-label=" in svg
        sizes.append(len(svg.encode()))
    assert max(sizes) < 3000, max(sizes)


def test_share_related_pages_have_no_inline_style_or_script(public_release: Path) -> None:
    pages = ["share"] + [f"{t}/{p}" for t in LANGS for p in ("share", "share/print", "share/card", "services/ciri")]
    for path in pages:
        text = html(public_release, path)
        assert not re.search(r"\sstyle=", text), path
        assert "<style" not in text, path
        assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", text)), path


def test_a_language_offline_stays_small_with_its_share_page(public_release: Path) -> None:
    sw = (public_release / "sw.js").read_text()
    config = read_config(sw)

    def compressed(url: str) -> int:
        """What the phone downloads: the .br the build wrote beside the file (none when it would not be smaller)."""
        path = public_release / url.lstrip("/")
        path = path / "index.html" if url.endswith("/") else path
        br = path.with_name(path.name + ".br")
        return br.stat().st_size if br.is_file() else path.stat().st_size

    shell = sum(compressed(u) for u, _ in config["shell"])
    for tag, bundle in config["languages"].items():
        assert compressed(f"/{tag}/share/") < 4_000, tag
        pages = json.loads((public_release / bundle.lstrip("/")).read_text())["pages"]
        total = shell + compressed(bundle) + sum(compressed(u) for u, _ in pages)
        assert total < 150_000, (tag, total)


def test_the_short_address_is_what_is_shown_and_it_leads_to_the_page(live_server: Server) -> None:
    import http.client

    host = urlsplit(live_server.url).netloc
    for path in ("/es", "/es/services/ciri"):
        conn = http.client.HTTPConnection(host, timeout=10)
        conn.request("GET", path)
        r = conn.getresponse()
        assert r.status in (301, 302, 307, 308), (path, r.status)
        assert urljoin(live_server.url + path, r.getheader("Location", "")) == live_server.url + path + "/"
        conn.close()
    assert share.short_form(f"{PUBLIC}/es/services/ciri/") == "puente.example.org/es/services/ciri"
    assert share.short_form("http://10.0.0.5:8000/es/") == "http://10.0.0.5:8000/es"


# -- what the flyer and card print -----------------------------------------------------


@pytest.mark.parametrize("tag", LANGS)
def test_flyer_has_address_install_steps_legal_phones_and_date_with_english(public_release: Path, tag: str) -> None:
    page = html(public_release, f"{tag}/share/print")
    assert f'<bdi dir="ltr">puente.example.org/{tag}</bdi>' in page
    for number in LEGAL_PHONES:
        assert number in page, number
    assert len(CONTENT.services_in("legal")) == 3
    assert "Information as of December 17, 2024." in page
    for english in ("Install on Android", "Install on iPhone or iPad", "Tap the Share button (a square with an arrow pointing up)."):
        assert english in page
    if tag == "es":
        assert "Instalar en iPhone o iPad" in page and "Información vigente al 17 de diciembre de 2024." in page
        assert '<span class="l2" lang="en" dir="ltr">Install on iPhone or iPad</span>' in page


def words(fragment: str) -> str:
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def card_faces(page: str) -> list[str]:
    first = page.split('<div class="wallet-card">', 1)[1].split('<div class="wallet-card"', 1)[0]
    return re.findall(r'<div class="card-face[ "].*?</div>', first, re.DOTALL)  # "card-face with-code" carries the QR code


def test_card_statements_are_the_page_units_translated_in_front_and_english_behind(public_release: Path) -> None:
    plan = CONTENT.share
    assert plan is not None and len(plan.card) == 4
    po = polib.pofile(str(ROOT / "locales" / "es" / "LC_MESSAGES" / "messages.po"))
    spanish = {(e.msgctxt, e.msgid): e.msgstr for e in po}
    front, back = card_faces(html(public_release, "es/share/card"))
    (english,) = card_faces(html(public_release, "en/share/card"))
    assert 'lang="es"' in front and 'lang="en"' in back
    assert back.split("card-foot")[0] == english.split("card-foot")[0], "the back is the English card"
    assert "with-code" in back and "with-code" not in front, "the QR code on the back, where the English leaves it room"
    for page, block in plan.card:
        assert words(block.text.replace("**", "")) in words(back)
        translated = spanish[(page.context, block.text)]
        assert translated and words(translated.replace("**", "")) in words(front)
    assert "<strong>Hartford Public Schools does not collect immigration status information from any of our families.</strong>" in back
    for number in LEGAL_PHONES:
        assert number in front and number in back


def test_card_follows_small_edits_of_a_page_and_names_the_line_of_a_statement_gone_from_it(copy_content: Path) -> None:
    page = copy_content / "pages" / "rights" / "hartford.md"
    page.write_text(page.read_text().replace("No Hartford resident will be detained", "No Hartford resident will ever be detained"))
    plan = load(copy_content).share
    assert plan is not None
    assert [b.text for _, b in plan.card][-1].startswith("No Hartford resident will ever be detained"), (
        "the card prints the page as it is now"
    )

    page.write_text(re.sub(r"- No Hartford resident will ever.*\n", "", page.read_text()))
    toml = copy_content / "share.toml"
    text = toml.read_text()
    toml.write_text(text.replace('contacts = "legal"', 'contacts = "lawyers"'))
    with pytest.raises(ContentError) as caught:
        load(copy_content)
    messages = [str(p) for p in caught.value.problems]
    lines = text.splitlines()
    contacts_line = next(i for i, line in enumerate(lines, 1) if line.startswith("contacts"))
    statement_line = next(i for i, line in enumerate(lines, 1) if "No Hartford resident will be detained" in line)
    assert any(m.startswith(f"content/share.toml:{contacts_line}:") and "lawyers" in m for m in messages), messages
    assert any(m.startswith(f"content/share.toml:{statement_line}:") and "rights/hartford.md" in m for m in messages), messages


# -- in the browser: QR codes decode, flyers print on one page, the share page works offline ---------


def render_and_decode(browser: object, svgs: list[str]) -> list[list[str]]:
    """Draw each SVG as a browser does (225 px square), screenshot once, and decode each square."""
    cells = "".join(f'<div class="c">{svg}</div>' for svg in svgs)
    page = browser.new_page(viewport={"width": 1700, "height": 800})  # type: ignore[attr-defined]
    try:
        page.set_content(
            "<!doctype html><style>body{margin:0;display:flex;flex-wrap:wrap}"
            ".c{padding:8px;background:#fff}.c svg{display:block;width:225px;height:225px}</style>" + cells
        )
        image = Image.open(io.BytesIO(page.screenshot(full_page=True))).convert("L")
        boxes = page.eval_on_selector_all(
            ".c", "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.x, r.y, r.right, r.bottom]; })"
        )
    finally:
        page.close()
    return [decode(image.crop(tuple(round(v) for v in box))) for box in boxes]


@pytest.mark.browser
def test_every_qr_code_decodes_to_its_expected_address(browser: object, public_release: Path, release_dir: Path) -> None:
    codes = expected_codes(public_release, PUBLIC)
    # and, built without a public URL, the codes point at the address the server listens on
    codes += [c for c in expected_codes(release_dir, "http://127.0.0.1:8000") if c[0] in ("share/index.html", "es/share/index.html")]
    decoded = render_and_decode(browser, [svg for _, svg, _ in codes])
    wrong = [(rel, want, got) for (rel, _, want), got in zip(codes, decoded, strict=True) if got != [want]]
    assert wrong == []


def watch_errors(page: object, errors: list[str]) -> None:
    """Collect console errors (CSP violations among them) and uncaught exceptions."""

    def on_console(message: object) -> None:
        if message.type == "error":  # type: ignore[attr-defined]
            errors.append(message.text)  # type: ignore[attr-defined]

    page.on("console", on_console)  # type: ignore[attr-defined]
    page.on("pageerror", lambda e: errors.append(str(e)))  # type: ignore[attr-defined]


def pdf_info(pdf: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return dict(line.split(":", 1) for line in out.splitlines() if ":" in line)


def text_sizes(pdf: Path) -> list[float]:
    """The size in points of every piece of text printed in the PDF (its font size times the text and page matrices)."""
    from pypdf import PdfReader

    sizes: list[float] = []

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if text.strip():
            a, b = tm[0] * cm[0] + tm[1] * cm[2], tm[0] * cm[1] + tm[1] * cm[3]
            c, d = tm[2] * cm[0] + tm[3] * cm[2], tm[2] * cm[1] + tm[3] * cm[3]
            sizes.append(size * abs(a * d - b * c) ** 0.5)

    for pdf_page in PdfReader(pdf).pages:
        pdf_page.extract_text(visitor_text=visit)
    return sizes


def print_to_pdf(page: object, tmp_path: Path, name: str, paper: str) -> Path:
    pdf = tmp_path / f"{name}-{paper}.pdf"
    page.pdf(path=str(pdf), format=paper)  # type: ignore[attr-defined]
    return pdf


@pytest.fixture
def print_page(browser: object) -> Iterator[object]:
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    errors: list[str] = []
    watch_errors(page, errors)
    yield page
    context.close()
    assert errors == []


@pytest.mark.browser
@pytest.mark.parametrize("tag", LANGS)
def test_flyer_prints_on_one_page_with_the_address_and_a_code_that_decodes(
    print_page: object, public_site: Server, tmp_path: Path, tag: str
) -> None:
    page = print_page
    page.goto(f"{public_site.url}/{tag}/share/print/")  # type: ignore[attr-defined]
    page.wait_for_selector(".sheet[data-fitted]", state="attached")  # type: ignore[attr-defined]
    page.evaluate("document.fonts.ready.then(() => new Promise(requestAnimationFrame))")  # type: ignore[attr-defined]
    assert float(page.get_attribute(".sheet", "data-fitted")) >= 8  # type: ignore[attr-defined]
    letter = print_to_pdf(page, tmp_path, tag, "Letter")
    assert pdf_info(letter)["Pages"].strip() == "1"
    text = subprocess.run(["pdftotext", "-layout", str(letter), "-"], capture_output=True, text=True, check=True).stdout
    assert f"puente.example.org/{tag}" in text
    for number in LEGAL_PHONES:
        assert number in text, number
    subprocess.run(["pdftoppm", "-r", "100", "-gray", "-png", "-singlefile", str(letter), str(tmp_path / "flyer")], check=True)
    assert decode(Image.open(tmp_path / "flyer.png")) == [f"{PUBLIC}/{tag}/"]
    assert pdf_info(print_to_pdf(page, tmp_path, tag, "A4"))["Pages"].strip() == "1"


@pytest.mark.browser
@pytest.mark.parametrize("tag", LANGS)
def test_wallet_cards_are_card_sized_fit_and_print_several_on_one_page(
    print_page: object, public_site: Server, tmp_path: Path, tag: str
) -> None:
    page = print_page
    page.goto(f"{public_site.url}/{tag}/share/card/")  # type: ignore[attr-defined]
    page.wait_for_selector(".card-face[data-fitted]", state="attached")  # type: ignore[attr-defined]
    page.evaluate("document.fonts.ready.then(() => new Promise(requestAnimationFrame))")  # type: ignore[attr-defined]
    page.emulate_media(media="print")  # type: ignore[attr-defined]
    faces = page.eval_on_selector_all(  # type: ignore[attr-defined]
        ".card-face",
        """els => els.map(e => { const r = e.getBoundingClientRect();
            return {w: r.width, h: r.height, lang: e.lang, over: e.scrollHeight > e.clientHeight + 0.5, pt: parseFloat(e.dataset.fitted)}; })""",
    )
    per_card = 1 if tag == "en" else 2
    assert len(faces) // per_card >= 4, "several cards per page"
    for face in faces:
        assert abs(face["w"] - 85.6 * MM) < 0.5 and abs(face["h"] - 54 * MM) < 0.5, face
        assert not face["over"] and face["pt"] >= 8, face
    assert [f["lang"] for f in faces[:per_card]] == ([tag, "en"] if tag != "en" else ["en"])
    shown = page.eval_on_selector_all(".wallet-card:first-child .card-rights", "lists => lists.map(l => l.querySelectorAll('li:not([hidden])').length)")  # type: ignore[attr-defined]
    assert len(set(shown)) == 1 and shown[0] >= 1, f"the same statements on both faces, at least one: {shown}"
    for paper in ("Letter", "A4"):
        pdf = print_to_pdf(page, tmp_path, tag, paper)
        assert pdf_info(pdf)["Pages"].strip() == "1", paper
    sizes = text_sizes(pdf)
    assert sizes and min(sizes) >= 7.99, f"text of {min(sizes):.2f} pt on the printed card"
    # 150 dpi, half an office printer's: a code read from so coarse a picture is read from any print of it
    subprocess.run(["pdftoppm", "-r", "150", "-gray", "-png", "-singlefile", str(pdf), str(tmp_path / "cards")], check=True)
    codes = decode(Image.open(tmp_path / "cards.png"))
    assert len(codes) == len(faces) // per_card and set(codes) == {f"{PUBLIC}/{tag}/"}, codes


@pytest.mark.browser
def test_share_page_works_offline_with_the_server_stopped(tmp_path: Path, browser: object) -> None:
    server = start_puente(tmp_path)
    context = browser.new_context(service_workers="allow")  # type: ignore[attr-defined]
    try:
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
        context.add_init_script("navigator.share = (data) => { window.__shared = data; return Promise.resolve(); };")
        errors: list[str] = []
        page = context.new_page()
        watch_errors(page, errors)
        page.goto(f"{server.url}/es/")
        page.wait_for_selector("body[data-offline=ready]", timeout=30_000)
        server.stop()
        context.set_offline(True)

        home = f"{server.url}/es/"  # no public URL: the address the server listened on
        response = page.goto(f"{server.url}/es/share/")
        assert response is not None and response.ok and response.from_service_worker
        assert page.locator("#share-notice").is_visible()
        qr = page.locator("#share .qr-code")
        assert qr.bounding_box()["width"] >= 250
        assert decode(Image.open(io.BytesIO(qr.screenshot()))) == [home]
        assert page.locator(".share-address").inner_text() == home.removesuffix("/")
        page.locator("[data-action=copy]").click()
        page.wait_for_selector(".share-status:not(:empty)")  # (wait_for_function would need eval, which the CSP forbids)
        assert page.evaluate("navigator.clipboard.readText()") == home
        page.locator("[data-action=share]").click()
        assert page.evaluate("window.__shared") == {"title": "Puente · Español", "url": home}

        for printed in ("print", "card"):  # the flyer and the wallet cards, with their stylesheet, offline too
            response = page.goto(f"{server.url}/es/share/{printed}/")
            assert response is not None and response.ok and response.from_service_worker, printed
            width = page.evaluate("document.querySelector('.sheet').getBoundingClientRect().width")
            assert abs(width - 184 * MM) < 1, f"print.css is not applied offline: {width}"

        response = page.goto(f"{server.url}/es/services/ciri/")
        assert response is not None and response.from_service_worker
        panel = page.locator("#share")
        assert panel.locator("h2").inner_text() == "Compartir este servicio"
        assert decode(Image.open(io.BytesIO(panel.locator(".qr-code").screenshot()))) == [f"{server.url}/es/services/ciri/"]
        assert errors == []
    finally:
        context.close()
        server.stop()


@pytest.mark.browser
def test_liaison_mode_finds_a_language_by_its_english_name_and_shows_its_code_full_screen(live_server: Server, browser: object) -> None:
    languages = discover(ROOT / "locales")
    page = browser.new_page(viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
    errors: list[str] = []
    watch_errors(page, errors)
    try:
        page.goto(live_server.url + "/share/")
        items = page.locator("#liaison-languages li")
        assert items.count() == len(languages)
        listed = page.locator("#liaison-languages").inner_text()
        for lang in languages:
            assert lang.native_name in listed and lang.english_name in listed
        arabic = next(lang for lang in languages if lang.tag == "ar")
        page.fill("#language-filter", "arab")
        visible = page.locator("#liaison-languages li:visible")
        assert visible.count() == 1 and arabic.native_name in visible.inner_text()
        visible.locator("a").click()
        screen = page.locator("#share-ar")
        assert screen.is_visible()
        box = screen.bounding_box()
        assert box is not None and box["width"] >= 1270 and box["height"] >= 790, "the code fills the screen"
        assert page.evaluate("document.activeElement.id") == "share-ar"
        code = screen.locator(".qr-code")
        assert code.bounding_box()["height"] >= 500
        assert decode(Image.open(io.BytesIO(code.screenshot()))) == [f"{live_server.url}/ar/"]
        page.keyboard.press("Escape")
        page.wait_for_selector("#share-ar", state="hidden")
        for path in ("/es/share/", "/es/share/print/", "/es/share/card/", "/ar/services/ciri/"):
            assert page.goto(live_server.url + path).ok
        assert errors == [], errors  # CSP violations (inline style or script) would show here
    finally:
        page.close()
