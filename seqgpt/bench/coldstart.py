"""Cold start: ``import seqgpt`` + load and the first extract in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import seqgpt
from seqgpt.errors import SeqGPTError

_CHILD = """\
import json, sys, time
start = time.perf_counter()
import seqgpt
{load}
loaded = time.perf_counter()
nlu.extract({text!r}, {labels!r})
done = time.perf_counter()
try:  # this process's own peak: getrusage would count the parent's (see cold_start)
    with open("/proc/self/status") as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
except OSError:
    import resource
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1 << 20 if sys.platform ==
                                                                  "darwin" else 1 << 10)
print(json.dumps({{"import_load_s": loaded - start, "first_extract_s": done - loaded,
                  "peak_rss_mb": peak}}))
"""


def cold_start(load_code: str, text: str, labels: list[str], runs: int = 1) -> dict[str, Any]:
    """A fresh interpreter: ``import seqgpt`` + load, then one extract, and its peak RSS; with
    ``runs`` > 1 the run with the median load time, and every load time in ``load_s_runs``
    (one fresh start on this shared virtual machine varied from 1.9 to 3.7 s).

    The peak is the child's VmHWM where /proc exists: Linux keeps ``ru_maxrss`` over fork and
    exec, so getrusage in a child of a 2 GB process reports at least 2 GB."""
    if runs > 1:
        starts = sorted((cold_start(load_code, text, labels) for _ in range(runs)),
                        key=lambda run: run["import_load_s"])
        return {**starts[len(starts) // 2],
                "load_s_runs": [run["import_load_s"] for run in starts]}
    root = str(Path(seqgpt.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (root, os.environ.get("PYTHONPATH")) if p)}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _CHILD.format(load=load_code, text=text,
                                                               labels=labels)],
                          capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise SeqGPTError(f"the cold-start process failed (exit {done.returncode}): {tail}")
    return {"process_s": wall, **json.loads(done.stdout.strip().splitlines()[-1])}

