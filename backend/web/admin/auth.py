"""Admin accounts, sessions, CSRF tokens and sign-in rate limits. Families never meet any of this.

    <data>/accounts.json      {name: "scrypt$n$r$p$salt$hash"}; passwords are never stored
    <data>/sessions/<hash>    one file per signed-in session: user, expiry, CSRF token
    <data>/secret             random key for CSRF tokens (created on first use, mode 0600)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from pathlib import Path

from ..._files import atomic_json as _atomic_json
from ...config import Config

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1  # about 16 MiB of memory per hash
SESSION_SECONDS = 8 * 3600
COOKIE = "puente_admin"
NAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


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


class Accounts:
    def __init__(self, cfg: Config):
        self.path = cfg.data / "accounts.json"

    def _load(self) -> dict[str, str]:
        try:
            return dict(json.loads(self.path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return {}

    def add(self, name: str, password: str) -> None:
        if not NAME.match(name):
            raise ValueError("an account name is 1-64 letters, digits, dots, dashes or underscores")
        if len(password) < 12:
            raise ValueError("a password needs at least 12 characters")
        accounts = self._load()
        accounts[name] = hash_password(password)
        _atomic_json(self.path, accounts)

    def check(self, name: str, password: str) -> bool:
        stored = self._load().get(name)
        if stored is None:
            verify_password(password, hash_password("timing-equalizer"))  # same cost for unknown names
            return False
        return verify_password(password, stored)

    def names(self) -> list[str]:
        return sorted(self._load())


@dataclass(frozen=True)
class Session:
    user: str
    csrf: str
    expires: float


class Sessions:
    def __init__(self, cfg: Config):
        self.dir = cfg.data / "sessions"

    def _path(self, token: str) -> Path:
        return self.dir / hashlib.sha256(token.encode()).hexdigest()

    def create(self, user: str) -> str:
        token = secrets.token_urlsafe(32)
        _atomic_json(self._path(token), {"user": user, "csrf": secrets.token_urlsafe(32), "expires": time.time() + SESSION_SECONDS})
        return token

    def get(self, token: str | None) -> Session | None:
        if not token or len(token) > 100:
            return None
        try:
            data = json.loads(self._path(token).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if data["expires"] < time.time():
            self.end(token)
            return None
        return Session(data["user"], data["csrf"], data["expires"])

    def end(self, token: str | None) -> None:
        if token:
            self._path(token).unlink(missing_ok=True)


class RateLimit:
    """At most `limit` failed sign-ins per key in `window` seconds; then every attempt is refused."""

    def __init__(self, limit: int, window: float):
        self.limit, self.window = limit, window
        self.failures: dict[str, deque[float]] = defaultdict(deque)

    def blocked(self, key: str) -> bool:
        q = self.failures[key]
        cutoff = time.monotonic() - self.window
        while q and q[0] < cutoff:
            q.popleft()
        return len(q) >= self.limit

    def fail(self, key: str) -> None:
        self.failures[key].append(time.monotonic())

    def clear(self, key: str) -> None:
        self.failures.pop(key, None)
