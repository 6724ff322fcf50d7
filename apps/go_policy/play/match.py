"""Play our engine against another GTP engine (GNU Go) and report the win rate.

Colors alternate (our engine is Black in even-numbered games). Each finished
game is scored by the opponent's ``final_score`` when it has one (GNU Go
removes dead stones), otherwise by our own area count with the dead stones off
(``rules.scoring.final_score``; Tromp-Taylor for an engine with ``playouts=0``); it
is saved as SGF. The win rate comes with a 95% Wilson score interval. An
opponent that exits mid-game (GNU Go 3.8 aborts on rare positions) is restarted
and the game replayed with a new seed; the crashes are counted in the summary.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np

from apps.go_policy.rules.board import BLACK, WHITE, Board, gtp_to_point, point_to_gtp
from apps.go_policy.rules.records import write_sgf
from apps.go_policy.rules.scoring import final_score


class GtpOpponentExited(ValueError):
    """The opponent's process ended while we waited for an answer."""


class GtpClient:
    """Talk to a GTP engine running as a subprocess."""

    def __init__(self, command: str):
        self.command = command
        argv = shlex.split(command)
        if not argv:
            raise ValueError("opponent command is empty: expected e.g. 'gnugo --mode gtp --level 10'")
        if shutil.which(argv[0]) is None and shutil.which(argv[0], path="/usr/games:/usr/local/games"):
            argv[0] = shutil.which(argv[0], path="/usr/games:/usr/local/games")  # Debian installs gnugo there
        try:
            self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=subprocess.DEVNULL, text=True, bufsize=1)
        except FileNotFoundError:
            raise ValueError(f"opponent program {argv[0]!r} not found (command: {command!r}); "
                             "install it (Debian: apt-get install gnugo) or give its full path") from None

    def send(self, command: str) -> str:
        """Send one command; return the answer text, or raise ValueError on a ``?`` reply."""
        try:
            self.process.stdin.write(command + "\n")
            self.process.stdin.flush()
        except OSError:  # BrokenPipeError included
            raise self._exited(command) from None
        lines = []
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise self._exited(command)
            if line.strip() == "" and lines:
                break
            if line.strip() or lines:
                lines.append(line.rstrip("\n"))
        reply = "\n".join(lines)
        if reply.startswith("?"):
            raise ValueError(f"GTP opponent refused {command!r}: {reply[1:].strip()}")
        return reply[1:].strip()

    def _exited(self, command: str) -> GtpOpponentExited:
        return GtpOpponentExited(f"GTP opponent {self.command!r} exited while answering {command!r}")

    def close(self) -> None:
        try:
            self.send("quit")
        except (ValueError, OSError, BrokenPipeError):
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()


def wilson_interval(wins: int, games: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of a win rate (scipy's binomial test)."""
    if games == 0:
        return 0.0, 1.0
    from scipy.stats import binomtest

    interval = binomtest(int(wins), int(games)).proportion_ci(confidence_level=confidence, method="wilson")
    return float(interval.low), float(interval.high)


def paired_comparison(this: dict, other: dict) -> dict:
    """Two players' results on the same games (game number -> won; same opponent seed and colors):
    the games both played, each one's wins there, the games only one of them won and the exact
    McNemar test of those discordant games (a paired test: the seeds' difficulty cancels)."""
    from scipy.stats import binomtest

    common = sorted(set(this) & set(other))
    only_this = sum(bool(this[n]) and not other[n] for n in common)
    only_other = sum(bool(other[n]) and not this[n] for n in common)
    discordant = only_this + only_other
    return {"paired_games": len(common), "paired_wins": sum(bool(this[n]) for n in common),
            "paired_wins_other": sum(bool(other[n]) for n in common),
            "won_only_by_this": only_this, "won_only_by_other": only_other,
            "mcnemar_exact_p": float(binomtest(min(only_this, only_other), discordant).pvalue) if discordant else 1.0}


def play_game(engine, opponent: GtpClient, size: int = 19, komi: float = 7.5, engine_color: int = BLACK,
              max_moves: int | None = None, opening=()) -> dict:
    """Play one game; return the moves, the winner and how it was decided.

    ``opening``: moves ``(color, point)`` both sides make first, from a record: the game is
    played on from there (``max_moves`` counts them too)."""
    max_moves = max_moves or 3 * size * size
    opponent.send(f"boardsize {size}")
    opponent.send("clear_board")
    opponent.send(f"komi {komi:g}")
    board = Board(size, komi)
    for color, point in opening:
        board.play(point, color)
        opponent.send(f"play {'b' if color == BLACK else 'w'} {point_to_gtp(point, size)}")
    think = []
    resigned = None
    while not board.is_over and board.move_number < max_moves:
        color = board.to_move
        letter = "b" if color == BLACK else "w"
        if color == engine_color:
            point = engine.select_move(board)
            think.append(getattr(engine, "last_seconds", 0.0))
            board.play(point, color)
            opponent.send(f"play {letter} {point_to_gtp(point, size)}")
        else:
            vertex = opponent.send(f"genmove {letter}")
            if vertex.lower() == "resign":
                resigned = color
                break
            board.play(gtp_to_point(vertex, size), color)
    if resigned is not None:
        winner = WHITE if resigned == BLACK else BLACK
        result = f"{'W' if winner == WHITE else 'B'}+R"
        scored_by = "resignation"
    else:
        result, scored_by = None, None
        try:
            result = opponent.send("final_score")
            scored_by = "opponent final_score"
        except ValueError:
            pass
        if not result or result[:2].upper() not in ("B+", "W+") and result != "0":
            playouts = getattr(engine, "playouts", 0)
            if playouts:
                result, scored_by = final_score(board, playouts=playouts), "area, dead stones off (play-outs)"
            else:
                result, scored_by = board.result(), "tromp-taylor"
        winner = BLACK if result.upper().startswith("B+") else WHITE if result.upper().startswith("W+") else None
    return {
        "moves": list(board.history), "result": result, "winner": winner, "scored_by": scored_by,
        "tromp_taylor": board.result(), "move_count": board.move_number,
        "adjudicated_at_max_moves": not board.is_over and resigned is None,
        "engine_think_ms_mean": float(np.mean(think) * 1000) if think else 0.0,
        "engine_think_ms_max": float(np.max(think) * 1000) if think else 0.0,
    }


def _seed(opponent: GtpClient, seed: int) -> None:
    """A per-game seed: otherwise two deterministic engines replay the same game."""
    try:
        opponent.send(f"set_random_seed {seed}")
    except GtpOpponentExited:
        raise
    except ValueError:
        pass  # an opponent without the GNU Go extension plays as it is


def play_match(engine, opponent_command: str, games: int = 10, size: int = 19, komi: float = 7.5,
               out=None, max_moves: int | None = None, progress: bool = True,
               max_minutes: float | None = None, first_game: int = 0, max_restarts: int = 2,
               openings: dict | None = None) -> dict:
    """Play ``games`` games with alternating colors; save SGFs; return the win rate and its 95% CI.

    ``max_minutes`` stops starting new games after that much wall time (the
    summary says how many were played). ``first_game`` numbers the games (and picks
    the colors) from that index, so several processes can share one match. When
    the opponent exits mid-game it is restarted and the game replayed with another
    seed, at most ``max_restarts`` times a game; a game still failing is abandoned
    and counted (``games_abandoned``), never scored. ``openings`` maps game numbers (1 for
    ``game_001``) to moves played first: exactly those games are played on from there, with the
    colors and seeds their numbers give (``games`` and ``first_game`` are then not used).
    """
    if openings is not None:
        indices = [number - 1 for number in sorted(openings)]
    elif games < 1:
        raise ValueError(f"games must be >= 1, got {games}")
    else:
        indices = list(range(first_game, first_game + games))
    if not indices:
        raise ValueError("openings is empty: no game to play on")
    out = Path(out) if out else None
    opponent = GtpClient(opponent_command)
    try:
        opponent_name = opponent.send("name")
    except ValueError:
        opponent_name = opponent_command
    records, crashes, abandoned = [], [], 0
    start = time.perf_counter()
    try:
        for index in indices:
            if max_minutes is not None and time.perf_counter() - start > 60 * max_minutes and records:
                break
            color = BLACK if index % 2 == 0 else WHITE
            game = None
            for attempt in range(max_restarts + 1):
                game_start = time.perf_counter()
                try:
                    _seed(opponent, index + 1 + 10_000 * attempt)
                    opening = openings[index + 1] if openings is not None else ()
                    game = play_game(engine, opponent, size, komi, color, max_moves, opening)
                    break
                except GtpOpponentExited as error:
                    crashes.append({"game": index + 1, "attempt": attempt + 1, "error": str(error)})
                    if progress:
                        print(f"game {index + 1}: {error}; restarting the opponent", flush=True)
                    opponent.close()
                    opponent = GtpClient(opponent_command)
            if game is None:
                abandoned += 1
                continue
            game["game"] = index + 1
            game["engine_color"] = "B" if color == BLACK else "W"
            game["won"] = game["winner"] == color
            game["seconds"] = round(time.perf_counter() - game_start, 1)
            ours, theirs = getattr(engine, "name", "cnnkit-go"), opponent_name
            if out is not None:
                path = out / f"game_{index + 1:03d}.sgf"
                write_sgf(path, size, komi, game["moves"], game["result"],
                          black=ours if color == BLACK else theirs, white=theirs if color == BLACK else ours)
                game["sgf"] = str(path)
            moves = game.pop("moves")
            game["moves"] = len(moves)
            records.append(game)
            if progress:
                print(f"game {index + 1}/{indices[-1] + 1}: engine {game['engine_color']}, {game['result']} "
                      f"({game['scored_by']}), {'won' if game['won'] else 'lost'}, {game['moves']} moves, "
                      f"{game['seconds']} s", flush=True)
    finally:
        opponent.close()
    if not records:
        raise ValueError(f"no game could be finished against {opponent_command!r}: the opponent exited "
                         f"{len(crashes)} time(s), last: {crashes[-1]['error'] if crashes else 'no error'}")
    wins = sum(game["won"] for game in records)
    low, high = wilson_interval(wins, len(records))
    think = [game["engine_think_ms_mean"] for game in records]
    summary = {
        "opponent": opponent_command, "opponent_name": opponent_name, "size": size, "komi": komi,
        "games": len(records), "games_requested": len(indices), "wins": wins, "win_rate": wins / len(records),
        "win_rate_ci95": [low, high], "ci_method": "Wilson score interval",
        "wins_as_black": sum(g["won"] for g in records if g["engine_color"] == "B"),
        "wins_as_white": sum(g["won"] for g in records if g["engine_color"] == "W"),
        "engine_genmove_ms_mean": float(np.mean(think)) if think else 0.0,
        "opponent_restarts": len(crashes), "games_abandoned": abandoned, "opponent_crashes": crashes,
        "seconds": round(time.perf_counter() - start, 1), "game_records": records,
    }
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        name = ("match.json" if first_game == 0 and openings is None
                else f"match_from_game_{indices[0] + 1:03d}.json")
        (out / name).write_text(json.dumps(summary, indent=1, default=str))
    return summary
