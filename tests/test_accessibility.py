"""Accessibility (WCAG 2.2 AA) and the Content Security Policy, in real Chromium against the real server.

Every page of every language (every index.html of the served release, each language's 404 page and
the admin sign-in) is swept at 320 CSS px (a phone, or 400% zoom) and 640 CSS px (200% zoom of a
laptop window): no horizontal scrolling, text of at least 16 px, tap targets of at least 48 x 48 px
(a link inside a sentence excepted, as WCAG does), one <main>, one h1 and no skipped heading level,
labelled navigation, a skip link first, and no CSP violation or console error. In the same visit, at
1280 x 720 (the wide layout), axe-core checks every page of en, es and ar and one page of each kind in
the other languages (PUENTE_AXE_ALL=1: every page). Keyboard order and visible focus, reduced motion and forced colors are checked on one page of
each kind, left to right and right to left; the signed-in admin console gets axe, the sweep (with
WCAG's own 24 px targets: staff on a desktop), focus and CSP checks.
"""

from __future__ import annotations

import functools
import json
import os
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import Server
from .load import served_release

pytestmark = pytest.mark.browser

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
# Sheets made to be printed at a physical size (a flyer, wallet cards): axe, keyboard and CSP apply,
# but their layout and type sizes are those of paper, so they are left out of the reflow and 16 px checks.
PRINTED = re.compile(r"^/[^/]+/share/(print|card)/$")
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""

# One function, evaluated on every page: what a person using a phone, a keyboard or a screen reader meets.
SWEEP = """
({printed, targets = 48}) => {
  const problems = [];
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && el.checkVisibility({visibilityProperty: true, contentVisibilityAuto: true});
  };
  const name = (el) => {
    const cls = el.className && typeof el.className === "string" ? "." + el.className.split(" ")[0] : "";
    return `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${cls} "${(el.textContent || "").trim().slice(0, 30)}"`;
  };
  const root = document.documentElement;
  if (!root.lang) problems.push("<html> has no lang");
  if (!["ltr", "rtl"].includes(root.dir)) problems.push("<html> has no dir");
  if (!printed && root.scrollWidth > root.clientWidth + 1) problems.push(`scrolls sideways: ${root.scrollWidth} px wide in ${root.clientWidth}`);
  // text at least 16 px
  if (!printed) {
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const seen = new Set();
    while (walker.nextNode()) {
      const el = walker.currentNode.parentElement;
      if (!walker.currentNode.textContent.trim() || !el || seen.has(el) || el.closest("svg")) continue;
      seen.add(el);
      const size = parseFloat(getComputedStyle(el).fontSize);
      if (shown(el) && size < 16) problems.push(`text of ${size.toFixed(1)} px: ${name(el)}`);
    }
  }
  // tap targets at least 48 x 48, except a link inside a sentence
  for (const el of targets ? document.querySelectorAll("a[href], button, summary, input, select, textarea, [tabindex]") : []) {
    if (!shown(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.width >= targets - 0.5 && r.height >= targets - 0.5) continue;
    let block = el.parentElement;
    while (block && getComputedStyle(block).display.startsWith("inline")) block = block.parentElement;
    const inSentence = getComputedStyle(el).display === "inline" && block && block.textContent.trim().length > el.textContent.trim().length;
    if (!inSentence) problems.push(`tap target of ${Math.round(r.width)} x ${Math.round(r.height)} px: ${name(el)}`);
  }
  // landmarks and headings
  const mains = document.querySelectorAll("main");
  if (mains.length !== 1) problems.push(`${mains.length} <main> elements`);
  const headings = Array.from(document.querySelectorAll("h1, h2, h3, h4, h5, h6")).filter(shown).map((h) => +h.tagName[1]);
  if (headings[0] !== 1 || headings.filter((l) => l === 1).length !== 1) problems.push(`headings do not start with one h1: ${headings}`);
  headings.forEach((level, i) => { if (i && level > headings[i - 1] + 1) problems.push(`heading level skips from h${headings[i - 1]} to h${level}`); });
  for (const nav of document.querySelectorAll("nav")) if (!nav.getAttribute("aria-label") && !nav.getAttribute("aria-labelledby")) problems.push("a <nav> without a label");
  if (document.querySelector("[tabindex]:not([tabindex='0']):not([tabindex='-1'])")) problems.push("a positive tabindex");
  // the skip link: the first thing a keyboard reaches, and it leads to <main>
  const first = document.querySelector("a[href], button, summary, input, select, textarea, [tabindex='0']");
  if (!document.body.classList.contains("print-sheet") && !(first && first.classList.contains("skip-link") && first.getAttribute("href") === "#" + (mains[0] || {}).id)) {
    problems.push(`the first focusable element is not a skip link to <main>: ${first ? name(first) : "none"}`);
  }
  return problems;
}
"""


# -- the pages -------------------------------------------------------------------------------------


def release_of(server: Server) -> Path:
    return served_release(server.url, server.log.parent / "var")


def every_page(server: Server) -> list[str]:
    """Every page of every language, the 404 pages, and the admin sign-in."""
    root = release_of(server)
    found = [Path(folder) / "index.html" for folder, _, names in os.walk(root, followlinks=True) if "index.html" in names]  # into the language links
    pages = sorted("/" + p.relative_to(root).as_posix().removesuffix("index.html") for p in found)
    languages = [lang["tag"] for lang in json.loads((root / "release.json").read_text())["languages"]]
    pages += ["/no-such-page/"] + [f"/{lang}/no-such-page/" for lang in languages]
    try:
        urllib.request.urlopen(server.url + "/admin/login", timeout=10).close()
        pages.append("/admin/login")
    except OSError:
        pass  # no admin console in this server
    return pages


def one_of_each_kind(server: Server, lang: str) -> list[str]:
    root = release_of(server)
    service = min(p.parent.name for p in (root / lang / "services").glob("*/index.html") if p.parent.name != "category")
    category = min(p.parent.name for p in (root / lang / "services" / "category").glob("*/index.html"))
    kinds = ["", "rights/", "rights/school/", "services/", f"services/category/{category}/", f"services/{service}/", "search/",
             "share/", "about/", "offline/", "no-such-page/"]
    return [f"/{lang}/{k}" for k in kinds if k == "no-such-page/" or (root / lang / k / "index.html").exists()]


@pytest.fixture(scope="module")
def pages(live_server: Server) -> list[str]:
    found = every_page(live_server)
    assert len(found) > 300, "the release has fewer pages than expected"
    return found


# -- axe-core --------------------------------------------------------------------------------------


AXE_OPTIONS = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}


def axe_violations(page: Any, script: str) -> list[str]:
    """axe-core on the page as it is: each violation, with up to three of the elements it was found on."""
    page.evaluate(script)
    found = []
    for v in page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)["violations"]:
        targets = [" ".join(map(str, n["target"])) for n in v["nodes"]][:3]
        found.append(f"{v['id']} ({v['impact']}): {v['help']} at {targets}")
    return found


@functools.cache
def axe_script() -> str:
    from axe_playwright_python.sync_playwright import Axe

    return str(Axe().axe_script)


FULL_AXE = ("en", "es", "ar")  # left to right, the largest draft, right to left


def axe_plan(server: Server, pages: list[str]) -> list[str]:
    """Every page of en, es and ar; one page of each kind in every other language; the pages outside
    any language. PUENTE_AXE_ALL=1 checks every page of every language (about twice as long)."""
    if os.environ.get("PUENTE_AXE_ALL") == "1":
        return pages
    languages = {url.split("/")[1] for url in pages if url.count("/") > 2 and url.split("/")[1] not in ("share", "admin")}
    plan = [url for url in pages if url.split("/")[1] in FULL_AXE or url.split("/")[1] not in languages]
    for lang in sorted(languages - set(FULL_AXE)):
        plan += [*one_of_each_kind(server, lang), f"/{lang}/staff/", f"/{lang}/share/print/", f"/{lang}/share/card/"]
    return [url for url in dict.fromkeys(plan) if url in pages or "no-such-page" in url]


# The sweep of every page is the suite's longest test: it runs in PARTS parts (every PARTS-th page of those
# axe checks and of the others: together every page), so that pytest-xdist's workers share it.
PARTS = 4
PART_IDS = [f"part {n + 1} of {PARTS}" for n in range(PARTS)]


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(service_workers="block", viewport={"width": 320, "height": 640})
    ctx.add_init_script(WATCH_CSP)
    yield ctx
    ctx.close()


@pytest.mark.parametrize("part", range(PARTS), ids=PART_IDS)
def test_every_page_reflows_has_large_text_targets_landmarks_no_csp_violation_and_passes_axe(
    live_server: Server, pages: list[str], context: Any, part: int
) -> None:
    """Each page is opened once: the sweep at 320 px, sideways scrolling at 640 px, its CSP violations, and
    (for the pages of axe_plan) axe-core at 1280 x 720, where the wide layout (48rem and up) applies."""
    page = context.new_page()
    console: list[tuple[str, str, str]] = []
    page.on("console", lambda m: m.type in ("error", "warning") and console.append((m.location.get("url", ""), m.type, m.text)))
    page.on("pageerror", lambda e: console.append((page.url, "pageerror", str(e))))
    problems: list[str] = []
    axe_pages, script = set(axe_plan(live_server, pages)), axe_script()
    mine = [url for url in pages if url in axe_pages][part::PARTS] + [url for url in pages if url not in axe_pages][part::PARTS]  # even parts
    for url in mine:
        response = page.goto(live_server.url + url)
        assert response is not None
        expected = 404 if "no-such-page" in url else 200
        assert response.status == expected, url
        printed = bool(PRINTED.match(url))
        problems += [f"{url} at 320 px: {p}" for p in page.evaluate(SWEEP, {"printed": printed})]
        page.set_viewport_size({"width": 640, "height": 640})  # 200% zoom of a 1280 px wide window
        if not printed and page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth + 1"):
            problems.append(f"{url} at 640 px: scrolls sideways")
        problems += [f"{url}: CSP violation {v}" for v in page.evaluate("window.__csp")]
        if url in axe_pages:
            page.set_viewport_size({"width": 1280, "height": 720})
            problems += [f"{url}: axe {v}" for v in axe_violations(page, script)]
        page.set_viewport_size({"width": 320, "height": 640})
    for where, kind, text in console:
        own_404 = kind == "error" and "404" in text and "no-such-page" in where
        blocked_worker = "Service Worker registration blocked by Playwright" in text  # this sweep runs without the worker
        if not (own_404 or blocked_worker):
            problems.append(f"{where}: console {kind}: {text}")
    assert problems == [], f"{len(problems)} problems:\n" + "\n".join(problems[:60])


def test_axe_catches_a_violation(live_server: Server, context: Any) -> None:
    """The sweep's axe is not blind: the same page with an unlabelled image and an empty link fails it."""
    page = context.new_page()
    page.goto(live_server.url + "/es/")
    assert axe_violations(page, axe_script()) == []
    page.evaluate("() => document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=/x.png><a href=/x></a>')")
    assert {v.split(" ")[0] for v in axe_violations(page, axe_script())} >= {"image-alt", "link-name"}


def test_the_sweep_catches_what_it_looks_for(live_server: Server, context: Any) -> None:
    """Each check of the sweep fails on a page broken on purpose."""
    page = context.new_page()
    page.goto(live_server.url + "/es/services/")
    assert page.evaluate(SWEEP, {"printed": False}) == []
    page.evaluate("""() => {
        const main = document.querySelector("main");
        const wide = document.createElement("div"); wide.setAttribute("style", ""); wide.className = "x"; main.append(wide);
        wide.style.cssText = "width: 900px; height: 1px";
        const small = document.createElement("p"); small.textContent = "tiny"; small.style.fontSize = "12px"; main.append(small);
        const link = document.createElement("a"); link.href = "/x"; link.textContent = "x"; link.style.display = "block"; link.style.width = "20px"; main.append(link);
        const h4 = document.createElement("h4"); h4.textContent = "skipped"; document.querySelector("h1").after(h4);
        document.querySelector(".skip-link").remove();
    }""")
    problems = " | ".join(page.evaluate(SWEEP, {"printed": False}))
    for expected in ("scrolls sideways", "text of 12.0 px", "tap target of 20 x", "skips from h1 to h4", "not a skip link"):
        assert expected in problems, expected


def test_pages_keep_working_with_the_service_worker_and_no_csp_violation(live_server: Server, browser: Any) -> None:
    ctx = browser.new_context(service_workers="allow")
    ctx.add_init_script(WATCH_CSP)
    errors: list[str] = []
    try:
        page = ctx.new_page()
        page.on("console", lambda m: m.type in ("error", "warning") and errors.append(f"{page.url}: {m.type}: {m.text}"))
        page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
        for lang in ("es", "ar"):
            page.goto(f"{live_server.url}/{lang}/")
            page.wait_for_selector("body[data-offline=ready]", timeout=30_000)
            for url in [*one_of_each_kind(live_server, lang), f"/{lang}/share/print/"]:
                page.goto(live_server.url + url)
                errors += [f"{url}: CSP violation {v}" for v in page.evaluate("window.__csp")]
        page.goto(live_server.url + "/#choose")
        errors += [f"/: CSP violation {v}" for v in page.evaluate("window.__csp")]
    finally:
        ctx.close()
    assert [e for e in errors if "no-such-page" not in e] == []


# -- keyboard --------------------------------------------------------------------------------------------

FOCUSABLE = "a[href], button:not([disabled]), summary, input:not([type=hidden]):not([disabled]), select, textarea, [tabindex='0']"
FOCUS_STATE = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const all = Array.from(document.querySelectorAll(FOCUSABLE));
  const cs = getComputedStyle(el), r = el.getBoundingClientRect();
  const x = Math.min(Math.max(r.left + r.width / 2, 0), innerWidth - 1), y = Math.min(Math.max(r.top + r.height / 2, 0), innerHeight - 1);
  const top = document.elementFromPoint(x, y);
  return {
    index: all.indexOf(el),
    what: `${el.tagName.toLowerCase()} "${(el.textContent || "").trim().slice(0, 30)}"`,
    ring: (cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) >= 2) || cs.boxShadow !== "none",
    inView: r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth,
    covered: !(top && (el.contains(top) || top.contains(el))),
  };
}
""".replace("FOCUSABLE", json.dumps(FOCUSABLE))
REACHABLE = """
() => Array.from(document.querySelectorAll(FOCUSABLE)).map((el, i) => {
  const r = el.getBoundingClientRect();
  return r.width > 0 && r.height > 0 && el.checkVisibility({visibilityProperty: true, contentVisibilityAuto: true}) ? i : -1;
}).filter((i) => i >= 0)
""".replace("FOCUSABLE", json.dumps(FOCUSABLE))


LANGUAGES_LISTED = """() => { const list = document.querySelector(".language-menu [data-languages]");
  return !list || list.querySelectorAll("a[lang]").length > 1; }"""


def tab_through(page: Any) -> tuple[list[int], list[str]]:
    """Press Tab until focus leaves the page; return the order reached and any focus problems."""
    order: list[int] = []
    problems: list[str] = []
    expected = page.evaluate(REACHABLE)
    for _ in range(len(expected) + 3):
        page.keyboard.press("Tab")
        state = page.evaluate(FOCUS_STATE)
        if state is None or (order and state["index"] == order[0]):
            break
        order.append(state["index"])
        if not state["ring"]:
            problems.append(f"no visible focus on {state['what']}")
        if not state["inView"]:
            problems.append(f"focus is off screen on {state['what']}")
        elif state["covered"]:
            problems.append(f"focus is hidden under something else on {state['what']}")
    return order, problems


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("width", [320, 1280])
def test_the_keyboard_reaches_every_control_in_order_with_visible_focus(live_server: Server, browser: Any, lang: str, width: int) -> None:
    ctx = browser.new_context(service_workers="block", viewport={"width": width, "height": 800})
    try:
        page = ctx.new_page()
        problems: list[str] = []
        for url in [*one_of_each_kind(live_server, lang), "/"]:
            page.goto(live_server.url + url + ("#choose" if url == "/" else ""))
            page.wait_for_function(LANGUAGES_LISTED)  # app.js fills the language menu after the page loads
            expected = page.evaluate(REACHABLE)
            order, focus_problems = tab_through(page)
            problems += [f"{url}: {p}" for p in focus_problems]
            if order != expected:
                problems.append(f"{url}: Tab reached {order}, the page's controls in order are {expected}")
        assert problems == [], "\n".join(problems)
    finally:
        ctx.close()


@pytest.mark.parametrize("lang", ["es", "fa-AF"])
def test_skip_link_and_language_menu_work_from_the_keyboard(live_server: Server, browser: Any, lang: str) -> None:
    ctx = browser.new_context(service_workers="block", viewport={"width": 360, "height": 740})
    try:
        page = ctx.new_page()
        page.goto(f"{live_server.url}/{lang}/rights/")
        page.keyboard.press("Tab")
        skip = page.locator(".skip-link")
        assert page.evaluate("document.activeElement.className") == "skip-link"
        box = skip.bounding_box()
        assert box and box["y"] >= 0 and box["height"] >= 40 and skip.is_visible(), "the skip link is not visible when focused"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
        page.keyboard.press("Tab")
        assert page.evaluate("!!document.activeElement.closest('main')"), "Tab after the skip link left <main>"

        page.goto(f"{live_server.url}/{lang}/rights/")
        page.locator(".language-menu summary").focus()
        page.keyboard.press("Enter")
        assert page.locator(".language-menu").get_attribute("open") is not None
        page.keyboard.press("Tab")
        assert page.evaluate("!!document.activeElement.closest('.language-menu ul')"), "the open language list is not next in order"
        target = page.evaluate("document.activeElement.getAttribute('href')")
        page.keyboard.press("Enter")
        page.wait_for_url(live_server.url + target)
        page.keyboard.press("Escape")
    finally:
        ctx.close()


# -- reduced motion, forced colors --------------------------------------------------------------------------

MOTION = """
() => {
  const moving = [];
  for (const el of [document.documentElement, ...document.querySelectorAll("*")]) {
    const cs = getComputedStyle(el);
    const seconds = (v) => Math.max(...v.split(",").map((t) => parseFloat(t) * (t.trim().endsWith("ms") ? 0.001 : 1)));
    if (cs.animationName !== "none" && seconds(cs.animationDuration) > 0.01) moving.push(`animation on ${el.tagName}`);
    if (seconds(cs.transitionDuration) > 0.01) moving.push(`transition on ${el.tagName}.${el.className}`);
  }
  if (getComputedStyle(document.documentElement).scrollBehavior === "smooth") moving.push("smooth scrolling");
  return moving;
}
"""


def test_nothing_moves_when_the_reader_asks_for_reduced_motion(live_server: Server, browser: Any) -> None:
    ctx = browser.new_context(service_workers="block", reduced_motion="reduce")
    try:
        page = ctx.new_page()
        moving = []
        for url in [*one_of_each_kind(live_server, "en"), "/#choose", "/en/share/print/"]:
            page.goto(live_server.url + url)
            page.keyboard.press("Tab")  # a focused control too
            moving += [f"{url}: {m}" for m in page.evaluate(MOTION)]
        assert moving == []
    finally:
        ctx.close()


FORCED = """
() => {
  const problems = [];
  for (const el of document.querySelectorAll("button, .quick-exit, .cards a, .languages a, .category-nav a, .notice, input")) {
    const cs = getComputedStyle(el);
    if (el.getBoundingClientRect().width && (cs.borderTopStyle === "none" || parseFloat(cs.borderTopWidth) < 1))
      problems.push(`no border in forced colors: ${el.tagName}.${el.className} "${el.textContent.trim().slice(0, 20)}"`);
  }
  for (const el of document.querySelectorAll("*")) {
    if (getComputedStyle(el).forcedColorAdjust === "none" && !el.closest("svg, .qr"))
      problems.push(`forced-color-adjust: none on ${el.tagName}.${el.className}`);
  }
  return problems;
}
"""


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_forced_colors_keep_boundaries_and_focus_visible(live_server: Server, browser: Any, lang: str) -> None:
    ctx = browser.new_context(service_workers="block", forced_colors="active", viewport={"width": 400, "height": 800})
    try:
        page = ctx.new_page()
        assert page.evaluate("matchMedia('(forced-colors: active)').matches")
        problems = []
        for url in [*one_of_each_kind(live_server, lang), "/#choose"]:
            page.goto(live_server.url + url)
            problems += [f"{url}: {p}" for p in page.evaluate(FORCED)]
            _, focus = tab_through(page)
            problems += [f"{url}: {p}" for p in focus if "no visible focus" in p]
        assert problems == [], "\n".join(problems)
    finally:
        ctx.close()


# -- the admin console -------------------------------------------------------------------------------------

ADMIN_PAGES = ["/admin/", "/admin/pages/rights/hartford/", "/admin/services/ciri/", "/admin/notices/", "/admin/translations/",
               "/admin/preview/es/", "/admin/preview/ar/services/", "/admin/publish", "/admin/add/page", "/admin/add/service",
               "/admin/notices/?delete=none",
               "/admin/translations/es/units", "/admin/translations/ar/units?state=translated&page=2", "/admin/accounts/", "/admin/languages/"]


def test_the_admin_console_is_accessible_and_keeps_the_csp(tmp_path: Path, release_dir: Path, browser: Any) -> None:
    from backend.web.admin.auth import Accounts

    from .conftest import make_config, seed, start_puente

    server = start_puente(tmp_path, *seed(tmp_path, release_dir))
    Accounts(make_config(tmp_path)).add("ana", "correct horse battery staple")
    ctx = browser.new_context(service_workers="block", viewport={"width": 320, "height": 640})
    ctx.add_init_script(WATCH_CSP)
    problems: list[str] = []
    try:
        page = ctx.new_page()
        page.on("console", lambda m: m.type in ("error", "warning") and "blocked by Playwright" not in m.text
                and problems.append(f"{page.url}: console {m.type}: {m.text}"))
        page.goto(server.url + "/admin/login")
        page.fill("input[name=name]", "ana")
        page.fill("input[name=password]", "correct horse battery staple")
        page.keyboard.press("Enter")
        page.wait_for_url(server.url + "/admin/", timeout=120_000)  # the first dashboard checks the content (3 s alone; more on a shared machine)
        script = axe_script()
        for url in ADMIN_PAGES:
            response = page.goto(server.url + url)
            assert response is not None and response.status == 200, url
            problems += [f"{url}: axe {v}" for v in axe_violations(page, script)]
            # staff on a desktop: WCAG's own 24 px targets (axe's target-size), not the 48 px of families' phones
            problems += [f"{url} at 320 px: {p}" for p in page.evaluate(SWEEP, {"printed": False, "targets": 0})]
            problems += [f"{url}: CSP violation {v}" for v in page.evaluate("window.__csp")]
            _, focus = tab_through(page)
            problems += [f"{url}: {p}" for p in focus]
    finally:
        ctx.close()
        server.stop()
    assert problems == [], "\n".join(problems)
