"""seqgpt: open-domain natural language understanding — extract spans and classify texts
for any label set, offline. ``nlu = seqgpt.load(); nlu.extract(text, labels)``;
``seqgpt.finetune("mine.jsonl", "runs/mine")`` fine-tunes it on your data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seqgpt.api import Model, load
from seqgpt.errors import ModelNotFoundError, SeqGPTError
from seqgpt.types import Classification, Extraction, Span

if TYPE_CHECKING:
    from seqgpt.train import finetune

__version__ = "0.1.0"
__all__ = ["Classification", "Extraction", "Model", "ModelNotFoundError", "SeqGPTError", "Span",
           "finetune", "load"]


def __getattr__(name: str) -> Any:
    # ``seqgpt.finetune`` and ``seqgpt.train`` are imported on first use: the trainers would
    # about double the time ``import seqgpt`` takes, and most callers never train.
    if name == "finetune":
        from seqgpt.train import finetune

        return finetune
    if name == "train":
        import seqgpt.train

        return seqgpt.train
    raise AttributeError(f"module 'seqgpt' has no attribute {name!r}")
