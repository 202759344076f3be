"""What the ``seqgpt`` commands read: TEXT from the command line, or one text per stdin line.

Every input comes back with the name an error message should use for it (``text``, ``stdin
line 7``), so a message points at the line a user can find with ``sed -n 7p``. Stdin is read as
bytes and decoded as UTF-8 line by line: a byte that is not UTF-8 is an error naming the line
and the byte (never a traceback), whatever the locale. A command-line argument with such a byte
(Python keeps it as a lone surrogate) is an error naming its position. Blank stdin lines are
normal in a corpus: they are skipped with a note on stderr, and the lines after them keep their
own numbers.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass

from seqgpt import textcheck
from seqgpt.types import SeqGPTError


@dataclass(frozen=True)
class Input:
    where: str  # "text" or "stdin line N": how messages name it
    text: str


def read(argument: str, what: str = "text") -> list[Input]:
    """The inputs of a command: ``argument`` itself, or (when it is ``-``) the stdin lines."""
    if argument != "-":
        return [Input(what, textcheck.check(argument, what))]
    found = list(stdin_lines())
    if not found:
        raise SeqGPTError(f"no {what} given: pass it as an argument or pipe it on stdin, one "
                          "per line (blank lines are skipped)")
    return found


def stdin_lines() -> Iterator[Input]:
    """The non-blank lines of stdin, decoded, without their line ending; blank ones are
    reported on stderr and skipped."""
    stream = sys.stdin
    if stream is None or stream.isatty():
        raise SeqGPTError("no input given: pass it as an argument or pipe it on stdin, one "
                          "per line")
    raw = getattr(stream, "buffer", None)
    lines: Iterator[bytes | str] = iter(raw) if raw is not None else iter(stream)
    skipped: list[int] = []
    for number, line in enumerate(lines, 1):
        where = f"stdin line {number}"
        text = (textcheck.decode_line(line, where) if isinstance(line, bytes)
                else textcheck.check(line, where))
        text = text.rstrip("\r\n")
        if not text.strip():
            skipped.append(number)
            continue
        yield Input(where, text)
    if skipped:
        shown = ", ".join(map(str, skipped[:10])) + (" ..." if len(skipped) > 10 else "")
        plural = "s" if len(skipped) > 1 else ""
        print(f"seqgpt: skipped {len(skipped)} blank stdin line{plural} ({shown}); the results "
              "are those of the other lines, in order", file=sys.stderr)
