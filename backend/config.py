"""One Config, read once (command line, then environment, then defaults) and passed in.

Every setting is declared once in SETTINGS, with its environment variable and help;
`serve.py --help` and the README are written from the same list.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

PROJECT = Path(__file__).resolve().parent.parent


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
    Setting("content", "PUENTE_CONTENT", "content", "content pack directory (pages, services, site.toml)"),
    Setting("locales", "PUENTE_LOCALES", "locales", "gettext catalogs directory (messages.pot, <lang>/LC_MESSAGES/messages.po)"),
    Setting("data", "PUENTE_DATA", "var", "where releases are kept; git-ignored"),
    Setting("host", "PUENTE_HOST", "127.0.0.1", "address to listen on", serve=True),
    Setting("port", "PUENTE_PORT", "8000", "port to listen on", serve=True),
    Setting("workers", "PUENTE_WORKERS", "1", "server processes sharing the port (1 to 64; one per core serves more families at once)", serve=True),
    Setting("exit_url", "PUENTE_EXIT_URL", "https://www.weather.gov/", "the neutral site the quick-exit control opens"),
    Setting(
        "access_log", "PUENTE_ACCESS_LOG", "off", "log every request with the visitor's address (on/off); off by default for privacy",
        serve=True, switch=True,
    ),
    Setting("keep", "PUENTE_KEEP", "10", "how many published releases to keep for rollback"),
    Setting("today", "PUENTE_TODAY", "", "the date builds treat as today (YYYY-MM-DD); empty means the real date"),
    Setting(
        "public_url", "PUENTE_PUBLIC_URL", "",
        "the address families open (https://host, no path): share links, QR codes and flyers point there; "
        "empty means the address the server listens on, with a warning",
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
    keep: int = 10
    today: dt.date = field(default_factory=dt.date.today)
    public_url: str = ""  # scheme://host[:port], normalized; "" when not configured (see share.base_url)
    project: Path = PROJECT

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
            return p if p.is_absolute() else (Path.cwd() / p if name in given else PROJECT / p)

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
            keep=int(raw["keep"]),
            today=today,
            public_url=public_url,
        )


def _public_url(value: str) -> str:
    """Given the configured public address, return it as scheme://host[:port]; raise ValueError.

    A path, query or fragment is refused: the app lives at the root of its origin (the service
    worker's scope is /), and share links must carry nothing but the address (no campaign tags).
    """
    value = value.strip()
    if not value:
        return ""
    problem = f"public_url must be an address such as https://puente.example.org, with no path, query or fragment, not {value!r}"
    try:
        u = urlsplit(value)
        port = u.port
    except ValueError:
        raise ValueError(problem) from None
    if u.scheme not in {"https", "http"} or not u.hostname or u.username or u.password or u.path not in {"", "/"}:
        raise ValueError(problem)
    if u.query or u.fragment or "?" in value or "#" in value:
        raise ValueError(problem)
    host = f"[{u.hostname}]" if ":" in u.hostname else u.hostname
    return f"{u.scheme}://{host}" + (f":{port}" if port is not None else "")
