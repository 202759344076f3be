"""Training the answer reader (:mod:`seqgpt.model.qa`) on extractive MRC questions.

The top ``train_layers`` layers of E5 and a start/end head learn to point at the answer of a
question in a context window: the pool's MRC training questions (CMRC 2018 trial, the XQuAD
questions outside its held-out part) and any JSONL files of one-question extract instances
(``seqgpt data questions`` writes such from relation triples). Each step reads one window per
question: one holding a gold answer, or, with ``negative_rate``, one that holds none (and
every window of an unanswerable question), whose target is position 0 ("no answer").
Every ``save_every`` steps the reader answers the selection splits of the zero-shot MRC sets
(drcd dev, subjqa dev; never a reported split) and the best step is kept as
``qa.safetensors`` in the run folder; copy it into a model folder to use it. A killed run
resumes from its last checkpoint when started again.

    python -m seqgpt.train.qa --out runs/qa --steps 1500
"""

from __future__ import annotations

import math
import random
import re
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from seqgpt.data import mixture, registry
from seqgpt.data.instance import AtomicInstance
from seqgpt.errors import SeqGPTError
from seqgpt.evaluate.metrics import answer_f1
from seqgpt.model.qa import QA, QAReader, Window
from seqgpt.train.loop import (
    ReaderArgs,
    cli,
    data_sources,
    dev_logger,
    reader_command,
    reader_help,
    reader_model,
    start_run,
    train_reader,
)

TRAIN_DATA = ("cmrc2018", "xquad/en", "xquad/zh")
DEV_DATA = ("drcd", "subjqa")


@dataclass
class QAArgs(ReaderArgs):
    lr: float = 5e-5
    train_layers: int = 6
    negative_rate: float = 0.2  # share of answerable questions read in a window without answer
    hard_negative_rate: float = 0.0  # share of answerable questions also asked of another context
    save_every: int = 250


@dataclass(frozen=True)
class Question:
    """One question's windows and, per window, its target (start, end) positions; (0, 0)
    where the window holds no answer."""

    windows: tuple[Window, ...]
    targets: tuple[tuple[int, int], ...]
    dataset: str


def questions(instances: list[AtomicInstance], model: QAReader) -> list[Question]:
    """The one-question extract instances among ``instances`` as windows with targets (a
    question too long for the reader is skipped, as is an answer no window holds whole)."""
    out = []
    for i in instances:
        if i.task != "extract" or len(i.labels) != 1:
            continue
        try:
            windows = model.windows(i.labels[0], i.text)
        except SeqGPTError:
            continue
        targets = tuple(_target(w, [(s.start, s.end) for s in i.spans
                                    if s.start is not None and s.end is not None])
                        for w in windows)
        if i.spans and not any(targets):
            continue
        out.append(Question(tuple(windows), targets, i.dataset))
    return out


def hard_negatives(instances: list[AtomicInstance], rate: float,
                   seed: int = 0) -> list[AtomicInstance]:
    """For a ``rate`` share of the answerable questions, the same question asked of the other
    context of its dataset that shares the most words with it (weighted by rarity; CJK:
    character pairs) and holds none of its answers: unanswerable, with no span. A window of
    the question's own context without the answer is an easy "no answer"; a paragraph on the
    same subject is what an unanswerable question about a review or an article looks like
    (SubjQA: 57 % of its questions)."""
    rng = random.Random(seed)
    by_dataset: dict[str, list[str]] = {}
    for i in instances:
        if i.task == "extract" and len(i.labels) == 1:
            by_dataset.setdefault(i.dataset, [])
            if i.text not in by_dataset[i.dataset]:
                by_dataset[i.dataset].append(i.text)
    words = {text: _words(text) for texts in by_dataset.values() for text in texts}
    rarity: dict[str, dict[str, float]] = {}  # per dataset: log inverse context frequency
    for name, texts in by_dataset.items():
        counts = Counter(w for text in texts for w in words[text])
        rarity[name] = {w: math.log(len(texts) / n) for w, n in counts.items()}
    out = []
    for i in instances:
        if i.task != "extract" or len(i.labels) != 1 or not i.spans or rng.random() >= rate:
            continue
        asked = _words(i.labels[0])
        answers = [s.text for s in i.spans] + list(i.meta.get("answers", []))
        others = [c for c in by_dataset[i.dataset]
                  if c != i.text and not any(a and a in c for a in answers)]
        if others:
            weight = rarity[i.dataset]
            context = max(others, key=lambda c: sum(weight[w] for w in asked & words[c]))
            out.append(AtomicInstance(text=context, task="extract", labels=list(i.labels),
                                      dataset=i.dataset, split=i.split, language=i.language,
                                      meta={"hard_negative": True}))
    return out


def _words(text: str) -> set[str]:
    """Lower-cased words, and pairs of adjacent CJK characters (Chinese has no spaces)."""
    latin = set(re.findall(r"[^\W\d_]{3,}", re.sub(r"[\u4e00-\u9fff]", " ", text.lower())))
    cjk = re.findall(r"[\u4e00-\u9fff]", text)
    return latin | {a + b for a, b in zip(cjk, cjk[1:], strict=False)}


def _target(window: Window, answers: list[tuple[int, int]]) -> tuple[int, int]:
    """The positions of the first answer the window holds whole, else (0, 0)."""
    for start, end in answers:
        first = [t for t, c in enumerate(window.chars) if c is not None and c[1] > start]
        last = [t for t, c in enumerate(window.chars) if c is not None and c[0] < end]
        if (first and last and window.chars[first[0]][0] <= start  # type: ignore[index]
                and window.chars[last[-1]][1] >= end and first[0] <= last[-1]):  # type: ignore[index]
            return first[0], last[-1]
    return 0, 0


def pick(question: Question, rng: random.Random, negative_rate: float) -> int:
    """The window a step reads: one with an answer, or with ``negative_rate`` one without."""
    answered = [n for n, t in enumerate(question.targets) if t != (0, 0)]
    empty = [n for n, t in enumerate(question.targets) if t == (0, 0)]
    if answered and (not empty or rng.random() >= negative_rate):
        return rng.choice(answered)
    return rng.choice(empty)


def train(data: list[Question], model: QAReader, out: Path, args: QAArgs,
          evaluate: Callable[[QAReader], float] | None = None) -> Path:
    """Train on ``data``; keep the best-scoring step (``evaluate``, higher is better) as
    ``out/qa.safetensors``; resume from ``out``'s checkpoint if there is one."""
    torch.manual_seed(args.seed)

    def batch_loss(batch: list[int]) -> torch.Tensor:
        # Seeded by the batch, which a resumed run repeats exactly: the same windows are read.
        rng = random.Random(f"{args.seed}:{','.join(map(str, batch))}")
        chosen = [(data[n], pick(data[n], rng, args.negative_rate)) for n in batch]
        inputs = model.batch([q.windows[w] for q, w in chosen])
        with torch.autocast("cpu", torch.bfloat16, enabled=args.bfloat16):
            logits = model(inputs["input_ids"], inputs["attention_mask"])
        scores = model.log_probs(logits.float(), inputs["allowed"])
        targets = torch.tensor([q.targets[w] for q, w in chosen])
        rows = torch.arange(len(chosen))
        return -(scores[rows, targets[:, 0], 0] + scores[rows, targets[:, 1], 1]).mean() / 2

    return train_reader(model, out, args, len(data), batch_loss,
                        (lambda: evaluate(model)) if evaluate else None,
                        best=QA, checkpoint=_CHECKPOINT, rate_name="questions_per_s")


_CHECKPOINT = "qa_checkpoint.pt"


def answerable_f1(model: QAReader, instances: list[AtomicInstance],
                  bfloat16: bool = False) -> dict[str, float]:
    """Token F1 per dataset of the best span of every answerable question (answered even
    where "no answer" wins: this scores the span, the answer threshold is picked apart)."""
    asked = [i for i in instances if i.spans]
    found = model.read([i.labels[0] for i in asked], [i.text for i in asked], bfloat16=bfloat16)
    scores: dict[str, list[float]] = {}
    for instance, reading in zip(asked, found, strict=True):
        text = None if reading is None else instance.text[reading.start:reading.end].strip()
        references = [s.text for s in instance.spans] + list(instance.meta.get("answers", []))
        scores.setdefault(instance.dataset, []).append(
            answer_f1(text, references, instance.language))
    return {d: 100 * sum(s) / len(s) for d, s in scores.items()}


def training_instances(names: list[str]) -> list[AtomicInstance]:
    """The training part of each registered MRC dataset (a single-split one without its
    held-out part)."""
    out: list[AtomicInstance] = []
    for name in names:
        spec = registry.get(name)
        for split in mixture.training_splits(spec):
            read = registry.read(name, split)
            out += [i for i in read if not (mixture.single_split(spec) and mixture.held_out(i))]
    return out


_HELP = reader_help(
    "questions",
    negative_rate="share of answerable questions read in a window that holds no answer",
    hard_negative_rate="share of answerable questions also asked, unanswerable, of the other "
                       "context of their dataset that shares the most words with them")


def main() -> int:
    from seqgpt.train.devset import selection_instances

    parser, raw, args = reader_command(
        __doc__, QAArgs(), _HELP, data=",".join(TRAIN_DATA),
        data_help="MRC datasets of ../shared/data (their training parts) or JSONL files of "
                  "one-question extract instances, comma-separated",
        out_file=QA, dev=",".join(DEV_DATA),
        dev_help="zero-shot dev MRC datasets whose selection splits pick the step",
        dev_limit=150, dev_unit="questions")
    instances, names = data_sources(parser, raw.data)
    instances += training_instances(names)
    instances += hard_negatives(instances, args.hard_negative_rate, args.seed)
    torch.manual_seed(args.seed)
    model = reader_model(QAReader, args)
    data = questions(instances, model)
    if not data:
        parser.error(f"--data {raw.data!r} holds no questions (extract instances with one "
                     "label, the question)")
    dev = selection_instances([n for n in raw.dev.split(",") if n], raw.dev_limit, 0)
    print(f"{len(data)} training questions, {len(dev)} dev questions", file=sys.stderr)
    out = start_run(raw.out, [q.dataset for q in data])
    evaluate = dev_logger(out, lambda reader: answerable_f1(reader, dev, args.bfloat16))
    train(data, model, out, args, evaluate if dev else None)
    return 0


if __name__ == "__main__":
    sys.exit(cli(main))
