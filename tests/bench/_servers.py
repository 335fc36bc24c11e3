"""Processes the benchmark runs: `python serve.py`, nginx on the same release, wrk; and the tools they need.

Every server binds 127.0.0.1 and is stopped by whoever started it; every load is bounded in time.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BENCH = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
LIGHTHOUSE = BENCH / "node_modules" / ".bin" / "lighthouse"
BROTLI_MODULE = Path("/usr/lib/nginx/modules/ngx_http_brotli_static_module.so")


# -- tools ---------------------------------------------------------------------


def ensure_tools(need_lighthouse: bool, need_load: bool) -> list[str]:
    """Install what is missing, as tests/run.sh does; return what was installed."""
    done = []
    wanted = {"playwright": "playwright>=1.45", "websocket": "websocket-client>=1.7"}
    if need_load:  # the servers serve.py is measured against (OTHER_SERVERS)
        wanted |= {"hypercorn": "hypercorn>=0.17", "granian": "granian>=2.0"}
    missing_py = [m for m in wanted if not _importable(m)]
    if missing_py:
        print(f"installing Python packages: {', '.join(missing_py)}", flush=True)
        pkgs = [wanted[m] for m in missing_py]
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *pkgs], check=True)
        done += pkgs
    debs = []
    if not Path(CHROMIUM).exists():
        debs.append("chromium")
    if need_load:
        debs += [p for p, probe in (("wrk", "wrk"), ("nginx-light", "nginx")) if not shutil.which(probe)]
        if not BROTLI_MODULE.exists():
            debs.append("libnginx-mod-http-brotli-static")
    if debs:
        sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
        print(f"installing Debian packages: {' '.join(debs)}", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *debs], check=True, env=env, stdout=subprocess.DEVNULL)
        done += debs
    if need_lighthouse and not LIGHTHOUSE.exists():
        print("installing Lighthouse from npm into tests/bench/node_modules (package.json pins it)", flush=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--no-save", "--loglevel=error"], cwd=BENCH, check=True)
        done.append("lighthouse (npm)")
    return done


def _importable(module: str) -> bool:
    return subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, check=False).returncode == 0


def versions() -> dict[str, str]:
    def out(*cmd: str) -> str:
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return "missing"
        return (r.stdout + r.stderr).strip().splitlines()[0] if (r.stdout + r.stderr).strip() else "?"

    from importlib.metadata import PackageNotFoundError, version

    try:
        playwright = version("playwright")
    except PackageNotFoundError:
        playwright = "missing"
    return {
        "python": sys.version.split()[0],
        "chromium": out(CHROMIUM, "--version"),
        "nginx": out("nginx", "-v"),
        "wrk": out("wrk", "-v"),
        "lighthouse": out(str(LIGHTHOUSE), "--version") if LIGHTHOUSE.exists() else "missing",
        "node": out("node", "--version"),
        "playwright": playwright,
    }


def machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    mem = re.search(r"^MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text(), re.MULTILINE)
    return {
        "cpu": model.group(1).strip() if model else "?",
        "cores": os.cpu_count(),
        "memory_gib": round(int(mem.group(1)) / 1024 / 1024, 1) if mem else None,
        "kernel": os.uname().release,
        "load_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def git_state() -> dict[str, Any]:
    """The commit measured and whether the work tree differed from it (read-only git commands)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10, check=False).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, timeout=30, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return {}
    return {"commit": head, "uncommitted_files": len(dirty.splitlines())}


# -- servers -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    name: str
    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def _wait(server: Server, path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.proc.returncode}:\n{server.output()}")
        try:
            with urllib.request.urlopen(server.url + path, timeout=2) as r:
                if r.status < 500:
                    return
        except OSError:
            time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"{server.name} did not answer {path} within {timeout:.0f}s:\n{server.output()}")


def serve_py(*args: str) -> list[str]:
    return [sys.executable, str(ROOT / "serve.py"), *args]


def start_puente(work: Path, port: int, data: Path, *extra: str, workers: int = 1) -> Server:
    """`python serve.py serve` on 127.0.0.1:port with its own data directory (building there if needed)."""
    log = work / f"serve-{port}-{int(time.time() * 1000)}.log"
    cmd = serve_py("serve", "--port", str(port), "--data", str(data), *extra)
    if workers > 1:
        cmd += ["--workers", str(workers)]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    server = Server(f"serve.py ({workers} worker{'s' if workers > 1 else ''})", f"http://127.0.0.1:{port}", proc, log)
    _wait(server, "/api/release", timeout=600)
    return server


# Other ASGI servers on the same app and release (backend.web.app:app_from_env reads PUENTE_DATA): what serve.py was measured against.
OTHER_SERVERS: dict[str, list[str]] = {
    "uvicorn, h11, asyncio": ["-m", "uvicorn", "--factory", "backend.web.app:app_from_env", "--http", "h11", "--loop", "asyncio",
                              "--no-access-log", "--no-server-header", "--host", "127.0.0.1", "--port", "{port}"],
    "hypercorn, uvloop": ["-m", "hypercorn", "--worker-class", "uvloop", "--workers", "1", "--bind", "127.0.0.1:{port}",
                          "backend.web.app:app_from_env()"],
    "granian, asgi": ["-m", "granian", "--interface", "asgi", "--factory", "--workers", "1", "--loop", "uvloop", "--no-ws",
                      "--host", "127.0.0.1", "--port", "{port}", "backend.web.app:app_from_env"],
}


def start_other(work: Path, port: int, data: Path, name: str) -> Server:
    """One of OTHER_SERVERS on 127.0.0.1:port serving the current release of `data` (already published)."""
    log = work / f"{name.split(',')[0]}-{port}.log"
    cmd = [sys.executable, *(arg.format(port=port) for arg in OTHER_SERVERS[name])]
    env = {**os.environ, "PUENTE_DATA": str(data)}
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
    server = Server(name, f"http://127.0.0.1:{port}", proc, log)
    _wait(server, "/api/release", timeout=120)
    return server


def available(module: str) -> bool:
    return _importable(module)


def serve_supports_workers() -> bool:
    r = subprocess.run(serve_py("serve", "--help"), cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    return "--workers" in r.stdout


def publish_available() -> bool:
    r = subprocess.run(serve_py("publish", "--help"), cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    return r.returncode == 0


NGINX_CONF = """\
{load_module}
worker_processes {workers};
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
  include /etc/nginx/mime.types;
  types {{ application/manifest+json webmanifest; text/vcard vcf; }}
  default_type application/octet-stream;
  charset utf-8;
  charset_types text/css application/javascript application/json application/manifest+json text/vcard;
  access_log off;
  server_tokens off;
  sendfile on;
  tcp_nopush on;
  gzip_static on;
  gzip_vary on;
  {brotli}
  client_body_temp_path {work}/tmp-body;
  proxy_temp_path {work}/tmp-proxy;
  fastcgi_temp_path {work}/tmp-fastcgi;
  uwsgi_temp_path {work}/tmp-uwsgi;
  scgi_temp_path {work}/tmp-scgi;
  include {work}/maps.conf;
  server {{
    listen 127.0.0.1:{port};
    root {root};
    index index.html;
    error_page 404 /404.html;
    include {work}/headers.conf;
    location = /release.json {{ return 404; }}
    location = /_headers {{ return 404; }}
  }}
}}
"""


def start_nginx(work: Path, root: Path, port: int, workers: str = "auto") -> Server:
    """Debian's nginx serving the same release directory: its .br/.gz beside each file, and the caching and
    security headers of each kind of response from backend/policy.py (the README's snippet: nginx_maps, nginx_add_headers)."""
    sys.path.insert(0, str(ROOT))
    from backend.policy import nginx_add_headers, nginx_maps

    nwork = work / f"nginx-{port}"
    nwork.mkdir(parents=True, exist_ok=True)
    (nwork / "maps.conf").write_text(nginx_maps())
    (nwork / "headers.conf").write_text(nginx_add_headers())
    brotli = BROTLI_MODULE.exists()
    conf = NGINX_CONF.format(
        load_module=f"load_module {BROTLI_MODULE};" if brotli else "",
        workers=workers,
        brotli="brotli_static on;" if brotli else "",
        work=nwork,
        root=root,
        port=port,
    )
    (nwork / "nginx.conf").write_text(conf)
    os.chmod(root, 0o755)
    log = nwork / "nginx.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(["nginx", "-p", str(nwork), "-c", str(nwork / "nginx.conf"), "-g", "daemon off;"], stdout=out, stderr=subprocess.STDOUT)
    server = Server("nginx", f"http://127.0.0.1:{port}", proc, log)
    _wait(server, "/", timeout=30)
    return server


# -- load ----------------------------------------------------------------------

_WRK_RATE = re.compile(r"Requests/sec:\s*([\d.]+)")
_WRK_PCT = re.compile(r"^\s*(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_WRK_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_WRK_NON2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")
_WRK_TOTAL = re.compile(r"(\d+) requests in ([\d.]+)(\w+), ([\d.]+)(\w+) read")


def wrk(url: str, connections: int, seconds: int, threads: int = 2) -> dict[str, Any]:
    """wrk against one URL on loopback, as a phone asks (Accept-Encoding: br, gzip); its figures."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s",
           "-H", "Accept-Encoding: br, gzip", url]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=False)
    text = r.stdout + r.stderr
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    pct = {int(p): float(v) * scale[u] for p, v, u in _WRK_PCT.findall(text)}
    sock = _WRK_SOCKET.search(text)
    non2xx = _WRK_NON2XX.search(text)
    total = _WRK_TOTAL.search(text)
    errors = (sum(int(x) for x in sock.groups()) if sock else 0) + (int(non2xx.group(1)) if non2xx else 0)
    rate = _WRK_RATE.search(text)
    return {
        "rps": float(rate.group(1)) if rate else 0.0,
        "p50_ms": pct.get(50),
        "p99_ms": pct.get(99),
        "errors": errors if rate else None,
        "requests": int(total.group(1)) if total else 0,
        "raw": text,
    }
