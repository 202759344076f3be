"""An answer reader for extractive reading comprehension: E5 reads question and context together.

The span model reads a question as a label, five layers deep, beside every other word of the
text: it finds a span of the kind asked for, mostly in the wrong sentence (drcd token F1 6.7
as extract). Here the top layers of the full pretrained E5 read
``<s>query: question</s></s>passage: context window</s>`` and a linear head gives each token
a start and an end logit (:mod:`seqgpt.train.qa` trains them on the pool's MRC questions).
The ``<s>`` position stands for "no answer in this window": a question is answered where the
best span beats it (:attr:`Reading.score` is ``sigmoid(best span - no answer)``).

Long contexts are read in overlapping windows; the answer is the best span of any window.
A model folder that holds ``qa.safetensors`` answers ``Model.answer`` with it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from typing import Any

import torch

from seqgpt.encoders import E5_PASSAGE_PREFIX, E5_PREFIX
from seqgpt.errors import SeqGPTError
from seqgpt.model.bert import Bert
from seqgpt.model.top_layers import TopLayerReader

QA = "qa.safetensors"
MAX_TOKENS = 256  # one window: question, context piece and the special tokens
#: Questions longer than this are refused with an error, never cut: a cut question may ask
#: something else (an MRC question, a description turned into a question).
MAX_QUESTION_TOKENS = 96
STRIDE = 96  # context tokens shared by consecutive windows
MAX_ANSWER_TOKENS = 64  # long enough for clause answers (reviews) of 30+ words


@dataclass(frozen=True)
class Window:
    """One (question, context piece) input: ``chars[t]`` is the context character range of
    input position ``t`` (``None`` outside the context)."""

    input_ids: list[int]
    chars: list[tuple[int, int] | None]


@dataclass(frozen=True)
class Reading:
    """The best answer span of a context for a question, by character offsets, whether or not
    it beats "no answer": ``score`` in (0, 1), above 0.5 when the span wins.

    ``windows`` keeps each window's start and end log-probabilities, so that other spans of
    the same context can be scored for the same question without reading it again
    (:meth:`margins`)."""

    start: int
    end: int
    score: float
    windows: tuple[tuple[Window, torch.Tensor], ...] = field(default=(), compare=False,
                                                              repr=False)

    def margins(self, spans: list[tuple[int, int]]) -> torch.Tensor:
        """``[len(spans)]``: how far the answer reads as each character span rather than "no
        answer" (:meth:`QAReader.spans_margins`), from the windows this reading kept."""
        out = torch.full((len(spans),), -1e4)
        for window, scores in self.windows:
            _window_margins(scores, window, spans, out)
        return out


class QAReader(TopLayerReader):
    """E5 with its top ``train_layers`` layers and a start/end head trained on MRC questions."""

    FILE = QA
    TRAINER = "python -m seqgpt.train.qa"
    OUTPUTS = 2  # start and end

    def __init__(self, encoder: Bert, tokenizer: Any, train_layers: int) -> None:
        super().__init__(encoder, tokenizer, train_layers)
        self._passage = tokenizer(E5_PASSAGE_PREFIX.strip(), add_special_tokens=False)["input_ids"]
        self._contexts: dict[str, tuple[list[int], list[tuple[int, int]]]] = {}

    def question_ids(self, question: str) -> list[int]:
        ids: list[int] = self.tokenizer(E5_PREFIX + question)["input_ids"]
        if len(ids) > MAX_QUESTION_TOKENS:
            raise SeqGPTError(f"question {question[:40]!r}... is {len(ids)} tokens long; the "
                              f"answer reader reads questions of at most {MAX_QUESTION_TOKENS} "
                              "tokens: shorten it")
        return ids

    def context_tokens(self, context: str) -> tuple[list[int], list[tuple[int, int]]]:
        """Token ids of ``context`` and their character offsets (the last few cached: every
        question about one context reads the same tokens)."""
        found = self._contexts.get(context)
        if found is None:
            encoded = self.tokenizer(context, add_special_tokens=False,
                                     return_offsets_mapping=True)
            found = (list(encoded["input_ids"]), [tuple(o) for o in encoded["offset_mapping"]])
            if len(self._contexts) > 64:
                self._contexts.clear()
            self._contexts[context] = found
        return found

    def windows(self, question: str, context: str) -> list[Window]:
        """The inputs that cover ``context`` (overlapping by :data:`STRIDE` tokens)."""
        head = self.question_ids(question) + [self.sep, *self._passage]
        ids, offsets = self.context_tokens(context)
        budget = MAX_TOKENS - len(head) - 1
        out, start = [], 0
        while True:
            piece = slice(start, start + budget)
            out.append(Window(head + ids[piece] + [self.sep],
                              [None] * len(head) + list(offsets[piece]) + [None]))
            if start + budget >= len(ids):
                return out
            start += max(1, budget - STRIDE)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Start and end logits ``[windows, tokens, 2]``."""
        return self.head(self.states(input_ids, attention_mask).float())

    def batch(self, windows: list[Window]) -> dict[str, torch.Tensor]:
        """Padded ids and the mask of the positions an answer may start or end at: context
        tokens and position 0 (no answer)."""
        width = max(len(w.input_ids) for w in windows)
        pad = self.tokenizer.pad_token_id
        ids = torch.full((len(windows), width), pad)
        allowed = torch.zeros((len(windows), width), dtype=torch.bool)
        for n, w in enumerate(windows):
            ids[n, :len(w.input_ids)] = torch.tensor(w.input_ids)
            allowed[n] = torch.tensor([True] + [c is not None for c in w.chars[1:]]
                                      + [False] * (width - len(w.chars)))
        return {"input_ids": ids, "attention_mask": (ids != pad).long(), "allowed": allowed}

    @staticmethod
    def log_probs(logits: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
        """Log-softmax of the start and end logits over the allowed positions."""
        return logits.masked_fill(~allowed[..., None], -1e4).log_softmax(1)

    @torch.inference_mode()
    def read(self, questions: list[str], contexts: list[str], batch_size: int = 16,
             bfloat16: bool = False) -> list[Reading | None]:
        """The best span of each context for its question (``None`` for an empty context)."""
        windows = [(n, w) for n, (q, c) in enumerate(zip(questions, contexts, strict=True))
                   for w in self.windows(q, c)]
        best: list[tuple[float, Reading] | None] = [None] * len(questions)
        kept: list[list[tuple[Window, torch.Tensor]]] = [[] for _ in questions]
        order = sorted(range(len(windows)), key=lambda k: len(windows[k][1].input_ids))
        for first in range(0, len(order), batch_size):
            chunk = [windows[k] for k in order[first:first + batch_size]]
            inputs = self.batch([w for _, w in chunk])
            with torch.autocast("cpu", torch.bfloat16, enabled=bfloat16):
                logits = self(inputs["input_ids"], inputs["attention_mask"])
            scores = self.log_probs(logits.float(), inputs["allowed"])
            for (n, window), row in zip(chunk, scores, strict=True):
                kept[n].append((window, row.clone()))
                found, sofar = _best_span(row, window), best[n]
                if found is not None and (sofar is None or found[0] > sofar[0]):
                    best[n] = found
        return [None if b is None else replace(b[1], windows=tuple(own))
                for b, own in zip(best, kept, strict=True)]

    @torch.inference_mode()
    def span_margins(self, questions: list[str], contexts: list[str],
                     spans: list[tuple[int, int]], batch_size: int = 16,
                     bfloat16: bool = False) -> torch.Tensor:
        """``[len(questions)]``: how far each question's answer reads as the given character
        span of its context rather than "no answer" (the span's start and end log-probabilities
        against those of position 0), best over the windows that hold the whole span; ``-1e4``
        where no window holds it."""
        found = self.spans_margins(questions, contexts, [[span] for span in spans],
                                   batch_size=batch_size, bfloat16=bfloat16)
        return torch.cat(found) if found else torch.zeros(0)

    @torch.inference_mode()
    def spans_margins(self, questions: list[str], contexts: list[str],
                      spans: list[list[tuple[int, int]]], batch_size: int = 16,
                      bfloat16: bool = False) -> list[torch.Tensor]:
        """:meth:`span_margins` of several spans per question, from one reading of each of
        its windows: ``[len(spans[n])]`` per question (:meth:`Reading.margins` scores them
        from a reading already made)."""
        out = [torch.full((len(own),), -1e4) for own in spans]
        windows = [(n, w) for n, (q, c) in enumerate(zip(questions, contexts, strict=True))
                   for w in self.windows(q, c)]
        windows.sort(key=lambda item: len(item[1].input_ids))  # similar lengths, less padding
        for first in range(0, len(windows), batch_size):
            chunk = windows[first:first + batch_size]
            inputs = self.batch([w for _, w in chunk])
            with torch.autocast("cpu", torch.bfloat16, enabled=bfloat16):
                logits = self(inputs["input_ids"], inputs["attention_mask"])
            scores = self.log_probs(logits.float(), inputs["allowed"])
            for (n, window), row in zip(chunk, scores, strict=True):
                _window_margins(row, window, spans[n], out[n])
        return out


def _window_margins(scores: torch.Tensor, window: Window, spans: list[tuple[int, int]],
                    out: torch.Tensor) -> None:
    """Raise ``out[k]`` to the margin of ``spans[k]`` over "no answer" in this window (its
    start and end log-probabilities against those of position 0) where the window holds the
    whole span."""
    for k, (start, end) in enumerate(spans):
        inside = [(t, c) for t, c in enumerate(window.chars)
                  if c is not None and c[0] < end and start < c[1]]
        if not inside or inside[0][1][0] > start or inside[-1][1][1] < end:
            continue  # the window does not hold the whole span
        margin = scores[inside[0][0], 0] + scores[inside[-1][0], 1] - scores[0, 0] \
            - scores[0, 1]
        out[k] = max(float(out[k]), float(margin))


@functools.lru_cache(maxsize=4)
def _no_span(size: int) -> torch.Tensor:
    """``[size, size]``: True where (start, end) is no span (end before start, or too long);
    built once, its top-left corner serves every window."""
    return ~torch.ones(size, size, dtype=torch.bool).triu().tril(MAX_ANSWER_TOKENS - 1)


def _best_span(scores: torch.Tensor, window: Window) -> tuple[float, Reading] | None:
    """The window's best context span (start <= end, at most :data:`MAX_ANSWER_TOKENS`) and
    its margin over "no answer"."""
    context = [t for t, c in enumerate(window.chars) if c is not None]
    if not context:
        return None
    lo, hi = context[0], context[-1] + 1
    start, end = scores[lo:hi, 0], scores[lo:hi, 1]
    pair = start[:, None] + end[None, :]
    n = hi - lo
    pair = pair.masked_fill(_no_span(max(n, 512))[:n, :n], -1e9)
    flat = int(pair.argmax())
    i, j = divmod(flat, n)
    margin = float(pair[i, j] - scores[0, 0] - scores[0, 1])
    first, last = window.chars[lo + i], window.chars[lo + j]
    assert first is not None and last is not None
    return margin, Reading(first[0], last[1], float(torch.sigmoid(torch.tensor(margin))))
