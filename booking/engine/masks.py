"""Availability as bitmasks: bit i of an int stands for minute i of the search, counted from its origin.

Python's ints are arbitrary-precision and their bitwise operators run in C, so intersecting a hundred people's
weeks is a few hundred word-level operations instead of a loop over minutes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

_FEW_RUNS = 8


def runs_mask(runs: Iterable[tuple[int, int]], size: int) -> int:
    """A mask with the minutes of each [start, end) run set, clipped to [0, size).

    Written into bytes and read as one int at the end: OR-ing each run into an int copies the whole mask per run,
    which for a person's 60 days (200 meetings, 86,400 minutes) cost more than the rest of their preparation.
    A few runs are still OR-ed in: making the bytes costs more than a few copies.
    """
    runs = list(runs)
    if len(runs) <= _FEW_RUNS:
        mask = 0
        for start, end in runs:
            start, end = max(start, 0), min(end, size)
            if end > start:
                mask |= ((1 << (end - start)) - 1) << start
        return mask
    bits = bytearray((size + 7) // 8)
    for start, end in runs:
        start, end = max(start, 0), min(end, size)
        if end <= start:
            continue
        first, last = start >> 3, (end - 1) >> 3
        if first == last:
            bits[first] |= ((1 << (end - start)) - 1) << (start & 7)
            continue
        bits[first] |= 0xFF << (start & 7) & 0xFF
        bits[first + 1 : last] = b"\xff" * (last - first - 1)
        bits[last] |= (1 << ((end - 1) & 7) + 1) - 1
    return int.from_bytes(bits, "little")


def disjoint_runs_mask(runs: Iterable[tuple[int, int]], size: int) -> int:
    """`runs_mask` for runs that do not overlap (they may touch), such as a person's merged busy time: a run is
    2**end - 2**start, so the mask is the sum of the ends less the sum of the starts, two ints whose bits are set
    one by one in bytes (the cheapest way to make a mask of many runs)."""
    ends, starts = bytearray((size + 8) // 8), bytearray((size + 8) // 8)
    for start, end in runs:
        start, end = max(start, 0), min(end, size)
        if end > start:
            ends[end >> 3] |= 1 << (end & 7)
            starts[start >> 3] |= 1 << (start & 7)
    return int.from_bytes(ends, "little") - int.from_bytes(starts, "little")


def spread(mask: int, length: int) -> int:
    """Bit t is set when any of bits t .. t + length - 1 of `mask` is: "a run of `length` from t touches it"."""
    covered = 1
    while covered < length:
        step = min(covered, length - covered)
        mask |= mask >> step
        covered += step
    return mask


def every(step: int, first: int, last: int) -> int:
    """Bits first, first + step, ... up to and including `last` (none when last < first)."""
    if last < first:
        return 0
    count = (last - first) // step + 1
    # The base-2**step repunit 1 + 2**step + 2**(2*step) + ... has exactly the bits we want.
    return (((1 << (step * count)) - 1) // ((1 << step) - 1)) << first


def set_bits(mask: int) -> Iterator[int]:
    """The positions of the set bits, lowest first."""
    text = bin(mask)[:1:-1]  # least significant bit first
    position = text.find("1")
    while position >= 0:
        yield position
        position = text.find("1", position + 1)


def bit_text(mask: int, size: int) -> str:
    """The mask as "0"/"1" characters, least significant first, for constant-time look-ups by position."""
    return bin(mask)[:1:-1].ljust(size, "0")


def count_planes(masks: Iterable[int]) -> list[int]:
    """Per-position counts of set bits across masks, as bit planes (plane k holds bit k of each count).

    Adding a mask to the count is a ripple-carry adder over whole ints, so a hundred masks cost a few hundred
    word-level operations.
    """
    planes: list[int] = []
    for mask in masks:
        carry, level = mask, 0
        while carry:
            if level == len(planes):
                planes.append(0)
            planes[level], carry = planes[level] ^ carry, planes[level] & carry
            level += 1
    return planes
