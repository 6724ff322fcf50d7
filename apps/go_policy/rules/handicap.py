"""Where fixed handicap stones go: the layout of the GTP version 2 specification (section 4.1.1).

Engines and servers must agree on these points, so ``fixed_handicap`` places them
exactly as the specification (and GNU Go, GoGui, KGS) does: the 4-4 points (3-3 on
boards smaller than 13x13) first, then the side star points, then the centre when the
number of stones is odd.
"""

from __future__ import annotations

# Each stone as (row, column) in thirds of the board: 0 = low star line, 1 = middle, 2 = high.
_LAYOUT = {
    2: ["00", "22"],
    3: ["00", "22", "20"],
    4: ["00", "22", "20", "02"],
    5: ["00", "22", "20", "02", "11"],
    6: ["00", "22", "20", "02", "10", "12"],
    7: ["00", "22", "20", "02", "10", "12", "11"],
    8: ["00", "22", "20", "02", "10", "12", "01", "21"],
    9: ["00", "22", "20", "02", "10", "12", "01", "21", "11"],
}


def max_fixed_handicap(size: int) -> int:
    """The most stones ``fixed_handicap`` allows on a ``size`` board (0: none)."""
    if size < 7:
        return 0
    if size == 7 or size % 2 == 0:  # 7x7: too small for side stones; even sizes: no centre line
        return 4
    return 9


def fixed_handicap_points(stones: int, size: int) -> list[int]:
    """The points (row * size + column, row 0 = line 1) of a fixed handicap of ``stones``.

    Raises ValueError naming the allowed range when the board has no such layout.
    """
    most = max_fixed_handicap(size)
    if not 2 <= stones <= most:
        allowed = f"2 to {most}" if most else "none"
        raise ValueError(f"invalid number of stones: {stones} on {size}x{size} (fixed handicap allows {allowed})")
    edge = 2 if size < 13 else 3
    line = {"0": edge, "1": (size - 1) // 2, "2": size - 1 - edge}
    return [line[row] * size + line[column] for row, column in _LAYOUT[stones]]
