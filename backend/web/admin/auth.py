"""Admin accounts, sessions and CSRF tokens. Families never meet any of this.

    <data>/accounts.json      {name: "scrypt$n$r$p$salt$hash"} for an admin (the format before roles: every such
                              account is an admin), {name: {"hash": ..., "role": "translator", "languages": ["es"]}}
                              for a translator, limited to those languages; passwords are never stored
    <data>/sessions/<hash>    one file per signed-in session: user, expiry, CSRF token
    <data>/secret             random key for the sign-in form's CSRF token and the limiter's keys
                              (created on first use, mode 0600)

Checking a password costs the same whether or not the account exists (a fixed dummy hash), and
changing a password or removing an account ends that account's sessions. Sign-in limits are in
limits.py.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..._files import atomic_json as _atomic_json
from ..._files import write_once
from ...config import Config

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1  # about 16 MiB of memory per hash
SESSION_SECONDS = 8 * 3600
COOKIE = "puente_admin"
NAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# The hash an unknown name is checked against, with the parameters of every real one: so "no such
# account" takes as long as "wrong password" (hashing a fresh one per unknown name took twice as long).
DUMMY_HASH = (
    "scrypt$16384$8$1$mloIwZPKCtL2VYh87Gl54Q==$"
    "KA86fWGDxfbbEX68Oog834+Xr+bVCCb1Nu9LKJEUlE9t9ed6jyp4RkknGojHjiw0XxYNn6wWhfizj2e58Ydafw=="
)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, maxmem=64 * 1024 * 1024)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(
            password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), maxmem=64 * 1024 * 1024
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


def _checked_password(password: str) -> str:
    if len(password) < 12:
        raise ValueError("a password needs at least 12 characters")
    return password


ADMIN, TRANSLATOR = "admin", "translator"
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,2}$")


@dataclass(frozen=True)
class Account:
    name: str
    hash: str
    role: str = ADMIN
    languages: tuple[str, ...] = ()  # a translator's languages (BCP 47 tags, as in URLs)

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN


def _account(name: str, value: Any) -> Account:
    if isinstance(value, str):
        return Account(name, value)
    if isinstance(value, dict) and value.get("role") == TRANSLATOR:
        return Account(name, str(value.get("hash", "")), TRANSLATOR, tuple(str(t) for t in value.get("languages", [])))
    return Account(name, str(value.get("hash", "")) if isinstance(value, dict) else "")


def checked_languages(languages: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """A translator's languages, as tags; raise ValueError naming a tag that is not one."""
    tags = tuple(dict.fromkeys(t.strip() for t in languages if t.strip()))
    for tag in tags:
        if not LANGUAGE_TAG.match(tag):
            raise ValueError(f"{tag!r} is not a language tag such as es, fa-AF or zh-Hans")
    if not tags:
        raise ValueError("a translator needs at least one language")
    return tags


class Accounts:
    def __init__(self, cfg: Config):
        self.path = cfg.data / "accounts.json"

    def _records(self) -> dict[str, Account]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return {str(name): _account(str(name), value) for name, value in dict(data).items()}

    def _save(self, records: dict[str, Account]) -> None:
        _atomic_json(self.path, {
            a.name: a.hash if a.is_admin else {"hash": a.hash, "role": a.role, "languages": list(a.languages)} for a in records.values()
        })

    def add(self, name: str, password: str, role: str = ADMIN, languages: tuple[str, ...] | list[str] = ()) -> None:
        if not NAME.match(name):
            raise ValueError("an account name is 1-64 letters, digits, dots, dashes or underscores")
        tags = checked_languages(languages) if role == TRANSLATOR else ()
        records = self._records()
        records[name] = Account(name, hash_password(_checked_password(password)), TRANSLATOR if role == TRANSLATOR else ADMIN, tags)
        self._save(records)

    def set_password(self, name: str, password: str) -> None:
        """Give an existing account a new password; raise ValueError if there is no such account."""
        records = self._records()
        if name not in records:
            raise ValueError(f"there is no account {name!r}")
        records[name] = dataclasses.replace(records[name], hash=hash_password(_checked_password(password)))
        self._save(records)

    def set_role(self, name: str, role: str, languages: tuple[str, ...] | list[str] = ()) -> None:
        """Make an account an admin, or a translator of `languages`; raise ValueError saying what is wrong."""
        records = self._records()
        if name not in records:
            raise ValueError(f"there is no account {name!r}")
        tags = checked_languages(languages) if role == TRANSLATOR else ()
        records[name] = dataclasses.replace(records[name], role=TRANSLATOR if role == TRANSLATOR else ADMIN, languages=tags)
        self._save(records)

    def remove(self, name: str) -> None:
        records = self._records()
        if records.pop(name, None) is not None:
            self._save(records)

    def check(self, name: str, password: str) -> bool:
        """Whether `name` is an account and `password` its password; one scrypt hash either way."""
        record = self._records().get(name)
        ok = verify_password(password, record.hash if record else DUMMY_HASH)
        return ok and record is not None

    def get(self, name: str) -> Account | None:
        return self._records().get(name)

    def listing(self) -> list[Account]:
        return sorted(self._records().values(), key=lambda a: a.name)

    def names(self) -> list[str]:
        return sorted(self._records())


@dataclass(frozen=True)
class Session:
    user: str
    csrf: str
    expires: float
    role: str = ADMIN  # the account's, looked up on every request: a change applies at once
    languages: tuple[str, ...] = ()

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    def may_translate(self, tag: str) -> bool:
        """Whether this account may edit, review, upload and download the catalog of language `tag`."""
        return self.is_admin or tag.lower() in {t.lower() for t in self.languages}


# What a translator may open: their languages' translations and catalogs, their password, signing out.
# Everything else (publish, rollback, edits, notices, accounts, anything added later) is for admins.
TRANSLATOR_PATHS = re.compile(r"^/admin/(?:translations/.*|download/[^/]+|password|logout)$")


def translator_may(path: str) -> bool:
    return bool(TRANSLATOR_PATHS.match(path))


class Sessions:
    def __init__(self, cfg: Config):
        self.dir = cfg.data / "sessions"

    def _path(self, token: str) -> Path:
        return self.dir / hashlib.sha256(token.encode()).hexdigest()

    def create(self, user: str) -> str:
        self._read_all()  # ends the expired ones, so the directory holds only live sessions
        token = secrets.token_urlsafe(32)
        _atomic_json(self._path(token), {"user": user, "csrf": secrets.token_urlsafe(32), "expires": time.time() + SESSION_SECONDS})
        return token

    def get(self, token: str | None) -> Session | None:
        if not token or len(token) > 100:
            return None
        return self._read(self._path(token))

    def _read(self, path: Path) -> Session | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            session = Session(str(data["user"]), str(data["csrf"]), float(data["expires"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if session.expires < time.time():
            path.unlink(missing_ok=True)
            return None
        return session

    def _read_all(self) -> list[tuple[Path, Session]]:
        found = []
        for path in self.dir.glob("*") if self.dir.is_dir() else []:
            if not path.name.startswith("."):
                session = self._read(path)
                if session is not None:
                    found.append((path, session))
        return found

    def listing(self) -> list[Session]:
        """Every live session, soonest to expire first."""
        return sorted((s for _, s in self._read_all()), key=lambda s: s.expires)

    def end(self, token: str | None) -> None:
        if token:
            self._path(token).unlink(missing_ok=True)

    def end_all(self, user: str | None = None, keep: str | None = None) -> int:
        """End every session (of `user` only, when given) except the one of token `keep`; return how many ended."""
        kept = self._path(keep) if keep else None
        ended = 0
        for path, session in self._read_all():
            if (user is None or session.user == user) and path != kept:
                path.unlink(missing_ok=True)
                ended += 1
        return ended


def secret(cfg: Config) -> bytes:
    """The data directory's random key (made on first use, readable only by the server's user)."""
    return write_once(cfg.data / "secret", secrets.token_bytes(32), 0o600)


def keyed(cfg: Config, purpose: str, value: str) -> str:
    """A keyed hash of `value`: what is stored of a client's address or a name typed into the sign-in form."""
    return hmac.new(secret(cfg), f"{purpose}\0{value}".encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:32]


class LoginTokens:
    """The sign-in form's CSRF token: a random cookie under /admin/, and its keyed hash in the form."""

    COOKIE = "puente_login"
    SECONDS = 3600

    def __init__(self, cfg: Config):
        self.cfg = cfg

    def new_nonce(self) -> str:
        return secrets.token_urlsafe(24)

    def token(self, nonce: str) -> str:
        return keyed(self.cfg, "login", nonce)

    def valid(self, nonce: str | None, token: str) -> bool:
        if not nonce or len(nonce) > 64 or not token:
            return False
        return hmac.compare_digest(self.token(nonce).encode(), token.encode("utf-8", "surrogatepass"))
