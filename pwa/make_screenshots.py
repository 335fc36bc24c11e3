"""Draw the manifest's screenshots: each language's home page, phone-sized and wide, in Debian's Chromium.

    python pwa/make_screenshots.py            writes pwa/static/screenshots/<tag>-narrow.png and <tag>-wide.png

Chromium shows its richer install dialog when the manifest has screenshots. They are taken from a
real build of the content served on loopback (the service worker blocked, so no "Available
offline" line), reduced to a small palette so each stays under BUDGET bytes, and never precached
(build/pipeline.py). Run it again after the home page or a language changes; tests/test_manifest.py
fails when a language has none or one is over budget.
"""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OUT = ROOT / "pwa" / "static" / "screenshots"
SIZES = {"narrow": (390, 844), "wide": (1280, 800)}
BUDGET = 60_000  # bytes per screenshot
COLORS = 48


def main() -> int:
    from PIL import Image
    from playwright.sync_api import sync_playwright

    from backend.build import build
    from backend.config import Config

    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        with socket.socket() as sock:  # a free port: another server on this machine must not answer instead
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        info = build(Config.load({"public_url": f"http://127.0.0.1:{port}"}), site)
        server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(site)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                if server.poll() is not None:
                    raise RuntimeError(f"http.server could not serve on port {port}")
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            OUT.mkdir(parents=True, exist_ok=True)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
                for form, (width, height) in SIZES.items():
                    ctx = browser.new_context(viewport={"width": width, "height": height}, service_workers="block", device_scale_factor=1)
                    page = ctx.new_page()
                    for lang in info["languages"]:
                        page.goto(f"http://127.0.0.1:{port}/{lang['tag']}/")
                        png = page.screenshot()
                        image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=COLORS)
                        out = io.BytesIO()
                        image.save(out, format="PNG", optimize=True)
                        (OUT / f"{lang['tag']}-{form}.png").write_bytes(out.getvalue())
                        print(f"{lang['tag']}-{form}.png: {len(out.getvalue())} bytes")
                    ctx.close()
                browser.close()
        finally:
            server.terminate()
            server.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
