"""One Config, read once (command line, then environment, then defaults) and passed in.

Every setting is declared once in SETTINGS, with its environment variable and help;
`serve.py --help` and the README are written from the same list.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from ._files import copy_tree

PACKAGE = Path(__file__).resolve().parent
# Installed from a wheel, the templates, the worker, the default content pack and the catalogs ship
# inside the package (setup.py maps them there); in a checkout they are the repository's top-level folders.
INSTALLED = (PACKAGE / "pwa").is_dir()
PROJECT = PACKAGE if INSTALLED else PACKAGE.parent  # where pwa/ and service_worker/ are
SHIPPED = {"content": PROJECT / ("default_content" if INSTALLED else "content"), "locales": PROJECT / "locales"}


def _home() -> Path:
    """Where an installed copy keeps what it writes, outside site-packages: $XDG_DATA_HOME/puente."""
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "puente"


HOME = _home() if INSTALLED else PROJECT
LOG_FORMATS = ("text", "json")


@dataclass(frozen=True)
class Setting:
    """One setting: its name (the --flag, with - for _), environment variable, default and help.

    `serve` settings only concern the server; `switch` settings are flags without a value (on).
    """

    name: str
    env: str
    default: str
    help: str
    serve: bool = False
    switch: bool = False

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


SETTINGS = (
    Setting(
        "content", "PUENTE_CONTENT", str(HOME / "content") if INSTALLED else "content",
        "content pack directory (pages, services, site.toml); an installed copy starts from the default pack, copied there on first use",
    ),
    Setting(
        "locales", "PUENTE_LOCALES", str(HOME / "locales") if INSTALLED else "locales",
        "gettext catalogs directory (messages.pot, <lang>/LC_MESSAGES/messages.po); copied like the content",
    ),
    Setting("data", "PUENTE_DATA", str(HOME / "var") if INSTALLED else "var", "where releases, accounts and logs are kept; git-ignored"),
    Setting("host", "PUENTE_HOST", "127.0.0.1", "address to listen on", serve=True),
    Setting("port", "PUENTE_PORT", "8000", "port to listen on", serve=True),
    Setting("workers", "PUENTE_WORKERS", "1", "server processes sharing the port (1 to 64; one per core serves more families at once)", serve=True),
    Setting("exit_url", "PUENTE_EXIT_URL", "https://www.weather.gov/", "the neutral site the quick-exit control opens"),
    Setting(
        "access_log", "PUENTE_ACCESS_LOG", "off", "log every request with the visitor's address (on/off); off by default for privacy",
        serve=True, switch=True,
    ),
    Setting(
        "log_format", "PUENTE_LOG_FORMAT", "text", "server log lines: text, or json (one JSON object a line, for a log collector)", serve=True,
    ),
    Setting("keep", "PUENTE_KEEP", "10", "how many published releases to keep for rollback"),
    Setting("today", "PUENTE_TODAY", "", "the date builds treat as today (YYYY-MM-DD); empty means the real date"),
    Setting(
        "public_url", "PUENTE_PUBLIC_URL", "",
        "the address families open (https://host, or https://host/path/ to live under a path): share links, QR codes, "
        "flyers, the manifest and every page's links follow it; `serve` without it uses the address it listens on, with a warning; "
        "`build --out` requires it",
    ),
)


@dataclass(frozen=True)
class Config:
    content: Path
    locales: Path
    data: Path
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    exit_url: str = "https://www.weather.gov/"
    access_log: bool = False
    log_format: str = "text"
    keep: int = 10
    today: dt.date = field(default_factory=dt.date.today)
    public_url: str = ""  # scheme://host[:port][/path], normalized, no final slash; "" when not configured (see links.base_url)
    project: Path = PROJECT

    @property
    def base_path(self) -> str:
        """The path the app lives under: "" at the root of its origin, else "/path" (no final slash)."""
        return urlsplit(self.public_url).path if self.public_url else ""

    @property
    def releases(self) -> Path:
        return self.data / "releases"

    @property
    def pwa(self) -> Path:
        return self.project / "pwa"

    @property
    def service_worker(self) -> Path:
        return self.project / "service_worker"

    def with_(self, **changes: object) -> Config:
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def load(cls, overrides: dict[str, str | None] | None = None, environ: dict[str, str] | None = None) -> Config:
        """Given command-line values (None where not given), return the Config; raise ValueError naming a bad setting."""
        env = os.environ if environ is None else environ
        given = {k: v for k, v in (overrides or {}).items() if v is not None}
        raw = {s.name: given.get(s.name, env.get(s.env, s.default)) for s in SETTINGS}

        def path(name: str) -> Path:
            p = Path(raw[name]).expanduser()
            return p if p.is_absolute() else (Path.cwd() / p if name in given else HOME / p)

        try:
            port = int(raw["port"])
            if not 0 < port < 65536:
                raise ValueError
        except ValueError:
            raise ValueError(f"port must be a number from 1 to 65535, not {raw['port']!r}") from None
        if not raw["workers"].isdigit() or not 1 <= int(raw["workers"]) <= 64:
            raise ValueError(f"workers must be a whole number from 1 to 64, not {raw['workers']!r}")
        if not raw["keep"].isdigit() or int(raw["keep"]) < 1:
            raise ValueError(f"keep must be a whole number of releases, 1 or more, not {raw['keep']!r}")
        if raw["access_log"].lower() not in {"on", "off", "true", "false", "1", "0", "yes", "no"}:
            raise ValueError(f"access_log must be on or off, not {raw['access_log']!r}")
        try:
            today = dt.date.fromisoformat(raw["today"]) if raw["today"] else dt.date.today()
        except ValueError:
            raise ValueError(f"today must be a date written YYYY-MM-DD, not {raw['today']!r}") from None
        if raw["log_format"] not in LOG_FORMATS:
            raise ValueError(f"log_format must be one of {', '.join(LOG_FORMATS)}, not {raw['log_format']!r}")
        if not raw["exit_url"].startswith("https://"):
            raise ValueError(f"exit_url must be an https:// address, not {raw['exit_url']!r}")
        public_url = _public_url(raw["public_url"])
        return cls(
            content=path("content"),
            locales=path("locales"),
            data=path("data"),
            host=raw["host"],
            port=port,
            workers=int(raw["workers"]),
            exit_url=raw["exit_url"],
            access_log=raw["access_log"].lower() in {"on", "true", "1", "yes"},
            log_format=raw["log_format"],
            keep=int(raw["keep"]),
            today=today,
            public_url=public_url,
        )


def _public_url(value: str) -> str:
    """Given the configured public address, return it as scheme://host[:port][/path]; raise ValueError.

    A path (https://district.example.org/puente/) is where the app lives: every link, the worker's
    scope and the manifest follow it. A query or fragment is refused: share links must carry nothing
    but the address (no campaign tags).
    """
    value = value.strip()
    if not value:
        return ""
    problem = (
        "public_url must be an address such as https://puente.example.org or https://district.example.org/puente/, "
        f"with no query or fragment, not {value!r}"
    )
    try:
        u = urlsplit(value)
        port = u.port
    except ValueError:
        raise ValueError(problem) from None
    if u.scheme not in {"https", "http"} or not u.hostname or u.username or u.password:
        raise ValueError(problem)
    if u.query or u.fragment or "?" in value or "#" in value:
        raise ValueError(problem)
    segments = [seg for seg in u.path.split("/") if seg]
    if any(not _PATH_SEGMENT.match(seg) or seg in {".", ".."} for seg in segments):
        raise ValueError(problem + ": each part of the path is letters, digits, '-', '_' or '.'")
    host = f"[{u.hostname}]" if ":" in u.hostname else u.hostname
    path = "".join("/" + seg for seg in segments)
    return f"{u.scheme}://{host}" + (f":{port}" if port is not None else "") + path


_PATH_SEGMENT = re.compile(r"^[A-Za-z0-9._~-]+$")


def install_defaults(cfg: Config) -> list[str]:
    """An installed copy's first use: copy the shipped content pack and catalogs to their default
    folders (outside site-packages, where the console may edit them) when those do not exist yet.
    Return what was copied, as "content pack into DIR"."""
    made = []
    for s in SETTINGS:
        if s.name in SHIPPED and getattr(cfg, s.name) == HOME / s.default and not (HOME / s.default).exists():
            copy_tree(SHIPPED[s.name], HOME / s.default)
            made.append(f"{'content pack' if s.name == 'content' else 'catalogs'} into {HOME / s.default}")
    return made
