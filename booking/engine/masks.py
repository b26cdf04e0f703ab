"""Availability as bitmasks: bit i of an int stands for minute i of the search, counted from its origin.

Python's ints are arbitrary-precision and their bitwise operators run in C, so intersecting a hundred people's
weeks is a few hundred word-level operations instead of a loop over minutes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator


def runs_mask(runs: Iterable[tuple[int, int]], size: int) -> int:
    """A mask with the minutes of each [start, end) run set, clipped to [0, size)."""
    mask = 0
    for start, end in runs:
        start, end = max(start, 0), min(end, size)
        if end > start:
            mask |= ((1 << (end - start)) - 1) << start
    return mask


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
