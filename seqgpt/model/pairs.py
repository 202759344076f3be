"""A sentence-pair reader for NLI: the full E5 encoder reads premise and hypothesis together.

Label names cannot carry NLI: "entailment" is a relation between two texts, not a meaning a
text's embedding could be near, and the span model's head learned no pair decision from the
few thousand pairs of its mixture (at chance on SICK). Here the top layers of the pretrained
sentence encoder and a three-way head read ``<s>query: premise</s></s>hypothesis</s>`` (the
pair layout of E5's XLM-R tokenizer), trained on NLI pairs (:mod:`seqgpt.train.pairs`).

A model folder that holds ``pairs.safetensors`` answers single-label classification of pair
texts (``compose.pair_text``) over an NLI label set (:func:`label_groups`) with it.
"""

from __future__ import annotations

import torch

from seqgpt.encoders import mean_pool
from seqgpt.model.top_layers import TopLayerReader

PAIRS = "pairs.safetensors"
CLASSES = ("entailment", "neutral", "contradiction")
#: Label names (lower-cased) read as the pair classes they stand for; a name standing for two
#: classes (RTE's "not entailment") scores their summed probability.
ALIASES: dict[str, tuple[int, ...]] = {
    "entailment": (0,), "entails": (0,), "蕴含": (0,),
    "neutral": (1,), "中立": (1,),
    "contradiction": (2,), "contradicts": (2,), "矛盾": (2,),
    "not entailment": (1, 2), "not_entailment": (1, 2), "non-entailment": (1, 2),
    "不蕴含": (1, 2),
}
MAX_TOKENS = 256
_PREMISE_TOKENS = 192  # the hypothesis is the short side; keep all of it


def label_groups(labels: list[str]) -> list[tuple[int, ...]] | None:
    """The pair classes each label stands for, or ``None`` unless ``labels`` name every class
    exactly once (any order, any case): the only label sets the pair head can answer."""
    groups = [ALIASES.get(label.strip().lower()) for label in labels]
    if any(g is None for g in groups):
        return None
    covered = sorted(k for g in groups for k in g or ())
    return groups if covered == list(range(len(CLASSES))) else None  # type: ignore[return-value]


class PairClassifier(TopLayerReader):
    """E5 with its top ``train_layers`` layers and a linear head trained on NLI pairs."""

    FILE = PAIRS
    TRAINER = "python -m seqgpt.train.pairs"
    OUTPUTS = len(CLASSES)

    def encode(self, premises: list[str], hypotheses: list[str]) -> dict[str, torch.Tensor]:
        ids, _ = self.pair_ids(premises, hypotheses, _PREMISE_TOKENS, MAX_TOKENS)
        return {"input_ids": ids, "attention_mask": (ids != self.tokenizer.pad_token_id).long()}

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Class logits ``[pairs, 3]``; the frozen lower layers run without a graph."""
        return self.head(mean_pool(self.states(input_ids, attention_mask).float(), attention_mask))

    @torch.inference_mode()
    def probabilities(self, premises: list[str], hypotheses: list[str], batch_size: int = 32,
                      bfloat16: bool = False) -> torch.Tensor:
        """Softmax over :data:`CLASSES` ``[pairs, 3]``, similar lengths batched together."""
        out = torch.empty(len(premises), len(CLASSES))
        order = sorted(range(len(premises)), key=lambda i: len(premises[i]) + len(hypotheses[i]))
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            batch = self.encode([premises[i] for i in chunk], [hypotheses[i] for i in chunk])
            with torch.autocast("cpu", torch.bfloat16, enabled=bfloat16):
                logits = self(batch["input_ids"], batch["attention_mask"])
            out[chunk] = logits.float().softmax(-1)
        return out
