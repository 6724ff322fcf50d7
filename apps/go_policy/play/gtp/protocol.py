"""The Go Text Protocol version 2 itself: lines, ids, ``=`` / ``?`` replies and the command loop.

``GtpProtocol`` reads one command a line (control characters and ``#`` comments dropped, an
optional numeric id kept for the reply), calls the ``cmd_<name>`` method of a known command
(a ``-`` in the name becomes ``_``) and writes ``=id result`` or ``?id message`` followed by
an empty line. A handler returns a string, or an iterable of lines for a reply written as it
is produced (Leela Zero's ``lz-analyze``). Arguments listed in ``ARGUMENTS`` are parsed before
the handler runs (numbers must be finite, integers ASCII digits). Every malformed command, bad
argument, wrong argument count or failing handler gets a ``?`` reply that says what is wrong: a
session never ends on bad input.
"""

from __future__ import annotations

import inspect
import math
import queue
import re
import sys
import threading

from apps.go_policy.rules.board import BLACK, WHITE


class GtpError(Exception):
    """A command failed; the message becomes the ``? message`` reply."""


def parse_color(text: str) -> int:
    """A GTP color (``b``, ``black``, ``w``, ``white``, any case) as ``BLACK`` or ``WHITE``."""
    value = text.lower()
    if value in ("b", "black"):
        return BLACK
    if value in ("w", "white"):
        return WHITE
    raise GtpError(f"invalid color {text!r}")


_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def parse_count(text: str, what: str, minimum: int | None = None) -> int:
    """An integer argument in ASCII digits; ``what`` names it in the error.

    (Python's ``int`` would also take ``1_0`` and digits of other scripts, which GTP does not.)
    """
    if not _INTEGER.fullmatch(text):
        raise GtpError(f"syntax error: {what} must be an integer, got {text!r}")
    try:
        value = int(text)
    except ValueError:  # more digits than Python converts
        raise GtpError(f"syntax error: {what} is too large ({len(text)} digits)") from None
    if minimum is not None and value < minimum:
        raise GtpError(f"syntax error: {what} must be at least {minimum}, got {text!r}")
    return value


def parse_number(text: str, what: str, minimum: float | None = None) -> float:
    """A finite decimal number (``nan``, ``inf`` and ``1e400`` are refused); ``what`` names it."""
    value = float(text) if _NUMBER.fullmatch(text) else math.nan
    if not math.isfinite(value):
        raise GtpError(f"syntax error: {what} must be a finite number, got {text!r}")
    if minimum is not None and value < minimum:
        raise GtpError(f"syntax error: {what} must be at least {minimum:g}, got {text!r}")
    return value


def integer(what: str, minimum: int | None = None):
    """An argument parser for ``GtpProtocol.ARGUMENTS``: ``parse_count`` of ``what``."""
    return lambda text: parse_count(text, what, minimum)


def number(what: str, minimum: float | None = None):
    """An argument parser for ``GtpProtocol.ARGUMENTS``: ``parse_number`` of ``what``."""
    return lambda text: parse_number(text, what, minimum)


def clean_line(line: str) -> str:
    """A command line as GTP preprocesses it: control characters and comments gone, tabs as spaces."""
    line = "".join(ch for ch in line if ch in "\t\n" or 31 < ord(ch) != 127)
    return line.split("#", 1)[0].replace("\t", " ").strip()


def usage(name: str, signature: inspect.Signature) -> str:
    """``name`` and its arguments as a handler declares them: ``loadsgf filename [move_number]``."""
    words = [name]
    for parameter in signature.parameters.values():
        if parameter.kind is parameter.VAR_POSITIONAL:
            words.append(f"{parameter.name} ...")
        elif parameter.default is not parameter.empty:
            words.append(f"[{parameter.name}]")
        else:
            words.append(parameter.name)
    return " ".join(words)


def _always() -> bool:
    return True


class GtpProtocol:
    """Dispatch GTP commands to ``cmd_*`` methods; serve a session on text streams.

    Subclasses list their commands in ``COMMANDS`` and define ``cmd_<name>`` for each. The
    administrative commands (``protocol_version``, ``known_command``, ``list_commands``,
    ``quit``) are answered here.
    """

    COMMANDS: tuple[str, ...] = ("protocol_version", "known_command", "list_commands", "quit")
    # Typed arguments: command -> a parser per leading argument (text -> value, or GtpError naming
    # what is wrong). The handler gets the parsed values; its signature says how many it takes.
    ARGUMENTS: dict = {}

    def __init__(self):
        self.quit = False
        self.input_pending = _always  # is a command waiting? (serve's queue; streams stop at once)

    def handle(self, line: str) -> str | None:
        """Answer one line of input; None for a line with no command (blank or comment).

        A streaming command (``lz-analyze``) gives one round of info lines here; ``serve``
        streams them until the next command arrives."""
        chunks = self.reply(line)
        return None if chunks is None else "".join(chunks)

    def reply(self, line: str):
        """The reply to one line as an iterable of text chunks; None for no command."""
        line = clean_line(line)
        if not line:
            return None
        parts = line.split()
        command_id = ""
        if re.fullmatch(r"\d+", parts[0]):
            command_id = parts.pop(0)
        if not parts:
            return [f"?{command_id} missing command\n\n"]
        name, arguments = parts[0].lower(), parts[1:]
        handler = getattr(self, f"cmd_{name.replace('-', '_')}", None) if name in self.COMMANDS else None
        if handler is None:
            return [f"?{command_id} unknown command\n\n"]
        signature = inspect.signature(handler)
        try:
            signature.bind(*arguments)
            count_error = None
        except TypeError:
            count_error = (f"wrong number of arguments for {name}: expected {usage(name, signature)}, "
                           f"got {len(arguments)}")
        try:
            parsers = self.ARGUMENTS.get(name, ())
            values = [parse(text) for parse, text in zip(parsers, arguments)] + arguments[len(parsers):]
        except GtpError as error:  # what is wrong with an argument says more than a miscount
            where = f" ({usage(name, signature)})" if count_error else ""
            return [f"?{command_id} {error}{where}\n\n"]
        if count_error:
            return [f"?{command_id} {count_error}\n\n"]
        try:
            result = handler(*values)
        except GtpError as error:
            return [f"?{command_id} {error}\n\n"]
        except Exception as error:  # a bug must not kill the engine in the middle of a game
            return [f"?{command_id} internal error: {type(error).__name__}: {error}\n\n"]
        if not isinstance(result, str):
            return self._streamed(command_id, result)
        result = re.sub(r"\n\s*\n", "\n", result)  # an empty line would end the reply early
        return [f"={command_id} {result}\n\n" if result else f"={command_id}\n\n"]

    @staticmethod
    def _streamed(command_id: str, lines):
        """A multi-line reply written as it is produced: ``=id``, the lines, an empty line."""
        yield f"={command_id}\n"
        try:
            for text in lines:
                yield text + "\n"
        except Exception as error:  # the reply has begun: end it cleanly, say why on stderr
            print(f"analysis stopped: {type(error).__name__}: {error}", file=sys.stderr)
        yield "\n"

    def serve(self, stdin=None, stdout=None) -> None:
        """Read commands until ``quit`` or end of input.

        A reader thread queues the input, so a streaming command (``lz-analyze``) runs until
        the next command arrives, as Leela Zero's does."""
        stdin = stdin or sys.stdin
        stdout = stdout or sys.stdout
        self.quit = False  # an engine can serve again after a session that quit
        lines = queue.Queue()

        def read():
            for text in stdin:
                lines.put(text)
            lines.put(None)

        threading.Thread(target=read, name="gtp-stdin", daemon=True).start()
        self.input_pending = lambda: not lines.empty()
        try:
            while (line := lines.get()) is not None:
                chunks = self.reply(line)
                for chunk in chunks or ():
                    stdout.write(chunk)
                    stdout.flush()
                if self.quit:
                    break
        finally:
            self.input_pending = _always

    # ------------------------------------------------------------- administrative commands
    def cmd_protocol_version(self):
        return "2"

    def cmd_known_command(self, command):
        return "true" if command.lower() in self.COMMANDS else "false"

    def cmd_list_commands(self):
        return "\n".join(self.COMMANDS)

    def cmd_quit(self):
        self.quit = True
        return ""
