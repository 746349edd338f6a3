"""QR Code symbols (ISO/IEC 18004:2015) with the data mask chosen by array arithmetic.

segno encodes the data (segments, error correction, codeword placement) and writes the format
and version information; what this module does itself is the step that costs most of a symbol in
pure Python: applying the eight data masks and scoring each (ISO/IEC 18004:2015 §7.8.3, Table 11),
about 4 ms of the 5 ms segno takes for an EPC QR code of version 6. Here the eight masked
matrices are one numpy array and the penalties N1–N4 are array operations, computed exactly as
``segno.encoder.mask_scores`` computes them (same matrix, same quirks: format and version areas
scored as light, N3 patterns counted at the symbol edge, the first of equal scores kept), so the
symbol is the one ``segno.make`` returns — ``tests/formats/test_qr_symbol.py`` compares them
module by module over thousands of payloads.

>>> import segno
>>> symbol = encode("BCD\\n002\\n1\\nSCT\\n\\nElec Durand\\nFR7630006000011234567890189\\nEUR150.00")
>>> symbol.version, symbol.size, len(symbol.rows) == symbol.size
(5, 37, True)
>>> symbol.rows == tuple(bytes(row) for row in segno.make(
...     "BCD\\n002\\n1\\nSCT\\n\\nElec Durand\\nFR7630006000011234567890189\\nEUR150.00",
...     error="M", boost_error=False, micro=False, mode="byte", encoding="utf-8").matrix)
True
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt
import segno.consts
import segno.encoder

__all__ = ["QrSymbol", "encode"]

encoder: Any = segno.encoder  # segno's encoding steps (the module is not annotated)
consts: Any = segno.consts
_Matrix = npt.NDArray[np.uint8]
_N3_PATTERN = np.array((1, 0, 1, 1, 1, 0, 1), dtype=np.uint8)


@dataclass(frozen=True)
class QrSymbol:
    """A QR Code symbol: ``rows[i][j]`` is 1 for a dark module (row ``i``, column ``j``), no quiet zone."""

    version: int
    mask: int
    rows: tuple[bytes, ...]

    @property
    def size(self) -> int:
        return len(self.rows)


def encode(text: str, *, error: str = "M") -> QrSymbol:
    """The symbol ``segno.make(text, error=error, boost_error=False, micro=False, mode="byte",
    encoding="utf-8")`` returns, with its data mask chosen by :func:`_best_mask`.

    Raises what segno raises (``segno.DataOverflowError`` when ``text`` does not fit version 40).
    """
    level = encoder.normalize_errorlevel(error)
    segments = encoder.prepare_data(text, consts.MODE_BYTE, "utf-8")
    version = encoder.find_version(segments, level, eci=False, micro=False)
    layout = _layout(encoder.calc_matrix_size(version))
    # The matrix segno scores: data modules unmasked, function patterns, reserved areas light.
    unmasked = layout.function_modules.copy()
    unmasked.ravel()[layout.placement] = np.frombuffer(_final_message(segments, version, level), np.uint8)
    candidates = unmasked[np.newaxis] ^ layout.masks  # the eight masked matrices
    mask = _best_mask(candidates)
    matrix = tuple(bytearray(row.tobytes()) for row in candidates[mask])
    encoder.add_format_info(matrix, version, level, mask)
    encoder.add_version_info(matrix, version)
    return QrSymbol(version=version, mask=mask, rows=tuple(bytes(row) for row in matrix))


def _final_message(segments: Any, version: int, level: int) -> bytes:
    """Data and error-correction codewords as bits, remainder bits included (segno's ``_encode``)."""
    buffer = encoder.Buffer()
    for segment in segments:
        encoder.write_segment(buffer, segment, None, encoder.version_range(version), False)
    capacity = consts.SYMBOL_CAPACITY[version][level]
    encoder.write_terminator(buffer, capacity, None, len(buffer))
    encoder.write_padding_bits(buffer, version, len(buffer))
    encoder.write_pad_codewords(buffer, version, capacity, len(buffer))
    return bytes(encoder.make_final_message(version, level, buffer))


@dataclass(frozen=True)
class _Layout:
    """What every symbol of one size shares."""

    function_modules: _Matrix  # finder, separator, timing and alignment patterns; everything else 0
    placement: npt.NDArray[np.intp]  # flat indices of the data modules, in the order bits are placed
    masks: _Matrix  # the 8 data masks (8 × size × size), 0 off the data modules


@cache
def _layout(size: int) -> _Layout:
    """Built with segno's own functions, as ``segno.encoder.find_and_apply_best_mask`` builds them."""
    function_matrix = encoder.make_matrix(size, size)
    encoder.add_finder_patterns(function_matrix, size, size)
    encoder.add_alignment_patterns(function_matrix, size, size)
    modules = np.frombuffer(b"".join(function_matrix), dtype=np.uint8).reshape(size, size)
    region = modules > 1
    i, j = np.indices((size, size))
    masks = np.zeros((8, size, size), dtype=np.uint8)
    for number, condition in enumerate(encoder.get_data_mask_functions(False)):
        masks[number] = np.vectorize(condition)(i, j) & region
    layout = _Layout(
        function_modules=np.where(region, 0, modules).astype(np.uint8),
        placement=np.array(_placement_order(region), dtype=np.intp),
        masks=masks,
    )
    for array in (layout.function_modules, layout.placement, layout.masks):
        array.setflags(write=False)
    return layout


def _placement_order(region: npt.NDArray[np.bool_]) -> list[int]:
    """Data modules in placement order: two-module columns from the right, alternately up and down,
    skipping the vertical timing pattern (ISO/IEC 18004:2015 §7.7.3; segno's ``add_codewords``)."""
    size = region.shape[0]
    order: list[int] = []
    taken = np.zeros_like(region)
    for column_pair in range(size - 1, 0, -2):
        right = column_pair - 1 if column_pair <= 6 else column_pair
        for vertical in range(size):
            for z in range(2):
                j = right - z
                upwards = ((right & 2) == 0) ^ (j < 6)
                i = size - 1 - vertical if upwards else vertical
                if region[i, j] and not taken[i, j]:
                    taken[i, j] = True
                    order.append(i * size + j)
    return order


def _best_mask(candidates: _Matrix) -> int:
    """The index of the lowest penalty N1 + N2 + N3 + N4 (the first one on a tie), as segno scores them."""
    size = candidates.shape[1]
    columns = candidates.transpose(0, 2, 1)
    scores = _n1(candidates) + _n1(columns) + _n2(candidates) + _n3(candidates) + _n3(columns)
    dark = candidates.sum(axis=(1, 2), dtype=np.int64).tolist()
    totals = [
        int(score) + 10 * int(abs(float(count) / (size**2) * 100 - 50) / 5)  # N4, segno's float arithmetic
        for score, count in zip(scores.tolist(), dark, strict=True)
    ]
    return totals.index(min(totals))


def _n1(lines: _Matrix) -> npt.NDArray[np.int64]:
    """Runs of 5 + i modules of one colour along each line: 3 + i points each.

    A run of length L ≥ 5 holds L − 4 windows of 5 equal modules and starts one of them:
    L − 2 = windows + 2 × starts.
    """
    equal = lines[..., 1:] == lines[..., :-1]  # module k + 1 continues module k
    windows = equal[..., :-3] & equal[..., 1:-2] & equal[..., 2:-1] & equal[..., 3:]
    starts = windows.copy()
    starts[..., 1:] &= ~equal[..., :-4]  # no equal module just before the window
    score: npt.NDArray[np.int64] = windows.sum(axis=(1, 2), dtype=np.int64) + 2 * starts.sum(
        axis=(1, 2), dtype=np.int64
    )
    return score


def _n2(candidates: _Matrix) -> npt.NDArray[np.int64]:
    """Each 2 × 2 block of one colour: 3 points."""
    top_left = candidates[:, :-1, :-1]
    same = (
        (top_left == candidates[:, :-1, 1:])
        & (top_left == candidates[:, 1:, :-1])
        & (top_left == candidates[:, 1:, 1:])
    )
    score: npt.NDArray[np.int64] = 3 * same.sum(axis=(1, 2), dtype=np.int64)
    return score


def _n3(lines: _Matrix) -> npt.NDArray[np.int64]:
    """1:1:3:1:1 finder-like patterns along each line: 40 points each.

    Same walk as segno: a pattern counts at the symbol's edge or with four light modules (fewer
    near the edge) before or after it; the search resumes 7 modules on after a counted pattern,
    4 after one that is not.
    """
    count, _, size = lines.shape
    found = np.ones((*lines.shape[:2], size - 6), dtype=np.bool_)
    for offset, value in enumerate(_N3_PATTERN):
        found &= lines[..., offset : offset + size - 6] == value
    scores = np.zeros(count, dtype=np.int64)
    if not found.any():
        return scores
    # dark[..., k] = modules other than light before module k: a slice's count is a difference.
    dark = np.zeros((*lines.shape[:2], size + 1), dtype=np.int16)
    np.cumsum(lines != 0, axis=2, out=dark[..., 1:])
    starts = np.arange(size - 6)
    before = np.maximum(starts - 4, 0)
    after = np.minimum(starts + 11, size)
    light_before = dark[..., starts] == dark[..., before]
    light_after = dark[..., after] == dark[..., starts + 7]
    counts = light_before | light_after
    counts[..., 0] = True
    counts[..., size - 7] = True
    masks, rows, positions = np.nonzero(found)
    resume: dict[tuple[int, int], int] = {}
    for mask, row, start, counted in zip(
        masks.tolist(), rows.tolist(), positions.tolist(), counts[found].tolist(), strict=True
    ):
        if start < resume.get((mask, row), 0):
            continue
        if counted:
            scores[mask] += 40
        resume[mask, row] = start + (7 if counted else 4)
    return scores
