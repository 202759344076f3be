"""seqgpt: open-domain natural language understanding — extract spans and classify texts
for any label set, offline. ``nlu = seqgpt.load(); nlu.extract(text, labels)``;
``seqgpt.train("mine.jsonl", "runs/mine")`` fine-tunes it on your data."""

from seqgpt.api import Model, ModelNotFoundError, load
from seqgpt.types import Classification, Extraction, SeqGPTError, Span

__version__ = "0.1.0"
__all__ = ["Classification", "Extraction", "Model", "ModelNotFoundError", "SeqGPTError", "Span",
           "load"]


def __getattr__(name: str):
    # ``seqgpt.train(...)`` without importing the trainers (and their cost) on ``import seqgpt``
    if name == "train":
        import seqgpt.train

        return seqgpt.train
    raise AttributeError(f"module 'seqgpt' has no attribute {name!r}")
