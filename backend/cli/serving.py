"""Serving from the command line: make sure an intact release is current, then run uvicorn
(one process, or several sharing the port)."""

from __future__ import annotations

import datetime as dt
import inspect
import os
import sys
import time
from typing import Any

from .. import build as building
from .. import releases
from ..build import metadata
from ..build.links import unconfigured_warning
from ..config import SETTINGS, Config
from ..errors import ContentError


def cmd_serve(cfg: Config) -> int:
    import uvicorn

    from ..web.app import create_server_app
    from ..web.logs import log_config, say
    from ..web.server import options as server_options

    started = time.perf_counter()
    how = ensure_current(cfg)
    say(cfg.log_format, f"{how} in {time.perf_counter() - started:.1f}s; serving http://{cfg.host}:{cfg.port}/")
    if warning := unconfigured_warning(cfg):
        say(cfg.log_format, warning, "warning")
    options: dict[str, Any] = server_options(cfg.host, cfg.port, cfg.access_log)
    if (logging_config := log_config(cfg.log_format)) is not None:
        options["log_config"] = logging_config
    if cfg.workers > 1:  # each worker process builds its app from the environment (backend.web.app.app_from_env)
        os.environ.update(config_environment(cfg))
        _run_workers("backend.web.app:app_from_env", cfg.workers, options)
        return 0
    uvicorn.run(create_server_app(cfg), **options)
    return 0


def _run_workers(app: str, workers: int, options: dict[str, Any]) -> None:
    """uvicorn.run(app, factory=True, workers=N), with Nagle's algorithm off on every connection.

    uvicorn binds the shared socket without naming TCP as its protocol, so asyncio leaves Nagle on
    for the connections it accepts: each response's body then waited for the client to acknowledge
    its headers, 40 ms of delayed ACK per request (1,400 requests/s instead of 7,000 on two cores).
    Linux gives each accepted connection the listening socket's TCP_NODELAY.
    """
    import socket

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(app, factory=True, workers=workers, **options)
    sock = config.bind_socket()
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    extra = {"target": uvicorn.Server(config).run} if "target" in inspect.signature(Multiprocess).parameters else {}
    Multiprocess(config, sockets=[sock], **extra).run()


def config_environment(cfg: Config) -> dict[str, str]:
    """The environment variables that make Config.load() in another process give `cfg` again."""
    env = {}
    for s in SETTINGS:
        value = getattr(cfg, s.name)
        if isinstance(value, bool):
            value = "on" if value else "off"
        elif isinstance(value, dt.date):
            value = value.isoformat()
        env[s.env] = str(value)
    return env


def ensure_current(cfg: Config) -> str:
    """Make sure an intact release is current. Until the first publish, `serve` builds the working content
    whenever it changed; once a district publishes, `serve` serves only what was published: a missing or
    damaged `current` falls back, loudly, to the newest intact published release."""
    with releases.publish_lock(cfg, wait=True):
        releases.remove_leftovers(cfg)
        warning = releases.restore_current(cfg)  # raises PublishError when no published release is intact
        if warning:
            print(f"\n{'!' * 78}\n{warning}\n{'!' * 78}\n", file=sys.stderr, flush=True)
        current = releases.current_id(cfg)
        if current and releases.history(cfg):
            try:
                same = building.load_inputs(cfg).source == _source_of(cfg, current)
            except ContentError:
                same = False
            pending = "" if same else " (the working content has unpublished changes)"
            return f"serving published release {current}{pending}"
        _release_dir, info, built = building.ensure_release(cfg)
        releases.set_current(cfg, str(info["id"]))
        return f"{'built' if built else 'reused'} release {info['id']}"


def _source_of(cfg: Config, release_id: str) -> str:
    try:
        return str(metadata.read_info(cfg.releases / release_id).get("source", ""))
    except ValueError:
        return ""
