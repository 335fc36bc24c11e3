"""A byte-counting TCP relay on loopback: the ground truth for bytes on the wire.

The browser talks to the relay's port (the origin a phone sees); the relay forwards to
the server's port and counts every byte of HTTP the server sends back, headers included.
It keeps the origin fixed while the server behind it stops and starts again, and it sees
what no DevTools target reports: Chromium's service worker update check fetches /sw.js
from the browser process, outside every page and worker.
"""

from __future__ import annotations

import asyncio
import threading


class CountingProxy:
    def __init__(self, port: int, upstream: int):
        self.port, self.upstream = port, upstream
        self.down = 0  # bytes from the server to the browser
        self.up = 0  # bytes from the browser to the server
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="counting-proxy", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError(f"the counting proxy did not start on port {port}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", self.port))
        self._ready.set()
        self._loop.run_forever()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream)
        except OSError:  # the server is stopped: the browser sees a refused connection, as it would
            writer.close()
            return

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter, downstream: bool) -> None:
            try:
                while data := await src.read(65536):
                    if downstream:
                        self.down += len(data)
                    else:
                        self.up += len(data)
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer, False), pipe(up_reader, writer, True))

    def close(self) -> None:
        def stop() -> None:
            self._server.close()
            self._loop.stop()

        self._loop.call_soon_threadsafe(stop)
        self._thread.join(5)
