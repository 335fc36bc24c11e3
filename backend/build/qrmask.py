"""segno's choice of a QR code's mask, the same choice in a fifth of the time.

Choosing the mask (ISO/IEC 18004:2015 7.8.3: apply each of the 8 patterns, score each, keep the
lowest) is most of the time segno takes, and a build draws a QR code per service and language
(14,000 for 100 languages × 20× the content). `install()` replaces segno's pure-Python loop with
numpy, the 8 masks at once, for applying the patterns and scoring N1 to N4 (segno's own N3 scan
where two occurrences of its pattern overlap, so its skipping rule stays exactly as it is). The scores are the same integers, so the choice, and the code,
are the same: tests/test_qrmask.py compares both on many addresses.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from segno import encoder as _encoder

encoder: Any = _encoder  # segno's internals carry no type hints

_ORIGINAL = encoder.find_and_apply_best_mask
_N3 = bytes((0x1, 0x0, 0x1, 0x1, 0x1, 0x0, 0x1))
_patterns: dict[tuple[int, int], np.ndarray] = {}


def _masks(width: int, height: int) -> np.ndarray:
    """The 8 mask patterns, already limited to the encoding region: shape (8, height, width), 0 or 1."""
    if (width, height) not in _patterns:
        function = encoder.make_matrix(width, height)
        encoder.add_finder_patterns(function, width, height)
        encoder.add_alignment_patterns(function, width, height)
        function[-8][8] = 0x1
        region = np.array([list(row) for row in function], dtype=np.uint8) > 0x1
        fns = encoder.get_data_mask_functions(False)
        masks = np.array([[[fn(a, b) for b in range(width)] for a in range(height)] for fn in fns], dtype=np.uint8)
        _patterns[(width, height)] = masks * region
    return _patterns[(width, height)]


def _n1(grids: np.ndarray) -> np.ndarray:
    """N1 of each of the 8 masked matrices (8, n, n), along rows: a run of L >= 5 equal modules scores L - 2,
    counted as the windows of 5 equal modules in it (L - 4) plus 2 for its first."""
    k, n, _ = grids.shape
    padded = np.full((k, n, n + 1), 255, dtype=np.uint8)  # a separator after each row, equal to nothing
    padded[:, :, :n] = grids
    flat = padded.reshape(k, -1)
    same = flat[:, 1:] == flat[:, :-1]
    five = same[:, :-3] & same[:, 1:-2] & same[:, 2:-1] & same[:, 3:]
    first = five.copy()
    first[:, 1:] &= ~same[:, : five.shape[1] - 1]
    return np.asarray(five.sum(axis=1) + 2 * first.sum(axis=1))


def _n3(seq: bytes, size: int) -> int:
    """segno's N3 scan of one row or column, as it is."""
    count = 0
    idx = seq.find(_N3)
    while idx != -1:
        offset = idx + 7
        if idx in (0, size - 7) or not any(seq[max(idx - 4, 0) : min(idx, size)]) or not any(seq[max(offset, 0) : min(offset + 4, size)]):
            count += 40
        else:
            offset = idx + 4
        idx = seq.find(_N3, offset)
    return count


def _n3_rows(grids: np.ndarray) -> np.ndarray:
    """N3 of each masked matrix along rows. An occurrence of 1011101 counts 40 when it starts or ends
    its row or has 4 light modules before or after it; a row where two occurrences overlap (the
    pattern overlaps itself 4 or 6 modules on) is left to segno's scan, whose skipping then matters."""
    k, n, _ = grids.shape
    hit = np.ones((k, n, n - 6), dtype=bool)
    for t, bit in enumerate(_N3):
        hit &= grids[:, :, t : n - 6 + t] == bit
    dark = np.zeros((k, n, n + 1), dtype=np.int16)
    np.cumsum(grids != 0, axis=2, out=dark[:, :, 1:])
    p = np.arange(n - 6)
    before = (dark[:, :, p] - dark[:, :, np.maximum(p - 4, 0)]) == 0
    after = (dark[:, :, np.minimum(p + 11, n)] - dark[:, :, np.minimum(p + 7, n)]) == 0
    edge: np.ndarray = np.asarray((p == 0) | (p == n - 7))
    counted = hit & (edge | before | after)
    overlap: np.ndarray = np.asarray((hit[:, :, :-4] & hit[:, :, 4:]).any(axis=2) | (hit[:, :, :-6] & hit[:, :, 6:]).any(axis=2))
    scores: np.ndarray = np.asarray(40 * (counted & ~overlap[:, :, None]).sum(axis=(1, 2)))
    for mask, row in zip(*np.nonzero(overlap), strict=True):
        scores[mask] += _n3(grids[mask, row].tobytes(), n)
    return np.asarray(scores)


def scores(grids: np.ndarray) -> np.ndarray:
    """The penalties of the 8 masked matrices (8, n, n): N1 + N2 + N3 + N4 as segno.encoder.mask_scores counts them."""
    n = grids.shape[1]
    columns = grids.transpose(0, 2, 1)
    n1 = _n1(grids) + _n1(np.ascontiguousarray(columns))
    g = grids
    n2 = 3 * ((g[:, 1:, 1:] == g[:, 1:, :-1]) & (g[:, 1:, 1:] == g[:, :-1, 1:]) & (g[:, 1:, 1:] == g[:, :-1, :-1])).sum(axis=(1, 2))
    n3 = _n3_rows(grids) + _n3_rows(np.ascontiguousarray(columns))
    out = n1 + n2 + n3
    for mask in range(len(grids)):
        percent = float(int(grids[mask].sum(dtype=np.int64))) / (n**2)
        out[mask] += 10 * int(abs(percent * 100 - 50) / 5)
    return np.asarray(out)


def find_and_apply_best_mask(matrix: Any, width: int, height: int, proposed_mask: int | None = None) -> tuple[int, Any]:
    if proposed_mask is not None or width != height or width < 21:  # a given mask, or a Micro QR code: segno's own
        mask, chosen = _ORIGINAL(matrix, width, height, proposed_mask)
        return int(mask), chosen
    base = np.frombuffer(b"".join(bytes(row) for row in matrix), dtype=np.uint8).reshape(height, width)
    grids = base[None, :, :] ^ _masks(width, height)
    best = int(np.argmin(scores(grids)))  # the first of the lowest, as segno's strict "<" keeps
    masked = grids[best]
    return best, tuple(bytearray(row.tobytes()) for row in masked)


_NEEDS = ("find_and_apply_best_mask", "make_matrix", "add_finder_patterns", "add_alignment_patterns", "get_data_mask_functions")


def install() -> None:
    """Use the faster choice, if this segno has the internals it builds on (else segno's own stays)."""
    if all(hasattr(encoder, name) for name in _NEEDS):
        encoder.find_and_apply_best_mask = find_and_apply_best_mask


def uninstall() -> None:
    encoder.find_and_apply_best_mask = _ORIGINAL
