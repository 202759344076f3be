"""A worker process of a ``--workers K`` job: its own model, loaded on its first chunk.

A worker never outlives the job that started it: a job killed with SIGKILL gets no chance to
stop its pool, so each worker asks Linux to kill it when its parent dies
(``prctl(PR_SET_PDEATHSIG)``) and, everywhere, watches its parent from a daemon thread and
exits once it is gone (its parent id changes when it is re-parented). Without that, the
workers (a model each, over a GB) and the multiprocessing resource tracker would idle forever.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from typing import Any

from seqgpt.api import Model

#: How often the watch thread checks that the parent is alive.
WATCH_SECONDS = 0.5
_PR_SET_PDEATHSIG = 1

_model_name: str | None = None
_model: Model | None = None


def init(model: str | None, threads: int, parent: int | None = None) -> None:
    """Runs once per worker. Ctrl-C is the main process's to handle: it stops handing out work
    and the checkpoint already covers everything written."""
    global _model_name
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if parent is not None:
        exit_with_parent(parent)
    import torch

    torch.set_num_threads(threads)
    _model_name = model


def exit_with_parent(parent: int) -> None:
    """End this process when ``parent`` (the pid that started it) dies."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass  # the watch thread below still covers it
    if os.getppid() != parent:  # died before the prctl: nobody would signal us
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(WATCH_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="seqgpt-parent-watch", daemon=True).start()


def work(task: str, texts: list[str], labels: Any,
         options: dict[str, Any]) -> list[tuple[dict[str, Any] | None, str | None]]:
    # Loading here, not in init(), lets a bad model name come back as the SeqGPTError it is.
    global _model
    from seqgpt.annotate.tasks import run_batch

    if not texts:
        return []
    if _model is None:
        import seqgpt

        _model = seqgpt.load(_model_name)
    return run_batch(_model, task, texts, labels, options)
