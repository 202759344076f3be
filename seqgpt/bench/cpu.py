"""CPU and memory accounting of a run: how much of the machine other processes took, and the
peak resident memory."""

from __future__ import annotations

import os
import resource
import sys


def cpu_seconds() -> tuple[float, float] | None:
    """CPU seconds busy on the whole machine (steal included) and used by this process and its
    children, or None without Linux's /proc/stat."""
    try:
        with open("/proc/stat") as stat:
            ticks = [int(v) for v in stat.readline().split()[1:9]]
    except OSError:
        return None
    ours = sum(getattr(resource.getrusage(who), field)
               for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
               for field in ("ru_utime", "ru_stime"))
    idle = ticks[3] + ticks[4]  # idle and iowait
    return (sum(ticks) - idle) / os.sysconf("SC_CLK_TCK"), ours


def others_share(before: tuple[float, float] | None, after: tuple[float, float] | None,
                  wall: float) -> float | None:
    """Share of the machine's CPU time that other processes used during the run: well above 0,
    they competed with the timed calls and the absolute numbers are slower than on idle cores."""
    if before is None or after is None:
        return None
    others = (after[0] - before[0]) - (after[1] - before[1])
    return min(1.0, max(0.0, others / (wall * (os.cpu_count() or 1))))


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20 if sys.platform == "darwin" else 1 << 10)  # bytes there, else KiB

