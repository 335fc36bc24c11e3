"""The production recipes, tested rather than just written: the Dockerfile (hadolint, and its stages and
paths against the package), the compose file, the systemd unit (systemd-analyze), and Debian's nginx in
front with the generated config, on loopback: the offline browser test through it, /admin/ and /api/ proxied."""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
import sys
import tomllib
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from backend.config import SETTINGS
from backend.deploy import Nginx, nginx_conf
from backend.policy import HEADERS

from .conftest import ROOT, Server, free_port, pack_copy, seed, start_puente, wait_until_up
from .test_offline import check_offline_language

DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "deploy" / "compose.yaml"
UNIT = ROOT / "deploy" / "puente.service"
ENV_NAMES = {s.env for s in SETTINGS}


def tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    assert found, f"{name} is missing: run `bash tests/run.sh`, which installs it"
    return found


def stages() -> dict[str, list[tuple[str, str]]]:
    """Dockerfile stage name -> its (instruction, arguments), continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    out: dict[str, list[tuple[str, str]]] = {}
    current = ""
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        instruction, _, args = line.strip().partition(" ")
        if instruction == "FROM":
            current = args.split(" AS ")[-1].strip()
            out[current] = []
        out[current].append((instruction, args.strip()))
    return out


def test_the_dockerfile_passes_hadolint() -> None:
    run = subprocess.run([tool("hadolint"), str(DOCKERFILE)], capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_dockerfiles_stages_and_paths_match_the_package() -> None:
    s = stages()
    assert list(s) == ["build", "proxy", "app"], "multi-stage, the app last (the default target)"
    copied = {src.rstrip("/") for ins, args in s["build"] if ins == "COPY" for src in args.split()[:-1]}
    setup = (ROOT / "setup.py").read_text()
    for folder in [*re.findall(r'"backend\.\w+": "(\w+)"', setup), "backend", "pyproject.toml", "setup.py", "README.md"]:
        assert folder in copied, f"the build stage does not copy {folder}, which the wheel needs"
    for ins, args in [*s["build"], *s["proxy"], *s["app"]]:
        if ins == "COPY" and not args.startswith("--from"):
            for src in args.split()[:-1]:
                assert (ROOT / src).exists(), f"COPY {src}: no such file in the repository"

    app = {ins: args for ins, args in s["app"]}
    user = app["USER"]
    assert re.fullmatch(r"[1-9]\d*:[1-9]\d*", user), f"the app runs as a numeric non-root user, not {user}"
    env = dict(re.findall(r"(\w+)=(\S+)", app["ENV"]))
    assert {k for k in env if k.startswith("PUENTE_")} <= ENV_NAMES, "an ENV names a setting that does not exist"
    home = env["XDG_DATA_HOME"] + "/puente"
    assert app["VOLUME"] == f'["{home}"]' and app["WORKDIR"] == home, "the data directory is the volume"
    assert "/healthz" in app["HEALTHCHECK"] and f":{env['PUENTE_PORT']}/" in app["HEALTHCHECK"]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert app["CMD"] == '["puente", "serve"]' and scripts["puente"] == "backend.cli:main"
    assert any(ins == "RUN" and "nginx-light" in args for ins, args in s["proxy"]), "Debian's nginx"
    assert ("COPY", "deploy/nginx.conf /etc/nginx/nginx.conf") in s["proxy"]


def test_compose_puts_nginx_in_front_on_the_same_volume_read_only() -> None:
    compose = yaml.safe_load(COMPOSE.read_text())
    app, proxy = compose["services"]["app"], compose["services"]["proxy"]
    assert app["build"]["target"] == "app" and proxy["build"]["target"] == "proxy"
    volume, mount = app["volumes"][0].split(":")
    assert proxy["volumes"] == [f"{volume}:{mount}:ro"] and volume in compose["volumes"]
    assert set(app["environment"]) - {"FORWARDED_ALLOW_IPS"} <= ENV_NAMES
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    assert f"alias {mount}/var/site/;" in conf, "nginx serves the release the app publishes into the volume"
    assert "server app:8000;" in conf and "8000" in app["expose"]


def test_the_committed_nginx_conf_is_what_the_generator_writes() -> None:
    generated = nginx_conf(Nginx(root="/var/lib/puente/var/site", upstream="app:8000"))
    assert (ROOT / "deploy" / "nginx.conf").read_text() == generated, "run: python serve.py nginx-config --root /var/lib/puente/var/site --upstream app:8000 > deploy/nginx.conf"


def test_the_systemd_unit_verifies_and_is_hardened(tmp_path: Path) -> None:
    text = UNIT.read_text()
    settings = dict(re.findall(r"^(\w+)=(.*)$", text, re.MULTILINE))
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
                       "PrivateDevices": "yes", "CapabilityBoundingSet": "", "RestrictSUIDSGID": "yes", "MemoryDenyWriteExecute": "yes",
                       "StateDirectory": "puente", "User": "puente"}.items():
        assert settings.get(key) == value, key
    assert settings["ExecStart"].endswith("/bin/puente serve")
    env = dict(re.findall(r"^Environment=(\w+)=(.*)$", text, re.MULTILINE))
    assert {k for k in env if k.startswith("PUENTE_")} <= ENV_NAMES and env["XDG_DATA_HOME"] + "/" + settings["StateDirectory"] == settings["WorkingDirectory"]
    # systemd-analyze checks every directive; it also wants ExecStart's program to exist, so point it at one that does
    copy = tmp_path / "puente.service"
    copy.write_text(text.replace(settings["ExecStart"].split()[0], sys.executable))
    run = subprocess.run([tool("systemd-analyze"), "verify", str(copy)], capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0 and not run.stderr.strip(), run.stderr


# -- nginx in front, for real -------------------------------------------------------------


@dataclass
class Front:
    """nginx on loopback in front of `puente serve`: stopping it stops both (the offline test stops "the server")."""

    nginx: Server
    app: Server

    @property
    def url(self) -> str:
        return self.nginx.url

    def stop(self) -> None:
        self.nginx.stop()
        self.app.stop()

    def output(self) -> str:
        return self.nginx.output() + self.app.output()


def start_nginx(tmp: Path, root: Path, upstream: str) -> Server:
    """Debian's nginx with the generated config, serving `root` and passing the rest to `upstream`."""
    work = tmp / "nginx"
    work.mkdir()
    port = free_port()
    n = Nginx(root=str(root), upstream=upstream, listen=f"127.0.0.1:{port}",
              pid=str(work / "nginx.pid"), temp=str(work), error_log=str(work / "error.log"),
              user="root" if os.geteuid() == 0 else "")  # pytest's folders are private: workers read them as we do
    (work / "nginx.conf").write_text(nginx_conf(n))
    log = work / "out.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([tool("nginx"), "-p", str(work), "-c", str(work / "nginx.conf"), "-g", "daemon off;"], stdout=out, stderr=subprocess.STDOUT)
    return Server(f"http://127.0.0.1:{port}", proc, log)


def start_front(tmp: Path, release_dir: Path) -> Front:
    app = start_puente(tmp, *seed(tmp, release_dir))
    front = Front(start_nginx(tmp, tmp / "var" / "site", app.url.removeprefix("http://")), app)
    try:
        wait_until_up(front.url + "/healthz", front.nginx.proc)
    except RuntimeError:
        front.stop()
        raise AssertionError(front.output() + (tmp / "nginx" / "error.log").read_text(errors="replace")) from None
    return front


@pytest.fixture
def front(tmp_path: Path, release_dir: Path) -> Iterator[Front]:
    f = start_front(tmp_path, release_dir)
    yield f
    f.stop()


def _get(url: str) -> tuple[int, dict[str, list[str]], bytes]:
    """(status, headers, body uncompressed), asking for gzip as a phone does."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    try:
        with urllib.request.urlopen(request) as r:
            status, headers, body = r.status, _headers(r.headers), r.read()
    except urllib.error.HTTPError as e:
        status, headers, body = e.code, _headers(e.headers), e.read()
    return status, headers, gzip.decompress(body) if headers.get("content-encoding") == ["gzip"] else body


def _headers(h: object) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in h.items():  # type: ignore[attr-defined]
        out.setdefault(k.lower(), []).append(v)
    return out


def test_nginx_serves_the_release_with_the_apps_headers_and_proxies_admin_and_api(front: Front, release_dir: Path) -> None:
    status, h, body = _get(front.url + "/es/")
    assert status == 200 and h["content-encoding"] == ["gzip"] and "/" not in h.get("server", [""])[0], "no version in Server"
    for name, value in HEADERS:
        assert h[name.lower()] == [value], name
    assert h["cache-control"] == ["public, max-age=300"]
    css = re.search(rb'href="(/static/app\.[0-9a-f]{12}\.css)"', (release_dir / "es" / "index.html").read_bytes())
    assert css and _get(front.url + css.group(1).decode())[1]["cache-control"] == ["public, max-age=315360000, immutable"]
    sw = _get(front.url + "/sw.js")[1]
    assert sw["cache-control"] == ["no-cache"] and sw["service-worker-allowed"] == ["/"]
    assert _get(front.url + "/release.json")[0] == 404
    missing = _get(front.url + "/es/no-such-page/")
    assert missing[0] == 404 and b"<h1>" in missing[2]

    status, h, body = _get(front.url + "/admin/login")  # from the app, through nginx: its own caching, headers once
    assert status == 200 and h["cache-control"] == ["no-store"] and b"<form" in body
    for name, value in HEADERS:
        assert h[name.lower()] == [value], f"{name} must be sent once"
    status, h, body = _get(front.url + "/api/hsds/")
    assert status == 200 and b'"version": "3.0"' in body and h["access-control-allow-origin"] == ["*"]
    status, h, body = _get(front.url + "/healthz")
    assert status == 200 and b'"status":"ok"' in body.replace(b" ", b"") and h["cache-control"] == ["no-store"]


def test_nginx_serves_a_published_release_through_its_language_links(tmp_path: Path) -> None:
    """A publish links each language's folder from releases/shared/: nginx follows the links (as the app does)."""
    from backend import releases

    cfg = pack_copy(tmp_path, languages=("es",))
    releases.publish(cfg, "test")
    site = cfg.data / "site"
    assert (site / "es").is_symlink() and (site / "en").is_symlink()
    nginx = start_nginx(tmp_path, site, "127.0.0.1:9")  # nothing behind it: only the release's own files are asked for
    try:
        wait_until_up(nginx.url + "/es/", nginx.proc)
        for path, rel in (("/es/", "es/index.html"), ("/en/rights/", "en/rights/index.html"), ("/es/manifest.webmanifest", "es/manifest.webmanifest")):
            status, _, body = _get(nginx.url + path)
            assert status == 200 and body == (site / rel).read_bytes(), path
        assert _get(nginx.url + "/es/no-such-page/")[0] == 404
    finally:
        nginx.stop()


@pytest.mark.browser
def test_behind_nginx_a_language_works_offline_with_both_servers_stopped(tmp_path: Path, release_dir: Path, browser: object) -> None:
    from .test_offline import Visit

    f = start_front(tmp_path, release_dir)
    visit = Visit(browser, f.url)
    try:
        visit.first_visit("es")
        check_offline_language(visit, f, "es")  # type: ignore[arg-type]
        assert f.nginx.proc.poll() is not None and f.app.proc.poll() is not None
    finally:
        visit.close()
        f.stop()


def _syscalls(names: list[str]) -> set[str]:
    """The system calls the given names stand for: groups (@...) expanded by systemd-analyze, others as they are."""
    out: set[str] = set()
    for name in names:
        if not name.startswith("@"):
            out.add(name)
            continue
        listed = subprocess.run([tool("systemd-analyze"), "syscall-filter", name], capture_output=True, text=True, timeout=60, check=True).stdout
        members = [line.strip() for line in listed.splitlines()[1:] if line.strip() and not line.strip().startswith("#")]
        out |= _syscalls(members)
    return out


def test_the_units_syscall_filter_lets_a_console_job_lower_its_priority() -> None:
    """SystemCallFilter= as systemd applies it (an allow list, then each line adding or, with ~, removing calls):
    the console's jobs call os.nice (setpriority), and a refused call must fail, not kill the service."""
    text = UNIT.read_text()
    allowed: set[str] = set()
    for value in re.findall(r"^SystemCallFilter=(.*)$", text, re.MULTILINE):
        names = value.split()
        if names[0].startswith("~"):
            allowed -= _syscalls([names[0][1:], *names[1:]])
        else:
            allowed |= _syscalls(names)
    assert "setpriority" in allowed, "os.nice in a console job (backend/web/admin/work.py) would be refused"
    assert {"sched_getaffinity", "socketpair", "sendmsg", "recvmsg", "clone3", "wait4"} <= allowed, "forked build workers and the fork server"
    assert not {"setrlimit", "sched_setscheduler", "reboot", "mount"} & allowed, "the rest of @resources and @privileged stay refused"
    assert re.search(r"^SystemCallErrorNumber=EPERM$", text, re.MULTILINE), "a refused call would kill the process (SIGSYS)"
