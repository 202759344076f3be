"""seqgpt: open-domain natural language understanding — extract spans and classify texts
for any label set, offline. ``nlu = seqgpt.load(); nlu.extract(text, labels)``."""

from seqgpt.api import Model, ModelNotFoundError, load
from seqgpt.types import Classification, Extraction, SeqGPTError, Span

__version__ = "0.1.0"
__all__ = ["Classification", "Extraction", "Model", "ModelNotFoundError", "SeqGPTError", "Span",
           "load"]
