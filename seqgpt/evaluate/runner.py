"""Run atomic instances through a model and score them (see :mod:`seqgpt.evaluate.metrics`).

A model is anything with ``extract(texts, labels) -> list[Extraction]`` and
``classify(texts, labels) -> list[Classification]`` (``seqgpt.Model``). Instances are grouped
by label set, because one call takes one label set for all its texts.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

from seqgpt import prompt
from seqgpt.data.instance import AtomicInstance, DataFormatError
from seqgpt.data.mixture import answer_text
from seqgpt.data.readkit import json_lines
from seqgpt.errors import EvaluationError
from seqgpt.evaluate.metrics import Report, Scorer, span_keys
from seqgpt.types import Classification, Extraction, Span

#: Upstream's evaluation protocol scores this many random instances of each test set.
PROTOCOL_SAMPLE_SIZE = 48

_CJK_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


class NLUModel(Protocol):
    # positional-only: ``seqgpt.Model`` names its first parameter ``text`` (one or a list)
    def extract(self, texts: list[str], labels: list[str], /) -> list[Extraction]: ...

    def classify(self, texts: list[str], labels: list[str], /) -> list[Classification]: ...


def evaluate(model: NLUModel, instances: Iterable[AtomicInstance], *, batch_size: int = 16,
             progress: Callable[[int], None] | None = None) -> Report:
    """Score ``model`` on ``instances``: one result row per (dataset, split, task).

    Extraction is scored on ``(label, start, end)`` when every gold span of an instance has
    offsets, else on ``(label, text)``; classification by exact set match (accuracy) and micro-F1
    over labels. ROUGE compares ``prediction.to_seqgpt()`` with the gold answer in the upstream
    format. ``progress`` is called with the number of instances finished after each batch.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    instances = list(instances)
    predictions = _predict(model, instances, batch_size, progress)
    scorers: dict[tuple[str, str, str], Scorer] = {}
    for instance, prediction in zip(instances, predictions, strict=True):
        key = (instance.dataset, instance.split, instance.task)
        scorer = scorers.setdefault(key, Scorer(*key))
        if isinstance(prediction, Extraction):
            by_offsets = all(s.start is not None and s.end is not None for s in instance.spans)
            scorer.add_spans(span_keys([*prediction.spans, *prediction.unmatched], by_offsets),
                             span_keys(instance.spans, by_offsets),
                             prediction.to_seqgpt(), answer_text(instance))
        else:
            scorer.add_labels(prediction.labels, instance.gold, prediction.to_seqgpt(),
                              answer_text(instance))
    return Report([scorer.result() for scorer in scorers.values()])


def _predict(model: NLUModel, instances: Sequence[AtomicInstance], batch_size: int,
             progress: Callable[[int], None] | None) -> list[Extraction | Classification]:
    groups: dict[tuple[str, tuple[str, ...]], list[int]] = {}
    for i, instance in enumerate(instances):
        groups.setdefault((instance.task, tuple(instance.labels)), []).append(i)
    predictions: list[Extraction | Classification | None] = [None] * len(instances)
    done = 0
    for (task, labels), indices in groups.items():
        run: Callable[[list[str], list[str]], Sequence[Extraction | Classification]] = (
            model.extract if task == "extract" else model.classify)
        expected = Extraction if task == "extract" else Classification
        for start in range(0, len(indices), batch_size):
            batch = indices[start:start + batch_size]
            results = run([instances[i].text for i in batch], list(labels))
            if len(results) != len(batch) or not all(isinstance(r, expected) for r in results):
                raise EvaluationError(
                    f"model.{task} returned {len(results)} results for {len(batch)} "
                    f"texts; expected one {expected.__name__} per text")
            for i, result in zip(batch, results, strict=True):
                predictions[i] = result
            done += len(batch)
            if progress:
                progress(done)
    return predictions  # type: ignore[return-value]


def sample(instances: Sequence[AtomicInstance], size: int, seed: int,
           name: str = "") -> list[AtomicInstance]:
    """A seeded random sample of ``size`` instances (all of them when there are fewer), kept in
    their original order. ``name`` enters the seed, so each dataset gets its own sample and
    adding a dataset to a run does not change the others'."""
    if len(instances) <= size:
        return list(instances)
    chosen = random.Random(f"{seed}:{name}").sample(range(len(instances)), size)
    return [instances[i] for i in sorted(chosen)]


def read_jsonl(path: str | Path) -> list[AtomicInstance]:
    """Read a user's evaluation file: JSON Lines, one instance per line, blank lines ignored.

    Extraction lines have ``spans``::

        {"text": "Tim Cook visited Beijing.",
         "spans": [{"label": "person", "start": 0, "end": 8}, {"label": "city", "text": "Beijing"}],
         "labels": ["person", "city", "company"]}

    - each span gives ``label`` and either ``start``/``end`` (code-point offsets, end exclusive;
      an optional ``text`` must equal ``text[start:end]``) or only ``text`` (then that line is
      scored on strings, not offsets);
    - ``labels`` is the label set to ask (it may hold labels with no span); without it, every
      span label that occurs anywhere in the file is asked, in first-seen order;
    - a line with nothing to find still needs ``"spans": []``.

    Classification lines have no ``spans``::

        {"text": "I loved it", "labels": ["positive"], "label_set": ["positive", "negative"]}

    - ``labels`` is the gold label (a string) or labels (a list: several for multi-label data,
      possibly none); ``label_set`` the candidates to ask, which must contain the gold labels;
      without it, every gold label in the file is asked, in first-seen order.

    Lines written by ``seqgpt data build`` (:meth:`AtomicInstance.to_dict`, with a ``task``
    field) are read as they are. The dataset name is the file name without its suffix and the
    split is ``file``. A bad line raises :class:`DataFormatError` naming the file, line and field.
    """
    path = Path(path)
    # Lines end only at "\n": a U+2028 inside a JSON string is not a line break.
    records = list(json_lines(path))
    if not records:
        raise DataFormatError(path, None, "the file holds no instances")
    return _UserFile(path, records).instances()


class _UserFile:
    """Validation of one user file; the implied label sets need the whole file."""

    def __init__(self, path: Path, records: list[tuple[int, dict[str, Any]]]) -> None:
        self.path, self.records = path, records
        self.dataset = path.stem

    def error(self, line: int, problem: str) -> DataFormatError:
        return DataFormatError(self.path, line, problem)

    def instances(self) -> list[AtomicInstance]:
        parsed: list[tuple[int, dict[str, Any], AtomicInstance]] = []
        for line, record in self.records:
            if "task" in record:
                instance = self.atomic(line, record)
            elif "spans" in record:
                instance = self.extraction(line, record)
            else:
                instance = self.classification(line, record)
            parsed.append((line, record, instance))
        self.fill_label_sets(parsed)
        return [instance for _, _, instance in parsed]

    def text(self, line: int, record: dict[str, Any]) -> str:
        text = record.get("text")
        if not isinstance(text, str) or not text.strip():
            raise self.error(line, "field 'text' must be a non-empty string")
        return text

    def strings(self, line: int, value: object, name: str, *, allow_empty: bool) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(line, f"field '{name}' must be a list of strings, "
                                   f"got {json.dumps(value, ensure_ascii=False)[:80]}")
        if not value and allow_empty:
            return []
        try:
            return prompt.check_labels(value)
        except prompt.InputError as error:
            raise self.error(line, f"field '{name}': {error}") from None

    def extraction(self, line: int, record: dict[str, Any]) -> AtomicInstance:
        text = self.text(line, record)
        raw_spans = record["spans"]
        if not isinstance(raw_spans, list):
            raise self.error(line, "field 'spans' must be a list of {label, start, end} objects")
        spans = [self.span(line, text, i, raw) for i, raw in enumerate(raw_spans)]
        labels = (self.strings(line, record["labels"], "labels", allow_empty=False)
                  if "labels" in record else [])
        for i, span in enumerate(spans):
            if labels and span.label not in labels:
                raise self.error(line, f"field 'spans[{i}].label' {span.label!r} is not in "
                                       f"'labels' {labels}")
        return AtomicInstance(text=text, task="extract", labels=labels, dataset=self.dataset,
                              split="file", language=guess_language(text), spans=spans)

    def span(self, line: int, text: str, i: int, raw: object) -> Span:
        field = f"spans[{i}]"
        if not isinstance(raw, dict):
            raise self.error(line, f"field '{field}' must be an object with label, start, end")
        label = raw.get("label")
        if not isinstance(label, str) or not label.strip():
            raise self.error(line, f"field '{field}.label' must be a non-empty string")
        start, end, phrase = raw.get("start"), raw.get("end"), raw.get("text")
        if start is None and end is None:
            if not isinstance(phrase, str) or not phrase.strip():
                raise self.error(line, f"field '{field}' needs 'start' and 'end' (offsets) or "
                                       "'text' (the answer string)")
            return Span(label.strip(), phrase, None, None)
        for name, value in (("start", start), ("end", end)):
            if not isinstance(value, int) or isinstance(value, bool):
                raise self.error(line, f"field '{field}.{name}' must be an integer offset, got "
                                       f"{json.dumps(value)}")
        assert isinstance(start, int) and isinstance(end, int)  # checked just above
        if not 0 <= start < end <= len(text):
            raise self.error(line, f"field '{field}': offsets {start}-{end} must satisfy "
                                   f"0 <= start < end <= {len(text)} (the text's length)")
        if phrase is not None and phrase != text[start:end]:
            raise self.error(line, f"field '{field}.text' {phrase!r} differs from "
                                   f"text[{start}:{end}] = {text[start:end]!r}")
        return Span(label.strip(), text[start:end], start, end)

    def classification(self, line: int, record: dict[str, Any]) -> AtomicInstance:
        text = self.text(line, record)
        if "labels" not in record:
            raise self.error(line, "expected 'spans' (extraction) or 'labels' (the gold labels "
                                   "of a classification line)")
        gold = record["labels"]
        gold = self.strings(line, [gold] if isinstance(gold, str) else gold, "labels",
                            allow_empty=True)
        label_set = (self.strings(line, record["label_set"], "label_set", allow_empty=False)
                     if "label_set" in record else [])
        missing = [label for label in gold if label_set and label not in label_set]
        if missing:
            raise self.error(line, f"field 'labels': {missing} not in 'label_set' {label_set}")
        return AtomicInstance(text=text, task="classify", labels=label_set, dataset=self.dataset,
                              split="file", language=guess_language(text), gold=gold,
                              multi_label=len(gold) != 1)

    def atomic(self, line: int, record: dict[str, Any]) -> AtomicInstance:
        if record["task"] not in ("extract", "classify"):
            raise self.error(line, f"field 'task' must be 'extract' or 'classify', got "
                                   f"{record['task']!r}")
        try:
            instance = AtomicInstance.from_dict(record)
            instance.check()
        except (KeyError, TypeError, ValueError) as error:
            raise self.error(line, f"not an atomic instance record ({error})") from None
        return instance

    def fill_label_sets(self, parsed: list[tuple[int, dict[str, Any], AtomicInstance]]) -> None:
        """Lines without a label set get every label the file uses for that task."""
        used: dict[str, dict[str, None]] = {"extract": {}, "classify": {}}
        for _, _, instance in parsed:
            found = ([s.label for s in instance.spans] if instance.task == "extract"
                     else instance.gold)
            used[instance.task].update(dict.fromkeys(instance.labels or found))
        multi_label = any(len(i.gold) != 1 for _, _, i in parsed if i.task == "classify")
        for line, _, instance in parsed:
            if not instance.labels:
                if not used[instance.task]:
                    raise self.error(line, "no label set: give 'labels' (extraction) or "
                                           "'label_set' (classification)")
                instance.labels = list(used[instance.task])
            if instance.task == "classify" and instance.split == "file":
                instance.multi_label = multi_label


def guess_language(text: str) -> str:
    """``zh`` when at least a fifth of the non-space characters are Chinese, else ``en``."""
    chars = [c for c in text if not c.isspace()]
    return "zh" if chars and len(_CJK_CHAR.findall(text)) * 5 >= len(chars) else "en"
