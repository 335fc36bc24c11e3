"""ASGI middleware around every response: the security headers, and the request-body limit."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..policy import HEADERS, HSTS_HEADER, MAX_BODY

SECURITY_HEADERS = [(name.lower().encode(), value.encode()) for name, value in HEADERS]
HSTS = (HSTS_HEADER[0].lower().encode(), HSTS_HEADER[1].encode())
_OURS = {name for name, _ in SECURITY_HEADERS} | {HSTS[0]}


class SecurityHeaders:
    """Adds the security headers to every response, and HSTS when served over HTTPS."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"set-cookie"] if not scope["path"].startswith("/admin/") else list(message.get("headers", []))
                headers = [h for h in headers if h[0].lower() not in _OURS] + SECURITY_HEADERS  # ours win, never doubled
                if https:
                    headers.append(HSTS)
                message["headers"] = headers
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
