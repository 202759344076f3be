"""Training: :func:`finetune` adapts a model to your own data (``seqgpt train``; also
``seqgpt.finetune``). The compact backend's fine-tuning and the run-folder helpers both
backends use are in :mod:`seqgpt.train.adapt`; the trainers in :mod:`seqgpt.train.compact` and
:mod:`seqgpt.train.generative`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seqgpt.errors import TrainError
from seqgpt.train.adapt import DataArg, finetune_compact
from seqgpt.train.generative import train_generative

__all__ = ["finetune"]


def finetune(data: DataArg | None, out: str | Path, *, dev: DataArg | None = None,
             start: str | Path = "default", backend: str = "compact",
             replay: float | None = None, replay_data: str | Path | None = None,
             replay_size: int | None = None, epochs: float | None = None, resume: bool = False,
             keep_checkpoint: bool = False, fmt: str | None = None, scheme: str = "bio",
             dev_limit: int = 100, base: str = "multilingual-e5-small", encoder_layers: int = 6,
             calibrate: bool = True, **settings: Any) -> Path:
    """Train on ``data`` and write a model folder to ``out``; returns ``out``.

    - ``data``: a file (JSONL in the evaluator's format, CoNLL or CSV; see
      :mod:`seqgpt.train.userdata`), a list of files, or a list of :class:`AtomicInstance`.
    - ``dev``: files and/or zero-shot dev dataset names (``dev_limit`` instances of each name):
      the model is scored on them every epoch, the best is kept, and training stops after
      ``patience`` evaluations without a gain. Without ``dev`` the last model is kept.
    - ``start``: ``"default"`` (the shipped model), a compact model folder, or ``"scratch"``
      (fresh heads on ``base`` cut to ``encoder_layers``); for ``backend="generative"`` a causal
      LM folder or hub id.
    - ``replay``: share of every batch drawn from the project's mixture (default 0.5 when
      continuing from a trained model, 0 from scratch); ``replay_data`` a mixture file written
      by ``seqgpt data build`` instead of building it from the shared data.
    - ``calibrate``: with extraction instances in ``dev``, store the extraction threshold
      with the best dev F1 (0.05-0.6) in the model folder.
    - ``epochs``: passes over ``data`` (default 3; ``steps=`` overrides); ``settings``: any
      field of :class:`seqgpt.train.compact.TrainingArgs` (``batch_size``, ``encoder_lr``, ...).
    """
    if backend == "generative":
        return train_generative(data, out, dev=dev, start=start, replay=replay,
                                replay_data=replay_data, replay_size=replay_size,
                                epochs=1.0 if epochs is None else epochs,
                                resume=resume, keep_checkpoint=keep_checkpoint, fmt=fmt,
                                scheme=scheme, dev_limit=dev_limit, **settings)
    if backend != "compact":
        raise TrainError(f"backend must be 'compact' or 'generative', got {backend!r}")
    return finetune_compact(data, out, dev=dev, start=start, replay=replay,
                            replay_data=replay_data, replay_size=replay_size, epochs=epochs,
                            resume=resume, keep_checkpoint=keep_checkpoint, fmt=fmt,
                            scheme=scheme, dev_limit=dev_limit, base=base,
                            encoder_layers=encoder_layers, calibrate=calibrate, **settings)
