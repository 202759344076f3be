"""Every metric seqgpt reports, and the per-dataset / averaged report built from them.

- Spans: micro precision / recall / F1 over sets of ``(label, start, end)`` keys, or of
  ``(label, text)`` keys when the gold answer has no offsets (string-only answers).
- Classification: accuracy (the predicted label *set* equals the gold set, so it is exact-match
  for multi-label data) and micro precision / recall / F1 over (instance, label) decisions.
- ROUGE-1 / ROUGE-2 / ROUGE-L F-measure of the answer text against the gold answer text, on
  :func:`tokenize` tokens (each CJK character a token, other text lower-cased words).
- The upstream combined score: ``mean(micro-F1, mean(ROUGE-1, ROUGE-2, ROUGE-L))``.

All scores are fractions in [0, 1]; tables show them as percentages.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from seqgpt.types import Span

# CJK ideographs (with extensions and compatibility forms), radicals, kana, bopomofo and Hangul
# are scored one character at a time: Chinese has no spaces to find words by.
_CJK = ("\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3130-\u318f\u31a0-\u31ff\u3400-\u4dbf"
        "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002fa1f")
_TOKEN = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")


@dataclass
class Counts:
    """True positives, false positives and false negatives, summed over instances (micro)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Counts) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    @property
    def precision(self) -> float:
        # Nothing predicted and nothing to find is a perfect (if vacuous) answer.
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float(self.fn == 0)

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float(self.fp == 0)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def set_counts(predicted: Iterable[Hashable], gold: Iterable[Hashable]) -> Counts:
    """Counts of one instance: predicted and gold keys compared as sets (duplicates collapse)."""
    pred, ref = set(predicted), set(gold)
    hits = len(pred & ref)
    return Counts(tp=hits, fp=len(pred) - hits, fn=len(ref) - hits)


def offset_key(label: str, start: int, end: int) -> tuple[str, int, int]:
    """A span compared by label and exact character offsets."""
    return (label, start, end)


def string_key(label: str, text: str) -> tuple[str, str]:
    """A span compared by its words only: surrounding and repeated whitespace do not count."""
    return (label, " ".join(text.split()))


def span_keys(spans: Iterable[Span], by_offsets: bool) -> set[Hashable]:
    """The keys of predicted or gold spans. By offsets, a span without offsets (an answer phrase
    not found in the text) gets a string key, which never equals a gold offset key: it counts as
    one false positive per distinct phrase."""
    return {offset_key(s.label, s.start, s.end)
            if by_offsets and s.start is not None and s.end is not None
            else string_key(s.label, s.text) for s in spans}


def exact_match(predicted: Iterable[str], gold: Iterable[str]) -> bool:
    """Single- and multi-label accuracy: the chosen label set equals the gold set."""
    return set(predicted) == set(gold)


def tokenize(text: str) -> list[str]:
    """ROUGE tokens: every CJK character alone, every other run of letters/digits one lower-cased
    word; punctuation, underscores and whitespace separate tokens and are dropped. Full-width
    letters and digits count as their ASCII forms (NFKC).

    >>> tokenize("Tim Cook访问了北京, OK")
    ['tim', 'cook', '访', '问', '了', '北', '京', 'ok']
    """
    return [token.casefold() for token in _TOKEN.findall(unicodedata.normalize("NFKC", text))]


def _f_measure(overlap: int, n_pred: int, n_gold: int) -> float:
    if not overlap:
        return 0.0
    p, r = overlap / n_pred, overlap / n_gold
    return 2 * p * r / (p + r)


def rouge_n(predicted: Sequence[str], gold: Sequence[str], n: int) -> float:
    """ROUGE-N F-measure on token lists (n-gram counts clipped to the gold counts).

    When neither side has an n-gram of this order (e.g. one-word answers for ROUGE-2), the score
    is 1.0 if the token sequences are identical and 0.0 otherwise, so a correct one-word answer
    is not punished for being short.
    """
    pred = Counter(tuple(predicted[i:i + n]) for i in range(len(predicted) - n + 1))
    ref = Counter(tuple(gold[i:i + n]) for i in range(len(gold) - n + 1))
    if not pred and not ref:
        return float(list(predicted) == list(gold))
    return _f_measure(sum((pred & ref).values()), sum(pred.values()), sum(ref.values()))


def rouge_l(predicted: Sequence[str], gold: Sequence[str]) -> float:
    """ROUGE-L F-measure: longest common subsequence over the two token lists."""
    if not predicted and not gold:
        return 1.0
    if not predicted or not gold:
        return 0.0
    previous = [0] * (len(gold) + 1)
    for token in predicted:
        current = [0]
        for j, other in enumerate(gold):
            current.append(previous[j] + 1 if token == other else max(previous[j + 1], current[j]))
        previous = current
    return _f_measure(previous[-1], len(predicted), len(gold))


@dataclass(frozen=True)
class Rouge:
    rouge1: float
    rouge2: float
    rougeL: float  # noqa: N815 - the name every ROUGE report uses

    @property
    def mean(self) -> float:
        return (self.rouge1 + self.rouge2 + self.rougeL) / 3


def rouge(predicted: str, gold: str) -> Rouge:
    """ROUGE-1/2/L F-measures of an answer text against the gold answer text."""
    pred, ref = tokenize(predicted), tokenize(gold)
    return Rouge(rouge_n(pred, ref, 1), rouge_n(pred, ref, 2), rouge_l(pred, ref))


def combined_score(f1: float, rouge_mean: float) -> float:
    """Upstream's headline number: the mean of micro-F1 and the mean of ROUGE-1/2/L."""
    return (f1 + rouge_mean) / 2


@dataclass
class DatasetResult:
    """The scores of one (dataset, split, task). ``accuracy`` is ``None`` for extraction."""

    dataset: str
    split: str
    task: str
    n: int
    precision: float
    recall: float
    f1: float
    accuracy: float | None
    rouge1: float
    rouge2: float
    rougeL: float  # noqa: N815
    combined: float

    def to_dict(self) -> dict[str, Any]:
        return {key: round(value, 4) if isinstance(value, float) else value
                for key, value in asdict(self).items()}


@dataclass
class Scorer:
    """Accumulates the instances of one (dataset, split, task) and turns them into a result."""

    dataset: str
    split: str
    task: str
    n: int = 0
    counts: Counts = field(default_factory=Counts)
    correct: int = 0
    rouge_sums: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])

    def add_spans(self, predicted: Iterable[Hashable], gold: Iterable[Hashable],
                  answer: str, gold_answer: str) -> None:
        """One extraction instance: span keys (see :func:`offset_key` / :func:`string_key`)."""
        self._add(set_counts(predicted, gold), answer, gold_answer)

    def add_labels(self, predicted: Sequence[str], gold: Sequence[str],
                   answer: str, gold_answer: str) -> None:
        """One classification instance: the chosen and the gold labels."""
        self.correct += exact_match(predicted, gold)
        self._add(set_counts(predicted, gold), answer, gold_answer)

    def _add(self, counts: Counts, answer: str, gold_answer: str) -> None:
        self.n += 1
        self.counts.add(counts)
        scores = rouge(answer, gold_answer)
        for i, value in enumerate((scores.rouge1, scores.rouge2, scores.rougeL)):
            self.rouge_sums[i] += value

    def result(self) -> DatasetResult:
        n = max(self.n, 1)
        r1, r2, rl = (total / n for total in self.rouge_sums)
        f1 = self.counts.f1
        return DatasetResult(
            dataset=self.dataset, split=self.split, task=self.task, n=self.n,
            precision=self.counts.precision, recall=self.counts.recall, f1=f1,
            accuracy=self.correct / n if self.task == "classify" else None,
            rouge1=r1, rouge2=r2, rougeL=rl, combined=combined_score(f1, (r1 + r2 + rl) / 3))


def average(results: Sequence[DatasetResult]) -> DatasetResult:
    """Unweighted mean over datasets (each dataset counts once, whatever its size); accuracy is
    averaged over the classification datasets only."""
    if not results:
        raise ValueError("no results to average")

    def mean(values: list[float]) -> float:
        return sum(values) / len(values)

    accuracies = [r.accuracy for r in results if r.accuracy is not None]
    return DatasetResult(
        dataset="average", split="-", task="-", n=sum(r.n for r in results),
        precision=mean([r.precision for r in results]), recall=mean([r.recall for r in results]),
        f1=mean([r.f1 for r in results]), accuracy=mean(accuracies) if accuracies else None,
        rouge1=mean([r.rouge1 for r in results]), rouge2=mean([r.rouge2 for r in results]),
        rougeL=mean([r.rougeL for r in results]), combined=mean([r.combined for r in results]))


@dataclass
class Report:
    """Per-dataset results and their average."""

    results: list[DatasetResult]

    @property
    def average(self) -> DatasetResult:
        return average(self.results)

    def to_dict(self) -> dict[str, Any]:
        return {"results": [r.to_dict() for r in self.results],
                "average": self.average.to_dict() if self.results else None}

    def format_table(self) -> str:
        """A fixed-width table, scores in percent; ``-`` where a metric does not apply."""
        header = ("dataset", "split", "task", "n", "P", "R", "F1", "Acc", "R-1", "R-2", "R-L",
                  "combined")
        rows: list[tuple[str, ...]] = [header]
        for r in [*self.results, *([self.average] if self.results else [])]:
            scores = (r.precision, r.recall, r.f1, r.accuracy, r.rouge1, r.rouge2, r.rougeL,
                      r.combined)
            rows.append((r.dataset, r.split, r.task, str(r.n),
                         *("-" if s is None else f"{100 * s:.1f}" for s in scores)))
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        lines = ["  ".join(cell.ljust(w) if i < 3 else cell.rjust(w)
                           for i, (cell, w) in enumerate(zip(row, widths, strict=True)))
                 for row in rows]
        if self.results:
            lines.insert(len(lines) - 1, "-" * len(lines[0]))
        return "\n".join(lines)


# --- extractive answers (composite reading-comprehension evaluation) -------------------------

_ARTICLES = re.compile(r"\b(a|an|the)\b")
# SQuAD's set (Python's string.punctuation): "$" and "+" count as punctuation there too.
_ASCII_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def answer_tokens(text: str, language: str) -> list[str]:
    """Answer tokens as the standard scripts normalise them. English (SQuAD): lower-cased,
    punctuation and the articles a/an/the removed, split on white space. Chinese (CMRC 2018):
    every CJK character a token, other letter/digit runs one token, punctuation dropped
    (:func:`tokenize`)."""
    if language == "zh":
        return tokenize(text)
    kept = "".join(c for c in text.lower()
                   if c not in _ASCII_PUNCTUATION and not unicodedata.category(c).startswith("P"))
    return _ARTICLES.sub(" ", kept).split()


def answer_exact_match(prediction: str | None, references: Sequence[str],
                       language: str) -> float:
    """1.0 when the normalised prediction equals a normalised reference. A question without
    references is unanswerable: 1.0 exactly when there is no prediction (SQuAD 2.0)."""
    if not references or prediction is None:
        return float(not references and prediction is None)
    tokens = answer_tokens(prediction, language)
    return float(any(tokens == answer_tokens(ref, language) for ref in references))


def answer_f1(prediction: str | None, references: Sequence[str], language: str) -> float:
    """The best bag-of-tokens F1 of the prediction against any reference (SQuAD / CMRC);
    unanswerable questions are scored as in :func:`answer_exact_match`."""
    if not references or prediction is None:
        return float(not references and prediction is None)
    predicted = Counter(answer_tokens(prediction, language))
    best = 0.0
    for reference in references:
        gold = Counter(answer_tokens(reference, language))
        if not predicted or not gold:
            best = max(best, float(predicted == gold))
            continue
        best = max(best, _f_measure(sum((predicted & gold).values()), sum(predicted.values()),
                                    sum(gold.values())))
    return best
