"""Sign-in that cannot be turned against the site or its owner: timing parity, lockout per account and
client with backoff, limits shared by workers and bounded, failures tallied in the audit log, a clear
page on a full or read-only disk, sessions that end with a password change, the CLI's account commands,
and a CSRF token on the sign-in form."""

from __future__ import annotations

import contextlib
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from backend import releases
from backend.config import Config
from backend.web.admin import limits
from backend.web.admin.auth import COOKIE, Accounts, Sessions
from backend.web.admin.limits import Limiter
from backend.web.app import create_server_app

from .conftest import ROOT, make_config, seed, small_filesystem

PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def cfg(tmp_path: Path, release_dir: Path) -> Config:
    """A data directory serving the suite's release, with one account."""
    seed(tmp_path, release_dir)
    cfg = make_config(tmp_path)
    releases.set_current(cfg, releases.listing(cfg)[0]["id"])
    Accounts(cfg).add("ana", PASSWORD)
    return cfg


@pytest.fixture
def app(cfg: Config) -> Any:
    return create_server_app(cfg)


@contextlib.contextmanager
def browser_at(app: Any, address: str) -> Iterator[TestClient]:
    """A browser at a client address of its own, with its own cookies."""
    with TestClient(app, base_url="https://testserver", client=(address, 40000), follow_redirects=False,
                    raise_server_exceptions=False) as c:
        yield c


def form_token(c: TestClient) -> str:
    m = CSRF.search(c.get("/admin/login").text)
    return m.group(1) if m else ""


def login(c: TestClient, name: str = "ana", password: str = PASSWORD, token: str | None = None) -> Any:
    return c.post("/admin/login", data={"name": name, "password": password, "csrf": form_token(c) if token is None else token})


def data_size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and "releases" not in p.relative_to(root).parts)


# -- timing, lockout, limits -----------------------------------------------------------------------------


def test_an_unknown_name_costs_what_a_wrong_password_costs(app: Any) -> None:
    """Medians over repeated tries, each from its own address (so no limit interferes), alternating. The cost is
    the CPU time this process spent on the request (the app runs in it): the work an attacker's clock would
    measure, without the noise of other processes sharing the cores (the suite runs in parallel)."""
    took: dict[str, list[float]] = {"unknown": [], "wrong": []}
    for n in range(15):
        for kind in (("unknown", "wrong") if n % 2 else ("wrong", "unknown")):
            with browser_at(app, f"10.{n}.{len(took[kind])}.{1 if kind == 'wrong' else 2}") as c:
                token = form_token(c)
                started = time.process_time()
                r = login(c, "ana" if kind == "wrong" else f"nobody{n}", "not the password", token=token)
                took[kind].append(time.process_time() - started)
                assert r.status_code == 401
    unknown, wrong = statistics.median(took["unknown"]), statistics.median(took["wrong"])
    assert 0.75 < unknown / wrong < 1.33, f"unknown name {unknown * 1000:.0f} ms, wrong password {wrong * 1000:.0f} ms"


def test_a_strangers_guesses_do_not_lock_out_the_owner(app: Any) -> None:
    with browser_at(app, "203.0.113.9") as stranger:
        for _ in range(5):
            assert login(stranger, password="guess guess guess").status_code == 401
        refused = login(stranger)  # even the right password, from there
        assert refused.status_code == 429 and "Wait 1 minute" in refused.text
    with browser_at(app, "198.51.100.7") as owner:
        assert login(owner).status_code == 303


def test_a_lock_backs_off_and_then_lifts(cfg: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1_000_000.0]
    monkeypatch.setattr(limits.time, "time", lambda: clock[0])
    limiter = Limiter(cfg)
    for _ in range(5):
        limiter.attempt("ana", "203.0.113.9")
    assert limiter.wait("ana", "203.0.113.9") == pytest.approx(60)
    clock[0] += 61
    assert limiter.wait("ana", "203.0.113.9") == 0
    limiter.attempt("ana", "203.0.113.9")  # wrong again: twice as long
    assert limiter.wait("ana", "203.0.113.9") == pytest.approx(120)
    clock[0] += 121
    limiter.attempt("ana", "203.0.113.9")
    assert limiter.wait("ana", "203.0.113.9") == pytest.approx(240)
    assert limits.lock_seconds(40, 5) == limits.LONGEST_LOCK  # at most an hour
    clock[0] += 241 + limits.WINDOW + 1  # quiet for a window after its lock: forgotten
    limiter.attempt("ana", "203.0.113.9")
    assert limiter.wait("ana", "203.0.113.9") == 0


def test_limits_are_shared_by_every_worker(cfg: Config) -> None:
    """Two apps on one data directory, as two worker processes are: five failures spread over both lock the sixth."""
    workers = [create_server_app(cfg), create_server_app(cfg)]
    for n in range(5):
        with browser_at(workers[n % 2], "203.0.113.20") as c:
            assert login(c, password="guess guess guess").status_code == 401
    with browser_at(workers[1], "203.0.113.20") as c:
        assert login(c).status_code == 429


def test_the_limiters_state_is_bounded(cfg: Config) -> None:
    limiter = Limiter(cfg, max_keys=300)
    for n in range(2000):
        limiter.attempt(f"name-{n}", f"198.18.{n // 250}.{n % 250}")
    assert limiter.keys() <= 300
    assert limiter.path.stat().st_size < 100_000
    assert b"198.18." not in limiter.path.read_bytes()  # addresses are kept only as keyed hashes


def test_two_thousand_failed_sign_ins_grow_the_data_dir_by_under_200_kb(app: Any, cfg: Config) -> None:
    before = data_size(cfg.data)
    statuses: dict[int, int] = {}
    with contextlib.ExitStack() as stack:
        clients = [stack.enter_context(browser_at(app, f"192.0.2.{n}")) for n in range(4)]
        tokens = [form_token(c) for c in clients]
        for n in range(2000):
            r = login(clients[n % 4], f"administrator-guess-{n:05d}", "password123 password123", token=tokens[n % 4])
            statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
    assert set(statuses) == {401, 429}, statuses
    Limiter(cfg).flush()
    grown = data_size(cfg.data) - before
    assert grown < 200_000, f"{grown:,} bytes for 2,000 failed sign-ins"
    tally = [a for a in releases.read_audit(cfg) if a["action"] == "login-failures"]
    assert sum(a["failed"] + a["refused"] for a in tally) == 2000
    assert all(set(a["accounts"]) <= {limits.UNKNOWN} for a in tally)  # typed names are not accounts: one count, not 2,000 names


# -- a full or read-only data directory ---------------------------------------------------------------------


def small_data_dir(tmp: Path, outside: Path) -> Config:
    """A data directory on the small disk mounted at tmp/var, its releases on a bigger one, with one account."""
    (tmp / "var" / "releases").symlink_to(outside / "var" / "releases")
    cfg = make_config(tmp)
    releases.set_current(cfg, releases.listing(cfg)[0]["id"])
    Accounts(cfg).add("ana", PASSWORD)
    return cfg


def test_a_full_or_read_only_data_dir_gives_a_clear_page(tmp_path: Path, release_dir: Path) -> None:
    outside = tmp_path / "outside"
    seed(outside, release_dir)  # the release lives elsewhere; the small disk holds the rest
    with small_filesystem(tmp_path / "full" / "var", "1m") as data:
        app = create_server_app(small_data_dir(tmp_path / "full", outside))
        with browser_at(app, "192.0.2.1") as admin, browser_at(app, "192.0.2.2") as other:
            assert login(admin).status_code == 303
            csrf = CSRF.search(admin.get("/admin/translations/").text).group(1)  # type: ignore[union-attr]
            token = form_token(other)
            with contextlib.suppress(OSError), (data / "filler").open("wb") as f:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            for response in (login(other, token=token),
                             admin.post("/admin/translations/es/", data={"csrf": csrf},
                                        files={"file": ("es.po", (ROOT / "locales/es/LC_MESSAGES/messages.po").read_bytes(), "text/plain")})):
                assert response.status_code == 503, response.text
                assert "The server cannot save: its disk is full" in response.text and "Traceback" not in response.text
            assert admin.get("/es/").status_code == 200  # families are served throughout
    with small_filesystem(tmp_path / "ro" / "var", "1m") as data:
        cfg = small_data_dir(tmp_path / "ro", outside)
        subprocess.run(["mount", "-o", "remount,ro", str(data)], check=True)
        app = create_server_app(cfg)
        with browser_at(app, "192.0.2.3") as c:
            response = login(c)
            assert response.status_code == 503 and "read-only" in response.text, response.text
            assert c.get("/es/").status_code == 200


# -- sessions ---------------------------------------------------------------------------------------------


def test_changing_a_password_ends_the_accounts_other_sessions(app: Any) -> None:
    with browser_at(app, "192.0.2.10") as here, browser_at(app, "192.0.2.11") as there:
        assert login(here).status_code == 303 and login(there).status_code == 303
        csrf = CSRF.search(here.get("/admin/password").text).group(1)  # type: ignore[union-attr]
        new = "a different long password"
        wrong = here.post("/admin/password", data={"csrf": csrf, "current": "not it at all", "new": new, "again": new})
        assert wrong.status_code == 401
        r = here.post("/admin/password", data={"csrf": csrf, "current": PASSWORD, "new": new, "again": new})
        assert r.status_code == 200 and "1 other session ended" in r.text
        assert there.get("/admin/").status_code == 303  # signed out there
        assert here.get("/admin/").status_code == 200  # not here
    with browser_at(app, "192.0.2.12") as third:
        assert login(third).status_code == 401
        assert login(third, password=new).status_code == 303


def cli(cfg: Config, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "serve.py"), *args, "--data", str(cfg.data)], input=stdin,
                          capture_output=True, text=True, timeout=60)


def test_admin_passwd_remove_and_sessions_revoke(app: Any, cfg: Config) -> None:
    Accounts(cfg).add("rosa", PASSWORD)
    with browser_at(app, "192.0.2.20") as ana, browser_at(app, "192.0.2.21") as rosa:
        assert login(ana).status_code == 303 and login(rosa, "rosa").status_code == 303
        listed = cli(cfg, "admin", "sessions")
        assert listed.returncode == 0 and re.search(r"^ana\s", listed.stdout, re.M) and re.search(r"^rosa\s", listed.stdout, re.M)
        changed = cli(cfg, "admin", "passwd", "ana", stdin="another long password\n")
        assert changed.returncode == 0 and "1 session ended" in changed.stdout, changed.stderr
        assert ana.get("/admin/").status_code == 303 and rosa.get("/admin/").status_code == 200
        assert Accounts(cfg).check("ana", "another long password") and not Accounts(cfg).check("ana", PASSWORD)
        revoked = cli(cfg, "admin", "sessions", "--revoke", "rosa")
        assert revoked.returncode == 0 and "ended 1 session of rosa" in revoked.stdout
        assert rosa.get("/admin/").status_code == 303
        assert login(rosa, "rosa").status_code == 303
        removed = cli(cfg, "admin", "remove", "rosa")
        assert removed.returncode == 0 and "1 session ended" in removed.stdout
        assert rosa.get("/admin/").status_code == 303 and "rosa" not in Accounts(cfg).names()
        assert login(rosa, "rosa").status_code == 401
    assert cli(cfg, "admin", "passwd", "nobody", stdin="a long enough password\n").returncode == 1
    actions = [a["action"] for a in releases.read_audit(cfg)]
    assert {"password-changed", "sessions-revoked", "account-removed"} <= set(actions)
    assert Sessions(cfg).listing() == []


def test_the_sign_in_form_carries_a_csrf_token(app: Any) -> None:
    with browser_at(app, "192.0.2.30") as c, browser_at(app, "192.0.2.31") as elsewhere:
        assert form_token(c)
        for token in ("", "forged", form_token(elsewhere)):  # none, made up, or another browser's
            r = login(c, token=token)
            assert r.status_code == 403 and COOKIE not in r.headers.get("set-cookie", ""), token
        assert login(c).status_code == 303


def test_two_workers_share_the_limits(tmp_path: Path, release_dir: Path) -> None:
    """The real server with --workers 2: five failures, whichever worker answered each, lock the sixth."""
    import http.cookiejar
    import urllib.error
    import urllib.parse
    import urllib.request

    from .conftest import start_puente

    extra = seed(tmp_path, release_dir)
    cfg = make_config(tmp_path)
    Accounts(cfg).add("ana", PASSWORD)
    server = start_puente(tmp_path, "--workers", "2", *extra, env={"PUENTE_WORKERS": "2"})
    try:
        def attempt(password: str) -> int:
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
            with opener.open(server.url + "/admin/login", timeout=30) as r:
                token = CSRF.search(r.read().decode()).group(1)  # type: ignore[union-attr]
            body = urllib.parse.urlencode({"name": "ana", "password": password, "csrf": token}).encode()
            request = urllib.request.Request(server.url + "/admin/login", data=body, headers={"Connection": "close"})
            try:
                with opener.open(request, timeout=30) as r:
                    return int(r.status)
            except urllib.error.HTTPError as e:
                return int(e.code)

        assert [attempt("guess guess guess") for _ in range(5)] == [401] * 5
        assert attempt(PASSWORD) == 429
    finally:
        server.stop()
    assert os.path.getsize(cfg.data / "signin.sqlite") > 0
