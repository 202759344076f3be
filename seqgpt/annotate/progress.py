"""A one-line progress bar (rate, ETA) on a terminal; a log line a minute otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO

_WIDTH = 24


class Progress:
    """Progress of this run. ``total`` is the input size in bytes (``None`` when unknown, e.g.
    stdin); the fraction done and the ETA come from the bytes read, so no line count is needed
    up front."""

    def __init__(self, total: int | None, start: int = 0, stream: TextIO | None = None,
                 tty: bool | None = None, log_every: float = 60.0) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.total = total
        self.start_bytes = start
        self.log_every = log_every
        self.started = time.monotonic()
        self.shown = 0.0 if self.tty else self.started
        self.new_records = 0

    def update(self, records: int, errors: int, offset: int, new_records: int,
               force: bool = False) -> None:
        self.new_records = new_records
        now = time.monotonic()
        if not force and now - self.shown < (0.2 if self.tty else self.log_every):
            return
        self.shown = now
        line = self.line(records, errors, offset, now)
        if self.tty:
            self.stream.write(f"\r{line}\x1b[K")
        else:
            self.stream.write(f"annotate: {line}\n")
        self.stream.flush()

    def line(self, records: int, errors: int, offset: int, now: float) -> str:
        elapsed = max(now - self.started, 1e-9)
        parts = []
        if self.total:
            fraction = min(offset / self.total, 1.0)
            filled = int(fraction * _WIDTH)
            parts.append(f"[{'#' * filled}{'.' * (_WIDTH - filled)}] {fraction:4.0%}")
        parts.append(f"{records:,} records")
        if errors:
            parts.append(f"{errors:,} errors")
        parts.append(f"{self.new_records / elapsed:,.1f}/s")
        done_bytes = offset - self.start_bytes
        if self.total and done_bytes > 0:
            parts.append(f"ETA {_clock((self.total - offset) * elapsed / done_bytes)}")
        return "  ".join(parts)

    def close(self) -> None:
        if self.tty and self.shown:
            self.stream.write("\n")
            self.stream.flush()


def _clock(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"
