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

from typing import Any

import torch

from seqgpt.encoders import E5_PREFIX, E5_SMALL, load_encoder, mean_pool
from seqgpt.model.bert import Bert
from seqgpt.types import SeqGPTError

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


def trained_layers(state: dict[str, torch.Tensor]) -> set[int]:
    """The encoder layers a ``pairs.safetensors`` state replaces."""
    return {int(k.split(".")[3]) for k in state if k.startswith("encoder.encoder.layer.")}


def label_groups(labels: list[str]) -> list[tuple[int, ...]] | None:
    """The pair classes each label stands for, or ``None`` unless ``labels`` name every class
    exactly once (any order, any case): the only label sets the pair head can answer."""
    groups = [ALIASES.get(label.strip().lower()) for label in labels]
    if any(g is None for g in groups):
        return None
    covered = sorted(k for g in groups for k in g or ())
    return groups if covered == list(range(len(CLASSES))) else None  # type: ignore[return-value]


class PairClassifier(torch.nn.Module):
    """E5 with its top ``train_layers`` layers and a linear head trained on NLI pairs."""

    def __init__(self, encoder: Bert, tokenizer, train_layers: int) -> None:  # noqa: ANN001
        super().__init__()
        if not 0 < train_layers <= len(encoder.encoder.layer):
            raise SeqGPTError(f"train_layers must be in 1..{len(encoder.encoder.layer)}, "
                              f"got {train_layers}")
        self.encoder, self.tokenizer = encoder, tokenizer
        self.split = len(encoder.encoder.layer) - train_layers
        self.head = torch.nn.Linear(encoder.config.hidden_size, len(CLASSES))
        self._sep = tokenizer("a")["input_ids"][-1]

    @classmethod
    def pretrained(cls, train_layers: int,
                   word_embeddings: torch.Tensor | None = None) -> PairClassifier:
        encoder, tokenizer = load_encoder(E5_SMALL, word_embeddings=word_embeddings)
        return cls(encoder, tokenizer, train_layers)

    @classmethod
    def from_state(cls, state: dict[str, torch.Tensor],
                   word_embeddings: torch.Tensor | None = None,
                   trunk: tuple[Bert, Any] | None = None) -> PairClassifier:
        """The classifier a ``pairs.safetensors`` state describes (its layers say how many).

        ``trunk``: an E5 already loaded, with its tokenizer, whose embeddings and layers below
        the trained ones are E5's own; they are run, not loaded again (the blend's sentence
        encoder)."""
        layers = trained_layers(state)
        if not layers or "head.weight" not in state:
            raise SeqGPTError(f"{PAIRS}: not a pair classifier (expected encoder.encoder.layer.* "
                              f"and head.* tensors); retrain it with seqgpt.train.pairs")
        if trunk is not None:
            encoder, tokenizer = trunk[0].branch(min(layers)), trunk[1]
        else:
            encoder, tokenizer = load_encoder(E5_SMALL, word_embeddings=word_embeddings)
        model = cls(encoder, tokenizer, len(encoder.encoder.layer) - min(layers))
        unknown = sorted(set(state) - set(model.state_dict()))
        if unknown:
            raise SeqGPTError(f"{PAIRS} does not fit {E5_SMALL} (unknown {unknown[:3]}); "
                              f"retrain it with seqgpt.train.pairs")
        model.load_state_dict({k: v.float() for k, v in state.items()}, strict=False)
        return model.eval()

    def trained_state(self) -> dict[str, torch.Tensor]:
        """The weights that differ from E5's: the top layers and the head."""
        return {k: v.detach().clone() for k, v in self.state_dict().items()
                if k.startswith("head.") or (k.startswith("encoder.encoder.layer.")
                                             and int(k.split(".")[3]) >= self.split)}

    def encode(self, premises: list[str], hypotheses: list[str]) -> dict[str, torch.Tensor]:
        rows = []
        for premise, hypothesis in zip(premises, hypotheses, strict=True):
            first = self.tokenizer(E5_PREFIX + premise, truncation=True,
                                   max_length=_PREMISE_TOKENS)["input_ids"]
            second = self.tokenizer(hypothesis, truncation=True,
                                    max_length=MAX_TOKENS - len(first))["input_ids"][1:]
            rows.append(first + [self._sep] + second)
        width = max(len(r) for r in rows)
        pad = self.tokenizer.pad_token_id
        ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows])
        return {"input_ids": ids, "attention_mask": (ids != pad).long()}

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Class logits ``[pairs, 3]``; the frozen lower layers run without a graph."""
        x = self.encoder(input_ids, attention_mask, frozen_below=self.split)
        return self.head(mean_pool(x.float(), attention_mask))

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
