"""A worker process of a ``--workers K`` job: its own model, loaded on its first chunk."""

from __future__ import annotations

import signal
from typing import Any

from seqgpt.api import Model

_model_name: str | None = None
_model: Model | None = None


def init(model: str | None, threads: int) -> None:
    """Runs once per worker. Ctrl-C is the main process's to handle: it stops handing out work
    and the checkpoint already covers everything written."""
    global _model_name
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import torch

    torch.set_num_threads(threads)
    _model_name = model


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
