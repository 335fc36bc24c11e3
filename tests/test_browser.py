"""Real Chromium against the real server: install, quick exit, and what enhances a page."""

from __future__ import annotations

import pytest

from .conftest import CHROMIUM, CHROMIUM_ARGS, Server

pytestmark = pytest.mark.browser

EXIT = "https://www.weather.gov/"
IPHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


@pytest.fixture
def context(browser):  # type: ignore[no-untyped-def]
    ctx = browser.new_context()
    # The neutral site is answered here, so no test request ever leaves this machine.
    ctx.route(EXIT + "**", lambda route: route.fulfill(status=200, content_type="text/html", body="<title>Weather</title><h1>Weather</h1>"))
    yield ctx
    ctx.close()


def test_manifest_makes_the_app_installable(live_server: Server, playwright, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # a persistent profile: Chromium never offers to install from an incognito context
    ctx = playwright.chromium.launch_persistent_context(str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        page = ctx.new_page()
        page.goto(live_server.url + "/es/")
        page.wait_for_selector("body[data-offline=ready]", timeout=30_000)
        cdp = ctx.new_cdp_session(page)
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["url"].endswith("/es/manifest.webmanifest")
        assert manifest["errors"] == []
        errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
        assert errors == [], errors
    finally:
        ctx.close()


def test_install_button_appears_with_the_browsers_prompt(live_server: Server, context) -> None:  # type: ignore[no-untyped-def]
    page = context.new_page()
    page.goto(live_server.url + "/es/")
    assert page.locator("#install").is_hidden()
    page.evaluate(
        """() => {
        const e = new Event('beforeinstallprompt', {cancelable: true});
        e.prompt = () => { window.__prompted = true; };
        e.userChoice = Promise.resolve({outcome: 'accepted'});
        window.dispatchEvent(e);
    }"""
    )
    button = page.locator("#install-button")
    assert button.is_visible()
    assert button.inner_text() == "Instalar la aplicación"
    button.click()
    page.wait_for_function("window.__prompted === true")
    page.wait_for_selector("#install", state="hidden")


def test_iphone_gets_add_to_home_screen_steps(live_server: Server, browser) -> None:  # type: ignore[no-untyped-def]
    ctx = browser.new_context(user_agent=IPHONE_UA, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        page = ctx.new_page()
        page.goto(live_server.url + "/es/")
        steps = page.locator("#ios-install")
        assert steps.is_visible()  # in the banner near the top, open at once
        assert steps.locator("li").count() == 4
        assert "Compartir" in steps.inner_text()
        assert page.locator("#install").is_hidden()
    finally:
        ctx.close()


def test_other_browsers_do_not_see_iphone_steps(live_server: Server, context) -> None:  # type: ignore[no-untyped-def]
    page = context.new_page()
    page.goto(live_server.url + "/es/")
    assert page.locator("#ios-install").is_hidden()


def test_quick_exit_button_replaces_the_page_without_a_back_entry(live_server: Server, context) -> None:  # type: ignore[no-untyped-def]
    page = context.new_page()
    page.goto(live_server.url + "/es/")
    page.goto(live_server.url + "/es/rights/hartford/")
    length = page.evaluate("history.length")
    page.get_by_role("link", name="Salida rápida").click()
    page.wait_for_url(EXIT)
    assert page.evaluate("history.length") == length, "quick exit added a history entry"
    page.go_back()
    page.wait_for_url(EXIT)  # back lands on an app page, which sends the reader straight on again
    assert page.title() == "Weather"


def test_shift_three_times_exits(live_server: Server, context) -> None:  # type: ignore[no-untyped-def]
    page = context.new_page()
    page.goto(live_server.url + "/es/services/")
    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    assert page.url.startswith(live_server.url)
    page.keyboard.press("Shift")
    page.wait_for_url(EXIT)


def test_two_shifts_and_typing_do_not_exit(live_server: Server, context) -> None:  # type: ignore[no-untyped-def]
    page = context.new_page()
    page.goto(live_server.url + "/es/")
    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    page.wait_for_timeout(2100)
    page.keyboard.press("Shift")
    page.wait_for_timeout(300)
    assert page.url == live_server.url + "/es/"


def test_the_app_opens_normally_after_an_exit_when_typed_in_again(live_server: Server, context) -> None:  # type: ignore[no-untyped-def]
    page = context.new_page()
    page.goto(live_server.url + "/es/")
    page.get_by_role("link", name="Salida rápida").click()
    page.wait_for_url(EXIT)
    page.goto(live_server.url + "/es/services/")
    page.wait_for_timeout(300)
    assert page.url == live_server.url + "/es/services/"


def test_chooser_goes_to_the_remembered_language(live_server: Server, context) -> None:  # type: ignore[no-untyped-def]
    page = context.new_page()
    page.goto(live_server.url + "/es/")
    page.goto(live_server.url + "/")
    page.wait_for_url(live_server.url + "/es/")
    page.goto(live_server.url + "/#choose")  # the language link on every page shows the list instead
    assert page.locator("#languages a").count() >= 2
    assert page.url.endswith("/#choose")


def test_chooser_without_javascript_shows_the_list(live_server: Server, browser) -> None:  # type: ignore[no-untyped-def]
    ctx = browser.new_context(java_script_enabled=False)
    try:
        page = ctx.new_page()
        page.goto(live_server.url + "/")
        names = page.locator("#languages a .native").all_inner_texts()
        assert "English" in names and "Español" in names
    finally:
        ctx.close()


def test_stale_notice_appears_on_a_saved_page_once_its_date_passes(live_server: Server, browser) -> None:  # type: ignore[no-untyped-def]
    """A page built before review_by still warns the reader when read after it."""
    ctx = browser.new_context()
    try:
        page = ctx.new_page()
        page.goto(live_server.url + "/es/")
        page.evaluate(
            "() => { const n = document.getElementById('stale-notice'); n.hidden = true; n.dataset.reviewBy = '2999-01-01'; }"
        )
        page.add_script_tag(url=page.eval_on_selector("script[src]", "s => s.src"))
        assert page.locator("#stale-notice").is_hidden()  # not yet due: stays hidden
        page.evaluate(
            "() => { const n = document.getElementById('stale-notice'); n.dataset.reviewBy = '2000-01-01'; }"
        )
        page.add_script_tag(url=page.eval_on_selector("script[src]", "s => s.src"))
        assert page.locator("#stale-notice").is_visible()
    finally:
        ctx.close()
