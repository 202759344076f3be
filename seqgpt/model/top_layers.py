"""Readers built on the full pretrained E5: its top layers fine-tuned under a small head.

The NLI pair reader (:mod:`seqgpt.model.pairs`) and the answer reader (:mod:`seqgpt.model.qa`)
both keep E5's embeddings and lower layers as pretrained and train only the top
``train_layers`` layers and a head, so a model folder ships just those weights (a
``*.safetensors`` state with ``encoder.encoder.layer.N.*`` and ``head.*`` tensors) and the
frozen trunk can be the one the blend's sentence encoder already holds (``Bert.branch``).
"""

from __future__ import annotations

from typing import Any, TypeVar

import torch

from seqgpt.encoders import E5_PREFIX, E5_SMALL, load_encoder
from seqgpt.model.bert import Bert
from seqgpt.types import SeqGPTError

Reader = TypeVar("Reader", bound="TopLayerReader")
#: Suffix of the per-row scale of a matrix stored as int8 (:func:`int8_state`).
SCALE = ".int8_scale"


def int8_state(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``state`` with every matrix stored as int8 rows and a float16 scale per row (under
    ``name + SCALE``); vectors (biases, LayerNorm) as they are. Half the bytes of float16:
    six E5 layers take 11 MB instead of 21, which keeps a model folder with two readers within
    its size budget."""
    out: dict[str, torch.Tensor] = {}
    for name, value in state.items():
        if value.dim() != 2:
            out[name] = value
            continue
        scale = value.float().abs().amax(1, keepdim=True).clamp(min=1e-8) / 127
        out[name] = (value.float() / scale).round().clamp(-127, 127).to(torch.int8)
        out[name + SCALE] = scale.half()
    return out


def dequantized(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A state as float32, int8 matrices (:func:`int8_state`) multiplied back by their scales."""
    return {name: value.float() * state[name + SCALE].float() if name + SCALE in state
            else value.float()
            for name, value in state.items() if not name.endswith(SCALE)}


def trained_layers(state: dict[str, torch.Tensor]) -> set[int]:
    """The encoder layers a reader's state replaces."""
    return {int(k.split(".")[3]) for k in state if k.startswith("encoder.encoder.layer.")}


class TopLayerReader(torch.nn.Module):
    """E5 with its top ``train_layers`` layers trainable and a linear ``head`` of ``OUTPUTS``.

    Subclasses name their weights file (``FILE``), the command that trains them
    (``TRAINER``) and the head's size, and define what the head reads."""

    FILE = ""
    TRAINER = ""
    OUTPUTS = 1

    def __init__(self, encoder: Bert, tokenizer: Any, train_layers: int) -> None:
        super().__init__()
        if not 0 < train_layers <= len(encoder.encoder.layer):
            raise SeqGPTError(f"train_layers must be in 1..{len(encoder.encoder.layer)}, "
                              f"got {train_layers}")
        self.encoder, self.tokenizer = encoder, tokenizer
        self.split = len(encoder.encoder.layer) - train_layers
        self.head = torch.nn.Linear(encoder.config.hidden_size, self.OUTPUTS)
        self.sep: int = tokenizer("a")["input_ids"][-1]  # ``</s>``, which ends a segment

    def pair_ids(self, firsts: list[str], seconds: list[str], first_tokens: int,
                 max_tokens: int) -> tuple[torch.Tensor, list[int]]:
        """Padded ids of ``<s>query: first</s></s>second</s>`` per pair (the pair layout of
        E5's XLM-R tokenizer), the first segment cut to ``first_tokens`` and the whole to
        ``max_tokens``; and the position where each second segment starts."""
        rows, starts = [], []
        for first, second in zip(firsts, seconds, strict=True):
            head = self.tokenizer(E5_PREFIX + first, truncation=True,
                                  max_length=first_tokens)["input_ids"]
            tail = self.tokenizer(second, truncation=True,
                                  max_length=max_tokens - len(head))["input_ids"][1:]
            rows.append(head + [self.sep] + tail)
            starts.append(len(head) + 1)
        width = max(len(r) for r in rows)
        pad = self.tokenizer.pad_token_id
        return torch.tensor([r + [pad] * (width - len(r)) for r in rows]), starts

    @classmethod
    def pretrained(cls: type[Reader], train_layers: int,
                   word_embeddings: torch.Tensor | None = None) -> Reader:
        encoder, tokenizer = load_encoder(E5_SMALL, word_embeddings=word_embeddings)
        return cls(encoder, tokenizer, train_layers)

    @classmethod
    def from_state(cls: type[Reader], state: dict[str, torch.Tensor],
                   word_embeddings: torch.Tensor | None = None,
                   trunk: tuple[Bert, Any] | None = None) -> Reader:
        """The reader a saved state describes (its layers say how many were trained).

        ``trunk``: an E5 already loaded, with its tokenizer, whose embeddings and layers below
        the trained ones are E5's own; they are run, not loaded again (the blend's sentence
        encoder). Matrices stored as int8 (:func:`int8_state`) are read back to float."""
        state = dequantized(state)
        layers = trained_layers(state)
        if not layers or "head.weight" not in state:
            raise SeqGPTError(f"{cls.FILE}: not a {cls.__name__} state (expected "
                              f"encoder.encoder.layer.* and head.* tensors); retrain it with "
                              f"{cls.TRAINER}")
        if trunk is not None:
            encoder, tokenizer = trunk[0].branch(min(layers)), trunk[1]
        else:
            encoder, tokenizer = load_encoder(E5_SMALL, word_embeddings=word_embeddings)
        model = cls(encoder, tokenizer, len(encoder.encoder.layer) - min(layers))
        unknown = sorted(set(state) - set(model.state_dict()))
        if unknown or state["head.weight"].shape != model.head.weight.shape:
            raise SeqGPTError(f"{cls.FILE} does not fit {E5_SMALL} and {cls.__name__} "
                              f"(unknown {unknown[:3]}); retrain it with {cls.TRAINER}")
        model.load_state_dict(state, strict=False)
        return model.eval()

    def trained_state(self) -> dict[str, torch.Tensor]:
        """The weights that differ from E5's: the top layers and the head."""
        return {k: v.detach().clone() for k, v in self.state_dict().items()
                if k.startswith("head.") or (k.startswith("encoder.encoder.layer.")
                                             and int(k.split(".")[3]) >= self.split)}

    def states(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Top-layer token states; the frozen lower layers run without a graph."""
        return self.encoder(input_ids, attention_mask, frozen_below=self.split)

    def learning(self) -> list[torch.nn.Module]:
        """The modules whose dropout is on while training (the frozen ones stay as
        pretrained)."""
        return [self.head, *self.encoder.encoder.layer[self.split:]]

    def trainable(self) -> tuple[list[torch.nn.Parameter], list[torch.nn.Parameter]]:
        """Freeze everything but the trained layers and the head; return ``(layers, head)``
        parameters (they take different learning rates)."""
        self.requires_grad_(False)
        body = [p for layer in self.encoder.encoder.layer[self.split:] for p in layer.parameters()]
        head = list(self.head.parameters())
        for p in body + head:
            p.requires_grad_(True)
        return body, head
