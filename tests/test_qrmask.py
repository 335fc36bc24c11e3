"""The build's faster choice of a QR code's mask is segno's choice, module for module."""

from __future__ import annotations

import random
import string

import segno

from backend.build import qrmask


def test_fast_mask_choice_is_segnos_on_many_addresses() -> None:
    rng = random.Random(14)
    tags = ["es", "ar", "zh-Hans", "fa-AF", "so", "ur"]
    urls = [f"https://puente.example.org/{rng.choice(tags)}/services/" + "".join(rng.choices(string.ascii_lowercase + "-0123456789", k=rng.randint(0, 140))) + "/"
            for _ in range(160)]
    urls += ["http://127.0.0.1:8000/es/", "https://a.b/", "https://puente.example.org/" + "x" * 300]
    qrmask.uninstall()
    try:
        expected = [(q.mask, q.matrix) for q in (segno.make(u, error="m", micro=False) for u in urls)]
    finally:
        qrmask.install()
    got = [(q.mask, q.matrix) for q in (segno.make(u, error="m", micro=False) for u in urls)]
    assert [m for m, _ in got] == [m for m, _ in expected]
    assert got == expected
    assert len({m for m, _ in got}) == 8, "the addresses do not exercise every mask"
