"""Draw the app icons (a white bridge on teal) as PNG files, with the standard library only.

Run once after changing the design: `python pwa/make_icons.py`. The PNGs are committed.
"""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

TEAL = (11, 85, 99)
WHITE = (255, 255, 255)
OUT = Path(__file__).parent / "static" / "icons"


def inside_bridge(x: float, y: float) -> bool:
    """Is the point (in a unit square, 0..1) part of the bridge drawing?"""
    # deck
    if 0.12 <= x <= 0.88 and 0.60 <= y <= 0.66:
        return True
    # arch: a thick half ring rising above the deck
    r = math.hypot(x - 0.5, (y - 0.63) * 1.25)
    if 0.29 <= r <= 0.35 and y <= 0.63:
        return True
    # piers below the deck
    if (0.20 <= x <= 0.26 or 0.74 <= x <= 0.80) and 0.60 <= y <= 0.80:
        return True
    # hangers from the arch down to the deck
    for hx in (0.36, 0.5, 0.64):
        if abs(x - hx) <= 0.016 and y <= 0.62 and r <= 0.30:
            return True
    return False


def draw(size: int, scale: float) -> bytes:
    rows = []
    samples = ((0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75))
    for py in range(size):
        row = bytearray([0])
        for px in range(size):
            hits = 0
            for sx, sy in samples:
                x = ((px + sx) / size - 0.5) / scale + 0.5
                y = ((py + sy) / size - 0.5) / scale + 0.5
                hits += inside_bridge(x, y)
            a = hits / len(samples)
            row += bytes(round(t * (1 - a) + w * a) for t, w in zip(TEAL, WHITE, strict=True))
        rows.append(bytes(row))
    return png(size, size, b"".join(rows))


def png(width: int, height: int, raw: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    # "any" icons fill the square; the maskable one keeps the drawing inside the 80% safe zone.
    for name, size, scale in (
        ("icon-192.png", 192, 1.0),
        ("icon-512.png", 512, 1.0),
        ("maskable-512.png", 512, 0.72),
        ("apple-touch-icon.png", 180, 0.9),
    ):
        (OUT / name).write_bytes(draw(size, scale))
        print(f"wrote {OUT / name}")


if __name__ == "__main__":
    main()
