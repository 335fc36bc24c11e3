"""ASGI middleware around every response: the security headers, and the request-body limit."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..policy import MAX_BODY, SECURITY_HEADER_NAMES, WORKER, security_headers


def encoded_security_headers(content_type: str, url: str, https: bool) -> list[tuple[bytes, bytes]]:
    """policy.security_headers() as ASGI header pairs."""
    return [(name.lower().encode(), value.encode()) for name, value in security_headers(content_type, url, https)]


_ENCODED: dict[tuple[str, bool, bool], list[tuple[bytes, bytes]]] = {}


def _headers_for(content_type: bytes, url: str, https: bool) -> list[tuple[bytes, bytes]]:
    """The same as encoded_security_headers(), each of the few (type, worker or not, https) encoded once."""
    key = (content_type.decode("latin-1"), https, url == WORKER)
    if key not in _ENCODED:
        _ENCODED[key] = encoded_security_headers(key[0], WORKER if key[2] else "", https)
    return _ENCODED[key]


class SecurityHeaders:
    """Adds policy.security_headers() to every response (by its Content-Type and address), HSTS over HTTPS.

    What a route set under one of those names is replaced, never doubled; no cookie leaves outside /admin/.
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"
        path = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not path.startswith("/admin/"):
                    headers = [h for h in headers if h[0].lower() != b"set-cookie"]
                content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                headers = [h for h in headers if h[0].lower().decode("latin-1") not in SECURITY_HEADER_NAMES]  # ours win, never doubled
                message["headers"] = headers + _headers_for(content_type, path, https)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Refuses a request body over `limit` bytes with 413, without ever reading it whole.

    A Content-Length over the limit is refused before a byte of the body is read. A body of
    unknown length (chunked) is counted as it arrives: once it passes the limit the client gets
    the 413, the app is told the client went away, and the connection is closed, so the rest is
    never read. Whatever the app still tries to send after that is dropped.
    """

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY):
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        lengths = [v for k, v in scope["headers"] if k.lower() == b"content-length"]
        if lengths and (len(lengths) > 1 or not lengths[0].isdigit()):
            await self._refuse(send, 400, "The request's Content-Length is not a number.")
            return
        if lengths and int(lengths[0]) > self.limit:
            await self._refuse(send, 413, self._too_large())
            return
        received = 0
        refused = started = False

        async def counted() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    refused = True
                    if not started:
                        await self._refuse(send, 413, self._too_large())
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not refused:  # the app gave up reading a body we cut off: already answered with 413
                raise

    def _too_large(self) -> str:
        return f"That upload is too large (the limit is {self.limit // 1024 // 1024} MB). Nothing was changed."

    @staticmethod
    async def _refuse(send: Send, status: int, text: str) -> None:
        body = text.encode()
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
            (b"connection", b"close"),  # the server closes instead of reading the rest of the body
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
