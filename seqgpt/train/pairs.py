"""Training the NLI pair reader (:mod:`seqgpt.model.pairs`) on premise/hypothesis pairs.

The top ``train_layers`` layers of E5 and a three-way head learn entailment / neutral /
contradiction from the pool's NLI training splits, the pair read jointly. Two-way sets (RTE's
entailment / not entailment) train the same head: a label standing for several classes is
the summed probability of those classes, and the loss is ``-log`` of the gold label's.
Every ``save_every`` steps the reader is scored on dev pairs (the selection split of the
zero-shot NLI set and the dev splits of the trained-on sets, never a reported split) and the
best step is kept as ``pairs.safetensors`` in the run folder; copy it into a model folder to
use it. A run killed midway resumes from its last checkpoint when started again.

    python -m seqgpt.train.pairs --out runs/pairs --steps 1800
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from seqgpt.data import registry
from seqgpt.data.instance import AtomicInstance
from seqgpt.model.pairs import PAIRS, PairClassifier, label_groups
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

TRAIN_DATA = ("glue_subsets_powerfulpromptft/MNLI", "glue_subsets_powerfulpromptft/SNLI", "ocnli",
              "glue_subsets_powerfulpromptft/RTE")
DEV_DATA = ("sick2014",)


@dataclass
class PairArgs(ReaderArgs):
    steps: int = 1800
    batch_size: int = 32


@dataclass(frozen=True)
class Pair:
    premise: str
    hypothesis: str
    gold: int  # index into ``options``
    dataset: str
    #: The pair classes (indices into seqgpt.model.pairs.CLASSES) each label of the pair's
    #: label set stands for: three one-class labels, or RTE's (entailment,) / (neutral, contra.)
    options: tuple[tuple[int, ...], ...] = ((0,), (1,), (2,))


def nli_pairs(instances: list[AtomicInstance]) -> list[Pair]:
    """The NLI instances among ``instances``: ``premise\\nhypothesis`` texts whose label set
    names the pair classes (:func:`seqgpt.model.pairs.label_groups`: three-way, or two-way
    entailment / not entailment)."""
    out = []
    for i in instances:
        groups = label_groups(list(i.labels)) if i.task == "classify" and i.gold else None
        premise, newline, hypothesis = i.text.partition("\n")
        if groups is None or not newline:
            continue
        options = tuple(sorted(groups))  # canonical: the order a dataset lists labels is noise
        out.append(Pair(premise, hypothesis, options.index(groups[i.labels.index(i.gold[0])]),
                        i.dataset, options))
    return out


def option_log_probs(logits: torch.Tensor, pairs: list[Pair]) -> list[torch.Tensor]:
    """Per pair, the log probability of each of its labels (the log of its classes' summed
    probability)."""
    log_probs = logits.float().log_softmax(-1)
    return [torch.stack([row[list(g)].logsumexp(-1) for g in pair.options])
            for row, pair in zip(log_probs, pairs, strict=True)]


def train(data: list[Pair], out: Path, args: PairArgs,
          evaluate: Callable[[PairClassifier], float] | None = None) -> Path:
    """Train on ``data``; keep the best-scoring step (``evaluate``, higher is better) as
    ``out/pairs.safetensors``; resume from ``out``'s checkpoint if there is one."""
    torch.manual_seed(args.seed)
    model = reader_model(PairClassifier, args)

    def batch_loss(batch: list[int]) -> torch.Tensor:
        items = [data[n] for n in batch]
        inputs = model.encode([p.premise for p in items], [p.hypothesis for p in items])
        with torch.autocast("cpu", torch.bfloat16, enabled=args.bfloat16):
            logits = model(inputs["input_ids"], inputs["attention_mask"])
        rows = option_log_probs(logits, items)
        return -torch.stack([row[p.gold] for row, p in zip(rows, items, strict=True)]).mean()

    return train_reader(model, out, args, len(data), batch_loss,
                        (lambda: evaluate(model)) if evaluate else None,
                        best=PAIRS, checkpoint=_CHECKPOINT, rate_name="pairs_per_s")


_CHECKPOINT = "pairs_checkpoint.pt"


def accuracy(model: PairClassifier, pairs: list[Pair], bfloat16: bool = False) -> dict[str, float]:
    """Accuracy per dataset of ``pairs``."""
    probs = model.probabilities([p.premise for p in pairs], [p.hypothesis for p in pairs],
                                bfloat16=bfloat16)
    hits: dict[str, list[bool]] = {}
    # log-probabilities are logits whose log-softmax is themselves
    for pair, row in zip(pairs, option_log_probs(probs.log(), pairs), strict=True):
        hits.setdefault(pair.dataset, []).append(int(row.argmax()) == pair.gold)
    return {d: 100 * sum(h) / len(h) for d, h in hits.items()}


def dev_pairs(zero_shot: list[str], trained: list[str], limit: int) -> list[Pair]:
    """Selection splits of the zero-shot ``zero_shot`` sets and the dev splits of the
    ``trained`` sets that have one, ``limit`` seeded pairs each."""
    from seqgpt.evaluate.runner import sample
    from seqgpt.train.devset import selection_instances

    chosen = nli_pairs(selection_instances(zero_shot, limit, 0)) if zero_shot else []
    for name in trained:
        if "dev" in registry.get(name).splits:
            chosen += nli_pairs(sample(list(registry.read(name, "dev")), limit, 0, name))
    return chosen


_HELP = reader_help("pairs")


def main() -> int:
    parser, raw, args = reader_command(
        __doc__, PairArgs(), _HELP, data=",".join(TRAIN_DATA),
        data_help="NLI datasets of ../shared/data (their train splits) or JSONL files in the "
                  "format `seqgpt eval` reads, comma-separated",
        out_file=PAIRS, dev=",".join(DEV_DATA),
        dev_help="zero-shot dev NLI datasets whose selection splits (with the dev splits of "
                 "the --data sets) pick the best step",
        dev_limit=300, dev_unit="pairs")
    instances, names = data_sources(parser, raw.data)
    instances += [i for name in names for i in registry.read(name, "train")]
    data = nli_pairs(instances)
    if not data:
        parser.error(f"--data {raw.data!r} holds no NLI pairs ('premise\\nhypothesis' texts "
                     "labelled entailment/neutral/contradiction or entailment/not entailment)")
    dev = dev_pairs([n for n in raw.dev.split(",") if n], names, raw.dev_limit)
    print(f"{len(data)} training pairs, {len(dev)} dev pairs", file=sys.stderr)
    out = start_run(raw.out, [p.dataset for p in data])
    evaluate = dev_logger(out, lambda model: accuracy(model, dev, args.bfloat16))
    train(data, out, args, evaluate if dev else None)
    return 0


if __name__ == "__main__":
    sys.exit(cli(main))
