"""GoGui analyze commands: the menu entries and the ``gfx`` drawings of the policy and ownership.

GoGui shows an engine's ``gogui-analyze_commands`` in its Analyze menu; a ``gfx`` command
answers with drawing lines (``INFLUENCE`` shades, ``LABEL`` texts, ``MARK`` crosses, a
``TEXT`` status line) that GoGui paints on the board.
"""

from __future__ import annotations

import numpy as np

from apps.go_policy.rules.board import BLACK, point_to_gtp, result_string

# GoGui's analyze menu: type/label/command; GoGui replaces %c with the color to move.
ANALYZE_COMMANDS = (
    "gfx/Policy network move probabilities/cnnkit-policy %c",
    "gfx/Ownership and dead stones (random play-outs)/cnnkit-ownership",
    "plist/Dead stones/final_status_list dead",
)


def policy_gfx(probabilities, size: int, color: int, labelled: int = 5) -> str:
    """GoGui ``gfx`` lines: every point's probability as a shade in the mover's color
    (relative to the most likely move) and the ``labelled`` likeliest in per cent."""
    probabilities = np.asarray(probabilities, dtype="float64")
    best = probabilities.max(initial=0.0)
    if best <= 0:
        return "TEXT no sensible move: the engine would pass"
    order = [int(point) for point in np.argsort(-probabilities, kind="stable")]
    shaded = [point for point in order if probabilities[point] >= 0.01 * best]
    sign = 1 if color == BLACK else -1  # GoGui draws positive influence black, negative white
    influence = " ".join(f"{point_to_gtp(p, size)} {sign * probabilities[p] / best:.2f}" for p in shaded)
    top = order[:labelled]
    labels = " ".join(f"{point_to_gtp(p, size)} {100 * probabilities[p]:.0f}" for p in top)
    text = ", ".join(f"{point_to_gtp(p, size)} {100 * probabilities[p]:.1f}%" for p in top)
    return f"INFLUENCE {influence}\nLABEL {labels}\nTEXT {text}"


def ownership_gfx(owner, size: int, dead, score: float, playouts: int) -> str:
    """GoGui ``gfx`` lines: each point's play-out ownership (black positive), the dead
    stones marked, and the count."""
    owner = np.asarray(owner, dtype="float64")
    influence = " ".join(f"{point_to_gtp(p, size)} {owner[p]:.2f}" for p in range(size * size)
                         if abs(owner[p]) >= 0.05)
    lines = [f"INFLUENCE {influence}"] if influence else []
    if dead:
        lines.append("MARK " + " ".join(point_to_gtp(p, size) for p in dead))
    lines.append(f"TEXT {result_string(score)} by area over {playouts} play-outs, {len(dead)} dead stones")
    return "\n".join(lines)
