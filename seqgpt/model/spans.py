"""The compact model: one encoder pass over ``[CLS] <M> label1 <M> label2 ... [SEP] text [SEP]``.

Each label's marker state ``<M>`` (the tokenizer's mask token, so no new embedding) becomes a
label vector. Extraction scores every span of up to ``max_width`` words — start word, end word
and width — against each label vector; classification scores the mean state of each label's
tokens against the mean state of the text's tokens. Sigmoid gives every span and label a
confidence in [0, 1].
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import torch
from torch import nn

from seqgpt.errors import LabelTooLongError
from seqgpt.model.words import split_words


@dataclass(frozen=True)
class SpanModelConfig:
    base_encoder: str = "multilingual-e5-small"
    encoder_layers: int | None = None  # keep only the first N encoder layers (None: all)
    max_width: int = 16  # longest span, in words
    max_tokens: int = 512  # the encoder's window, labels included
    dropout: float = 0.1
    # A label longer than this (a long MRC question, a description) is refused, not cut:
    # two questions that share their first tokens would otherwise become the same label.
    max_label_tokens: int = 64
    # Text tokens per window at inference (0: all that fit beside the labels). The model is
    # trained on sentence-length windows; over hundreds of tokens of context its span scores
    # sink (a sentence repeated 10 times lost every person at 512 tokens), so long texts are
    # read in short overlapping windows.
    text_window: int = 0
    # What classification reads: "mean" (the text's and each label's tokens, averaged) or
    # "cls" (the [CLS] and marker states). E5 was trained with mean pooling and its [CLS] is an
    # attention sink: in the model trained with "cls", the text vector varied by under 1% from
    # text to text, so the text side carried nothing and sentiment or NLI could not be learnt.
    class_pooling: str = "mean"
    # The class names (lower case) the classification head was taught as gold answers, which
    # single-label classify trusts it on (``CompactBackend.familiarity``); training adds its
    # data's. None: not recorded (folders written before it), the head is trusted throughout.
    class_names: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.class_pooling not in ("mean", "cls"):
            raise ValueError(f"class_pooling must be 'mean' or 'cls', got {self.class_pooling!r}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> SpanModelConfig:
        """A saved config; folders written before ``class_pooling`` existed read ``[CLS]``."""
        names = raw.get("class_names")
        return cls(**{"class_pooling": "cls", **raw,
                      "class_names": None if names is None else tuple(names)})


#: A text's token ids, its words (character offsets) and the token that holds each character.
TextTokens = tuple[list[int], list[tuple[int, int]], list[int]]


class Tokenizer(Protocol):
    """What the model needs of a tokenizer (``seqgpt.model.tokenizer.FastTokenizer`` or a
    Hugging Face fast tokenizer)."""

    cls_token_id: int
    sep_token_id: int
    pad_token_id: int
    unk_token_id: int
    mask_token_id: int
    model_max_length: int
    __call__: Callable[..., Any]  # text(s) and Hugging Face's keywords -> input_ids, offsets


class Encoder(Protocol):
    """What the model needs of its base encoder (``seqgpt.model.bert.Bert`` or a Hugging Face
    ``BertModel``): ``config.hidden_size``, ``embeddings.word_embeddings`` and a forward pass
    ``(input_ids, attention_mask)`` giving states (or an output with ``last_hidden_state``)."""

    config: Any
    embeddings: Any

    def __call__(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> Any: ...


@dataclass
class Features:
    """One (text window, label group) pair turned into encoder input."""

    input_ids: list[int]
    label_positions: list[int]  # each label's marker; its tokens run up to the next one
    text_start: int  # the first text token (after the labels' [SEP])
    word_first_token: list[int]
    word_last_token: list[int]
    words: list[tuple[int, int]]  # character offsets in the full text


class Featurizer:
    """Builds encoder inputs; tokenises the text once and maps words onto its tokens."""

    def __init__(self, tokenizer: Tokenizer, config: SpanModelConfig,
                 cache_texts: bool = False) -> None:
        self.tokenizer = tokenizer
        tokenizer.model_max_length = 1 << 30  # we cut windows ourselves; silence the warning
        self.config = config
        self.cls_id = tokenizer.cls_token_id
        self.sep_id = tokenizer.sep_token_id
        self.marker_id = tokenizer.mask_token_id
        self._label_cache: dict[str, list[int]] = {}
        # Training meets the same texts epoch after epoch: tokenise each once.
        self._text_cache: dict[str, TextTokens] | None = {} if cache_texts else None

    def label_ids(self, label: str) -> list[int]:
        ids = self._label_cache.get(label)
        if ids is None:
            ids = self.tokenizer(label, add_special_tokens=False)["input_ids"]
            if len(ids) > self.config.max_label_tokens:
                raise LabelTooLongError(
                    f"label {label[:40]!r}... is {len(ids)} tokens long; this model reads labels "
                    f"of at most {self.config.max_label_tokens} tokens: shorten it")
            self._label_cache[label] = ids
        return ids

    def label_cost(self, label: str) -> int:
        return 1 + len(self.label_ids(label))

    def text_tokens(self, text: str) -> TextTokens:
        """Token ids of ``text``, its words, and the token that holds each character."""
        if self._text_cache is None:
            return self._text_tokens(text)
        found = self._text_cache.get(text)
        if found is None:
            found = self._text_cache[text] = self._text_tokens(text)
        return found

    def _text_tokens(self, text: str) -> TextTokens:
        encoded = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        ids: list[int] = encoded["input_ids"]
        offsets: list[tuple[int, int]] = encoded["offset_mapping"]
        if not ids:  # only characters the tokenizer drops: keep one token to hang words on
            ids, offsets = [self.tokenizer.unk_token_id], [(0, len(text))]
        char_token = [-1] * len(text)
        # Later tokens win: XLM-R emits a bare "▁" whose offsets overlap the next piece.
        for t, (s, e) in enumerate(offsets):
            for c in range(s, e):
                char_token[c] = t
        # Characters a normaliser folded away belong to the nearest token before them.
        last = 0
        for c, t in enumerate(char_token):
            if t == -1:
                char_token[c] = last
            else:
                last = t
        return ids, split_words(text), char_token

    def windows(self, text: str, labels: list[str], stride_words: int = 32) -> list[Features]:
        """Encoder inputs covering the whole text (overlapping windows when it is long)."""
        ids, words, char_token = self.text_tokens(text)
        label_part, positions = [self.cls_id], []
        for label in labels:
            positions.append(len(label_part))
            label_part += [self.marker_id, *self.label_ids(label)]
        label_part.append(self.sep_id)
        budget = self.config.max_tokens - len(label_part) - 1
        if budget < 8:
            raise ValueError("label group too long for the encoder window")
        if self.config.text_window:
            budget = min(budget, self.config.text_window)
        firsts = [char_token[s] for s, _ in words]
        lasts = [char_token[e - 1] for _, e in words]
        out: list[Features] = []
        start = 0
        while True:
            # The window holds words[start:end] whose tokens fit in the budget.
            end = start
            while end < len(words) and lasts[end] - firsts[start] + 1 <= budget:
                end += 1
            if end == start and words:  # one word longer than the budget: cut its tokens
                end = start + 1
            tok_lo = firsts[start] if words else 0
            tok_hi = min(lasts[end - 1] + 1, tok_lo + budget) if words else 0
            shift = len(label_part) - tok_lo
            out.append(Features(
                input_ids=label_part + ids[tok_lo:tok_hi] + [self.sep_id],
                label_positions=positions,
                text_start=len(label_part),
                word_first_token=[min(f + shift, shift + tok_hi - 1) for f in firsts[start:end]],
                word_last_token=[min(x + shift, shift + tok_hi - 1) for x in lasts[start:end]],
                words=words[start:end]))
            if end >= len(words):
                return out
            # Overlap by up to half a window, so a mention cut by one window is whole in the next.
            start = max(start + 1, end - min(stride_words, (end - start) // 2))


def token_boundaries(features: Features) -> tuple[list[bool], list[bool]]:
    """Which words may start a span, and which may end one.

    A word that shares its first token with the word before it (or its last token with the
    word after it), such as a Chinese character inside a two-character token, has no encoder
    state of its own: a span cut there reads the same states as the whole token's span and
    differs only in width, so the model cannot tell "讯公司" from "腾讯公司". Decoding skips
    such cuts; 92-94% of the gold entities of msra_ner and cluener2020 fall on token
    boundaries anyway.
    """
    first, last = features.word_first_token, features.word_last_token
    n = len(first)
    starts = [i == 0 or first[i] != last[i - 1] for i in range(n)]
    ends = [j == n - 1 or last[j] != first[j + 1] for j in range(n)]
    return starts, ends


def span_index(n_words: int, max_width: int) -> list[tuple[int, int]]:
    """Every (first word, last word) pair of at most ``max_width`` words."""
    return [(i, j) for i in range(n_words) for j in range(i, min(n_words, i + max_width))]


def _mlp(size_in: int, size_out: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(nn.Linear(size_in, size_out * 2), nn.GELU(), nn.Dropout(dropout),
                         nn.Linear(size_out * 2, size_out))


class SpanModel(nn.Module):
    """Scores (span, label) pairs and (text, label) pairs from one encoder pass."""

    encoder: Encoder
    tokenizer: Tokenizer  # attached by whoever builds the model (``backends.compact.build``)
    # The classification blend's sentence encoder, its trained top layers (not trained here:
    # ``seqgpt.train.similarity``); kept with the model so saving it keeps them.
    similarity_state: dict[str, torch.Tensor] | None = None
    # The NLI pair reader's weights (``seqgpt.model.pairs``, trained by ``seqgpt.train.pairs``),
    # the answer reader's (``seqgpt.model.qa``) and the relation reader's
    # (``seqgpt.model.relations``), kept the same way.
    pairs_state: dict[str, torch.Tensor] | None = None
    qa_state: dict[str, torch.Tensor] | None = None
    relations_state: dict[str, torch.Tensor] | None = None

    def __init__(self, encoder: Encoder, config: SpanModelConfig) -> None:
        super().__init__()
        self.encoder = encoder  # an nn.Module at run time, registered as a submodule
        self.config = config
        hidden: int = encoder.config.hidden_size
        # Start and end are projected per token, then summed per span: the per-span work is
        # elementwise, so scoring thousands of spans costs little next to the encoder.
        self.span_start = nn.Linear(hidden, hidden)
        self.span_end = nn.Linear(hidden, hidden)
        self.width = nn.Embedding(config.max_width, hidden)
        self.span_dropout = nn.Dropout(config.dropout)
        self.span_label_head = _mlp(hidden, hidden, config.dropout)
        self.class_label_head = _mlp(hidden, hidden, config.dropout)
        self.class_text_head = _mlp(hidden, hidden, config.dropout)

    def forward(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Span logits ``[B, S, L]`` and class logits ``[B, L]`` (padding masked by the caller)."""
        states = self.encoder(batch["input_ids"], batch["attention_mask"])
        if not isinstance(states, torch.Tensor):  # a Hugging Face encoder as the base
            states = states.last_hidden_state
        rows = torch.arange(states.size(0), device=states.device)[:, None]
        labels = states[rows, batch["label_positions"]]  # [B, L, H]
        # [B, S, H] are the largest tensors here, and on CPU every fresh one costs page faults:
        # summing and activating in place makes the heads ~40% cheaper (~5% of a whole call).
        spans = self.span_start(states)[rows, batch["span_first_token"]]
        spans += self.span_end(states)[rows, batch["span_last_token"]]
        spans += self.width(batch["span_width"])
        # gelu's backward needs its input, so only inference may overwrite it
        spans = nn.functional.gelu(spans) if torch.is_grad_enabled() \
            else torch.ops.aten.gelu_(spans)
        spans = self.span_dropout(spans)
        span_logits = torch.bmm(spans, self.span_label_head(labels).transpose(1, 2))
        if self.config.class_pooling == "mean":
            text_mask = batch["text_mask"][..., None].to(states.dtype)
            pooled = (states * text_mask).sum(1) / text_mask.sum(1).clamp(min=1)
            labels = torch.bmm(batch["label_tokens"].to(states.dtype), states)
        else:
            pooled = states[:, 0]
        text = self.class_text_head(pooled)
        class_logits = torch.einsum("bh,blh->bl", text, self.class_label_head(labels))
        return span_logits, class_logits


def collate(features: list[Features], max_width: int, pad_id: int) -> dict[str, torch.Tensor]:
    """Pad a list of features into tensors; spans are enumerated here."""
    spans = [span_index(len(f.words), max_width) for f in features]
    n_tok = max(len(f.input_ids) for f in features)
    n_lab = max(len(f.label_positions) for f in features)
    n_span = max(1, max(len(s) for s in spans))
    size = len(features)
    batch = {
        "input_ids": torch.full((size, n_tok), pad_id, dtype=torch.long),
        "attention_mask": torch.zeros((size, n_tok), dtype=torch.long),
        "label_positions": torch.zeros((size, n_lab), dtype=torch.long),
        "label_mask": torch.zeros((size, n_lab), dtype=torch.bool),
        # averaging weights of each label's tokens (marker included), and the text's tokens
        "label_tokens": torch.zeros((size, n_lab, n_tok)),
        "text_mask": torch.zeros((size, n_tok), dtype=torch.bool),
        "span_first_token": torch.zeros((size, n_span), dtype=torch.long),
        "span_last_token": torch.zeros((size, n_span), dtype=torch.long),
        "span_width": torch.zeros((size, n_span), dtype=torch.long),
        "span_mask": torch.zeros((size, n_span), dtype=torch.bool),
    }
    for b, (f, pairs) in enumerate(zip(features, spans, strict=True)):
        batch["input_ids"][b, :len(f.input_ids)] = torch.tensor(f.input_ids)
        batch["attention_mask"][b, :len(f.input_ids)] = 1
        batch["label_positions"][b, :len(f.label_positions)] = torch.tensor(f.label_positions)
        batch["label_mask"][b, :len(f.label_positions)] = True
        # one indexed write per window, not one per label (a third of the cost at 24 labels)
        bounds = torch.tensor([*f.label_positions, f.text_start - 1])
        tokens = torch.arange(int(bounds[0]), int(bounds[-1]))
        owner = torch.searchsorted(bounds, tokens, right=True) - 1
        batch["label_tokens"][b, owner, tokens] = 1.0 / (bounds[1:] - bounds[:-1])[owner].float()
        batch["text_mask"][b, f.text_start:len(f.input_ids) - 1] = True
        if pairs:
            i, j = torch.tensor(pairs).T
            batch["span_first_token"][b, :len(pairs)] = torch.tensor(f.word_first_token)[i]
            batch["span_last_token"][b, :len(pairs)] = torch.tensor(f.word_last_token)[j]
            batch["span_width"][b, :len(pairs)] = j - i
            batch["span_mask"][b, :len(pairs)] = True
    return batch
