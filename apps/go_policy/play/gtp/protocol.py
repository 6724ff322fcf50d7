"""The Go Text Protocol version 2 itself: lines, ids, ``=`` / ``?`` replies and the command loop.

``GtpProtocol`` reads one command a line (control characters and ``#`` comments dropped, an
optional numeric id kept for the reply), calls the ``cmd_<name>`` method of a known command
(a ``-`` in the name becomes ``_``) and writes ``=id result`` or ``?id message`` followed by
an empty line. A handler returns a string, or an iterable of lines for a reply written as it
is produced (Leela Zero's ``lz-analyze``). Every malformed command, wrong argument count or
failing handler gets a ``?`` reply: a session never ends on bad input.
"""

from __future__ import annotations

import inspect
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


def parse_count(text: str, what: str) -> int:
    """An integer argument; ``what`` names it in the error."""
    try:
        return int(text)
    except ValueError:
        raise GtpError(f"syntax error: {what} must be an integer, got {text!r}") from None


def clean_line(line: str) -> str:
    """A command line as GTP preprocesses it: control characters and comments gone, tabs as spaces."""
    line = "".join(ch for ch in line if ch in "\t\n" or 31 < ord(ch) != 127)
    return line.split("#", 1)[0].replace("\t", " ").strip()


def _always() -> bool:
    return True


class GtpProtocol:
    """Dispatch GTP commands to ``cmd_*`` methods; serve a session on text streams.

    Subclasses list their commands in ``COMMANDS`` and define ``cmd_<name>`` for each. The
    administrative commands (``protocol_version``, ``known_command``, ``list_commands``,
    ``quit``) are answered here.
    """

    COMMANDS: tuple[str, ...] = ("protocol_version", "known_command", "list_commands", "quit")

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
        try:
            inspect.signature(handler).bind(*arguments)
        except TypeError:
            return [f"?{command_id} wrong number of arguments for {name}\n\n"]
        try:
            result = handler(*arguments)
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
