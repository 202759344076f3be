"""Text that is not valid Unicode: find it, name where it is, or replace it.

A Python ``str`` may hold lone surrogates (U+D800..U+DFFF), which no encoding can write and no
tokenizer accepts. They arrive from undecodable input: ``sys.argv`` holds a non-UTF-8 byte
``0xNN`` as U+DCNN (Python's ``surrogateescape``), ``bytes.decode(errors="surrogateescape")``
does the same, and JSON may spell one (``"\\udcff"``). Every other code point is accepted.

- :func:`check` raises :class:`TextEncodingError` (a ``SeqGPTError``) naming the field and the
  position (a code-point index, like span offsets), for the API boundary, the command line and
  the service.
- :func:`replace` swaps each lone surrogate for U+FFFD, one code point for one, so every
  offset into the text stays valid; for callers who prefer a result to an error.
- :func:`decode_line` decodes raw input bytes (a stdin line) the same way, naming the line.
"""

from __future__ import annotations

from seqgpt.errors import TextEncodingError

REPLACEMENT = "\ufffd"


def first_invalid(text: str) -> int | None:
    """The code-point index of the first lone surrogate in ``text``, or ``None``."""
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        return error.start
    return None


def check(text: str, field: str = "text") -> str:
    """``text`` unchanged if it is valid Unicode, else :class:`TextEncodingError`, e.g.
    ``text[2] has a lone surrogate U+DCFF at position 4 (...)``. Non-strings pass through
    (type checks are the caller's)."""
    if not isinstance(text, str):
        return text
    position = first_invalid(text)
    if position is None:
        return text
    char = ord(text[position])
    if 0xDC80 <= char <= 0xDCFF:
        what = (f"an undecodable byte 0x{char - 0xDC00:02x} (escaped as U+{char:04X}) at "
                f"position {position}")
    else:
        what = f"a lone surrogate U+{char:04X} at position {position}"
    raise TextEncodingError(f"{field} has {what}: text must be valid Unicode (UTF-8); decode "
                            "input bytes as UTF-8, or replace what is invalid "
                            "(seqgpt.textcheck.replace swaps it for U+FFFD, keeping offsets)")


def check_all(texts: list[str], field: str = "text") -> list[str]:
    """:func:`check` on each text, naming it ``field[i]``."""
    for i, text in enumerate(texts):
        check(text, f"{field}[{i}]")
    return texts


def replace(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD (same length, same offsets)."""
    if first_invalid(text) is None:
        return text
    return "".join(REPLACEMENT if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)


def decode_line(data: bytes, where: str) -> str:
    """One line of input bytes as text; a byte that is not UTF-8 is a
    :class:`TextEncodingError` naming ``where`` (e.g. ``stdin line 3``), the byte and its
    position (a byte offset in the line)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise TextEncodingError(
            f"{where} is not UTF-8: byte 0x{data[error.start]:02x} at byte {error.start} "
            f"({error.reason}); convert the input to UTF-8 (e.g. iconv -f latin1 -t utf-8)"
        ) from None
