"""A Go Text Protocol version 2 engine (GoGui, Sabaki, Lizzie, twogtp, ...).

``protocol`` reads commands and writes replies, ``commands`` holds the board and the
command handlers (``GtpEngine``), ``gogui`` draws GoGui's analyze graphics.
"""

from apps.go_policy.play.gtp.commands import COMMANDS, MAX_SIZE, GtpEngine
from apps.go_policy.play.gtp.gogui import ANALYZE_COMMANDS, ownership_gfx, policy_gfx
from apps.go_policy.play.gtp.protocol import GtpError, GtpProtocol, parse_color, parse_count

__all__ = ["ANALYZE_COMMANDS", "COMMANDS", "MAX_SIZE", "GtpEngine", "GtpError", "GtpProtocol", "ownership_gfx",
           "parse_color", "parse_count", "policy_gfx"]
