"""The SeqGPT training mixture: balanced, negative-augmented atomic instances, deterministic
from a seed.

Two stages, as upstream trains SeqGPT:

- ``pretrain`` — label diversity first. Every classification label set (classify instances of
  every kind of dataset) and entity-typing-like extraction from every NER / slot set: each
  instance asks only for the types its text has, plus sampled negatives, so the model meets
  many label names in small, easy label sets. Small quotas per label.
- ``finetune`` — the multi-task mixture: every kind (NER, slots, classification, NLI, RE, MRC,
  EE) with the dataset's full label set plus sampled negatives. Larger quotas.

Balance (per stage, see :data:`STAGES`): at most ``per_dataset`` instances per (dataset, task)
and at most ``per_label`` per (dataset, task, primary label), where an instance's primary label
is its rarest gold label in that dataset (instances with no gold form one more bucket). A big
dataset or a frequent label (``O``-heavy NER, a dominant intent) cannot drown the rest.

Negatives: each instance gets 1..``max_negatives`` labels from the global pool of the same
language and task — labels other training datasets use — that have no answer in it; then the
label order is shuffled. Pools (:func:`pool_group`): extraction draws entity / slot types of NER
and slot sets; classification draws labels of datasets of the same kind (``cls``, ``nli``,
``re``, ``slot`` intents). A candidate is never one of the instance's labels, never *related*
to one (a shared word, or for Chinese one contained in the other: "person-athlete" is no
negative for "person"), and for extraction never a *generic* type that several datasets
annotate (a "date" or "person" in an unrelated text would be a wrong "None"). MRC questions,
event roles and relation arguments, and partially annotated data (Few-NERD), get no negatives
from outside their own label set. A dataset with a type vocabulary (``options["vocabulary"]``:
UFET's 10k types) draws its negatives from that vocabulary instead — types that are none of
the instance's and not related to one — and does not feed the global pool: its labels are
per-mention fine types ("man", "adult", "thing") that most texts of other datasets hold
unannotated, so they would be wrong "None"s there.

Two kinds of partial annotation: *label-partial* data (:data:`PARTIALLY_ANNOTATED`) is complete
for its own types only, so it gets no outside labels; *span-partial* instances
(``meta["partial"] = True``: UFET's one typed mention, DuIE's relation arguments) list some
spans of the text and say nothing of the others; the trainer takes their loss only on the
listed spans (a listed span's negatives are the instance's labels it does not carry), so
outside labels are safe for them.

Splits: only training data is read — every ``train*`` split; a dataset without one uses its
splits other than :func:`evaluation_split` (e.g. ``devel`` when the project evaluates on
``test``, ``trial`` when it evaluates on ``dev``). A dataset with a single split and no train
split (``all`` where there is no official split, or only a ``test`` file) is partitioned by a
fixed hash of the text: :func:`held_out` instances (10 %) are for evaluation only and never
trained on, the rest is training data. Datasets in :data:`SHARED_SPLITS` are partitioned the
same way in every split (Few-NERD INTER: its dev and test files annotate disjoint types, so
holding one file out would leave its types untrained). Zero-shot dev datasets
(:data:`registry.ZERO_SHOT_DEV`) are refused and never read.
"""

from __future__ import annotations

import functools
import json
import random
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from seqgpt import prompt
from seqgpt.data import readkit, registry
from seqgpt.data.instance import AtomicInstance
from seqgpt.data.registry import DatasetSpec
from seqgpt.errors import MixtureError

Stage = Literal["pretrain", "finetune"]

#: The split the project evaluates a dataset on is the first of these it has (``dev_trans``
#: counts as ``dev``), unless :data:`EVALUATION_OVERRIDES` names it.
EVALUATION_SPLITS = ("test", "dev", "devel", "validation", "valid", "val", "trial")
#: Where the rule above picks the wrong split. BTC has no official split: its authors propose
#: evaluating on (half of) section H, its most varied section. NLU++ is cross-validated over 20
#: folds: we hold out the first. The RTE subset's test is GLUE's dev set, as usual for RTE.
EVALUATION_OVERRIDES = {"btc": "h", "nlupp/banking": "fold0", "nlupp/hotels": "fold0",
                        "glue_subsets_powerfulpromptft/RTE": "glue_dev_as_test"}
#: Percentage of a single-split dataset kept for evaluation (see :func:`held_out`).
HELD_OUT_PERCENT = 10
#: Kinds whose extraction labels are entity / slot types (the negative pool and pretraining).
TYPE_KINDS = frozenset({"ner", "slot"})
#: Datasets annotated only for their own types: no outside labels may be added as negatives.
PARTIALLY_ANNOTATED = frozenset({"fewnerd_inter_devtest"})
#: Datasets whose every split is training data but for its :func:`held_out` part: each split
#: has its own label set (Few-NERD INTER's files annotate disjoint types) and none is a project
#: benchmark.
SHARED_SPLITS = frozenset({"fewnerd_inter_devtest"})
#: Draws from a type vocabulary before giving up on finding ``count`` unrelated types (a
#: vocabulary of thousands of types is never exhausted in practice).
_VOCABULARY_TRIES = 50


@dataclass(frozen=True)
class Quotas:
    """Caps per (dataset, task) and per (dataset, task, primary label); negatives per instance."""

    per_dataset: int
    per_label: int
    max_negatives: int


#: Pretraining sees many labels a few times; fine-tuning sees each dataset in more depth.
STAGES: dict[str, Quotas] = {
    "pretrain": Quotas(per_dataset=1000, per_label=50, max_negatives=3),
    "finetune": Quotas(per_dataset=2000, per_label=250, max_negatives=3),
}


def evaluation_split(spec: DatasetSpec) -> str:
    """The split the project evaluates ``spec`` on: test, else the first dev-like split, else
    the only split of a :func:`single_split` dataset (its :func:`held_out` part)."""
    if spec.name in EVALUATION_OVERRIDES:
        return EVALUATION_OVERRIDES[spec.name]
    for name in EVALUATION_SPLITS:
        for split in spec.splits:
            if split == name or split.startswith(name + "_"):
                return split
    if single_split(spec):
        return spec.splits[0]
    raise MixtureError(f"dataset {spec.name!r} has no test or dev split, only training data "
                       f"({', '.join(spec.splits)}); name a split to evaluate on it anyway")


def single_split(spec: DatasetSpec) -> bool:
    """Whether training and evaluation share the dataset through :func:`held_out`: it has one
    split and no train split (hence the name), or it is one of :data:`SHARED_SPLITS`, whose
    every split is partitioned alike."""
    if spec.name in SHARED_SPLITS:
        return True
    return len(spec.splits) == 1 and not spec.splits[0].startswith("train")


def held_out(instance: AtomicInstance) -> bool:
    """Whether an instance of a :func:`single_split` dataset is kept for evaluation: a hash of
    the record id the reader gives (XQuAD's question ids are shared by its English and Chinese
    versions, so a question and its translation fall on the same side), else of the text (so
    the tasks of one text stay together). Fixed across runs and seeds."""
    key = str(instance.meta.get("id", instance.text))
    return zlib.crc32(key.encode("utf-8")) % 100 < HELD_OUT_PERCENT


def training_splits(spec: DatasetSpec) -> list[str]:
    """The splits the mixture reads: ``train*`` splits, else all but the evaluation split, else
    (a single-split dataset) that split, without its held-out part."""
    trains = [split for split in spec.splits if split.startswith("train")]
    if trains:
        return trains
    if single_split(spec):
        return list(spec.splits)
    held = evaluation_split(spec)
    return [split for split in spec.splits if split != held]


def refuse_zero_shot(specs: Sequence[DatasetSpec]) -> None:
    """Raise :class:`MixtureError` if any of ``specs`` is a zero-shot dev dataset."""
    refused = [spec.name for spec in specs if spec.zero_shot_dev]
    if refused:
        raise MixtureError(f"{', '.join(refused)}: zero-shot dev dataset(s), never used for "
                           "training; remove them from --data")


def training_instances(spec: DatasetSpec, root: Path | None = None) -> Iterator[AtomicInstance]:
    """Every instance of ``spec``'s :func:`training_splits`, without the :func:`held_out` part
    of a :func:`single_split` dataset."""
    partitioned = single_split(spec)
    for split in training_splits(spec):
        for instance in spec.reader(spec, root or registry.data_root(), split):
            if not (partitioned and held_out(instance)):
                yield instance


@dataclass
class Selection:
    """What the builder took from one (dataset, task): for the summary table."""

    dataset: str
    task: str
    splits: list[str]
    read: int
    kept: int
    labels: int


@dataclass
class Mixture:
    instances: list[AtomicInstance]
    selections: list[Selection] = field(default_factory=list)


def build(specs: Sequence[DatasetSpec], stage: Stage, *, seed: int = 0,
          quotas: Quotas | None = None, root: Path | None = None) -> Mixture:
    """Build one stage's mixture from ``specs`` (refusing zero-shot dev datasets up front)."""
    if stage not in STAGES:
        raise MixtureError(f"stage must be one of {', '.join(STAGES)}, got {stage!r}")
    quotas = quotas or STAGES[stage]
    refuse_zero_shot(specs)
    mixture = Mixture([])
    for spec in specs:
        splits = training_splits(spec)
        by_task: dict[str, list[AtomicInstance]] = {"extract": [], "classify": []}
        for instance in training_instances(spec, root):
            by_task[instance.task].append(instance)
        for task, found in by_task.items():
            if stage == "pretrain" and task == "extract":
                found = [typing_instance(i) for i in found if spec.kind in TYPE_KINDS and i.spans]
            if not found:
                continue
            rng = random.Random(f"{seed}:{stage}:{spec.name}:{task}")
            kept = select(found, quotas, rng)
            mixture.instances += kept
            mixture.selections.append(Selection(
                spec.name, task, splits, len(found), len(kept),
                len({label for i in kept for label in i.labels})))
    pools = negative_pools(specs, mixture.instances, root or registry.data_root())
    rng = random.Random(f"{seed}:{stage}:negatives")
    for instance in mixture.instances:
        add_negatives(instance, pools, quotas.max_negatives, rng)
    random.Random(f"{seed}:{stage}:order").shuffle(mixture.instances)
    return mixture


def typing_instance(instance: AtomicInstance) -> AtomicInstance:
    """Pretraining extraction: ask only for the types the text has (negatives come later)."""
    present = list(dict.fromkeys(span.label for span in instance.spans))
    return replace(instance, labels=present, meta=dict(instance.meta))


def primary_label(instance: AtomicInstance, frequency: Counter[str]) -> str:
    """The rarest gold label of an instance ("" when it has none): the quota bucket."""
    gold = instance.gold if instance.task == "classify" else [s.label for s in instance.spans]
    return min(set(gold), key=lambda label: (frequency[label], label), default="")


def select(instances: Sequence[AtomicInstance], quotas: Quotas,
           rng: random.Random) -> list[AtomicInstance]:
    """A random subset within the dataset and per-primary-label caps."""
    frequency: Counter[str] = Counter()
    for instance in instances:
        frequency.update(set(instance.gold) if instance.task == "classify"
                         else {s.label for s in instance.spans})
    order = list(range(len(instances)))
    rng.shuffle(order)
    taken: Counter[str] = Counter()
    kept: list[AtomicInstance] = []
    for i in order:
        if len(kept) == quotas.per_dataset:
            break
        bucket = primary_label(instances[i], frequency)
        if taken[bucket] < quotas.per_label:
            taken[bucket] += 1
            kept.append(instances[i])
    return kept


@functools.lru_cache(maxsize=1 << 16)
def _words(label: str) -> frozenset[str]:
    """Lower-cased words of a label, camelCase and snake_case split, plurals made singular."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", label)
    words = {w.lower() for w in re.findall(r"[A-Za-z]+|\d+", spaced)}
    return frozenset(_singular(w) for w in words)


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def related(a: str, b: str) -> bool:
    """Labels too close to be each other's negative: shared words, or (for labels without
    Latin words, e.g. Chinese) one contained in the other."""
    if a.casefold() == b.casefold():
        return True
    wa, wb = _words(a), _words(b)
    if wa and wb:
        return bool(wa & wb)
    return a in b or b in a


def pool_group(instance: AtomicInstance, kind: str) -> str | None:
    """Which negative pool an instance draws from and feeds: entity / slot types for
    extraction from NER and slot sets; classification labels of the same kind of dataset
    (sentiment and topic sets are both ``cls``; NLI, RE and intents each their own). ``None``
    for extraction labels tied to one text (MRC questions, event roles, relation arguments):
    those keep only the "None" labels their own label set has."""
    if instance.task == "extract":
        return "types" if kind in TYPE_KINDS else None
    return kind


@dataclass
class Pools:
    """Negative candidates per (language, task, group), labels that must not be negatives, and
    the type vocabularies of the datasets that have one."""

    kinds: dict[str, str]
    labels: dict[tuple[str, str, str], list[str]]
    generic: set[str]
    vocabularies: dict[str, list[str]] = field(default_factory=dict)
    _cache: dict[tuple[str, str, str, frozenset[str]], list[str]] = field(default_factory=dict)

    def sample(self, instance: AtomicInstance, most: int, rng: random.Random) -> list[str]:
        """1..``most`` negatives for the instance (fewer, or none, when there are no more
        candidates)."""
        vocabulary = self.vocabularies.get(instance.dataset)
        if vocabulary is not None:
            return _unrelated(vocabulary, instance.labels, rng.randint(1, most), rng)
        candidates = self.candidates(instance)
        if not candidates:
            return []
        return rng.sample(candidates, min(rng.randint(1, most), len(candidates)))

    def candidates(self, instance: AtomicInstance) -> list[str]:
        """Pool labels that may be negatives for this instance's label set (cached: most
        instances of a dataset share one label set)."""
        group = pool_group(instance, self.kinds.get(instance.dataset, ""))
        if group is None or instance.dataset in PARTIALLY_ANNOTATED:
            return []
        key = (instance.language, instance.task, group, frozenset(instance.labels))
        if key not in self._cache:
            self._cache[key] = [
                label for label in self.labels.get(key[:3], [])
                if not (instance.task == "extract" and _normal(label) in self.generic)
                and not any(related(label, own) for own in instance.labels)]
        return self._cache[key]


def _unrelated(vocabulary: Sequence[str], own: Sequence[str], count: int,
               rng: random.Random) -> list[str]:
    """Up to ``count`` distinct vocabulary types, none of them related to an own label; drawn
    one at a time (checking all of a 10k vocabulary against every instance would cost more
    than the rest of the mixture)."""
    picked: list[str] = []
    for _ in range(_VOCABULARY_TRIES):
        if len(picked) == count:
            break
        label = vocabulary[rng.randrange(len(vocabulary))]
        if label not in picked and not any(related(label, mine) for mine in own):
            picked.append(label)
    return picked


def negative_pools(specs: Sequence[DatasetSpec], instances: Iterable[AtomicInstance],
                   root: Path) -> Pools:
    kinds = {spec.name: spec.kind for spec in specs}
    vocabularies = {spec.name: list(dict.fromkeys(readkit.vocabulary(spec, root).values()))
                    for spec in specs if "vocabulary" in spec.options}
    labels: dict[tuple[str, str, str], dict[str, None]] = {}
    owners: dict[str, set[str]] = {}
    for instance in instances:
        group = pool_group(instance, kinds.get(instance.dataset, ""))
        if group is None or instance.dataset in vocabularies:
            continue
        labels.setdefault((instance.language, instance.task, group), {}).update(
            dict.fromkeys(instance.labels))
        if instance.task == "extract":
            for label in instance.labels:
                owners.setdefault(_normal(label), set()).add(instance.dataset)
    generic = {label for label, datasets in owners.items() if len(datasets) > 1}
    return Pools(kinds, {key: list(found) for key, found in labels.items()}, generic,
                 vocabularies)


def _normal(label: str) -> str:
    return " ".join(sorted(_words(label))) or label


def add_negatives(instance: AtomicInstance, pools: Pools, max_negatives: int,
                  rng: random.Random) -> None:
    """Add 1..max_negatives unrelated labels from the pool (none when the pool has no
    candidate), then shuffle the label order."""
    negatives = pools.sample(instance, max_negatives, rng) if max_negatives > 0 else []
    labels = instance.labels + negatives
    rng.shuffle(labels)
    instance.labels = labels
    instance.meta = {**instance.meta, "negatives": negatives}


def answer_text(instance: AtomicInstance, labels: Sequence[str] | None = None) -> str:
    """The gold answer in the upstream format for ``labels`` (default: all the instance's):
    extraction lists every label in order, its phrases in text order, ``None`` when empty;
    classification lists the gold labels in label-set order."""
    labels = list(instance.labels if labels is None else labels)
    if instance.task == "classify":
        return prompt.format_classification([label for label in labels if label in instance.gold])
    answers: dict[str, list[str]] = {label: [] for label in labels}
    for span in sorted(instance.spans, key=lambda s: (s.start is None, s.start or 0, s.end or 0)):
        if span.label in answers and span.text not in answers[span.label]:
            answers[span.label].append(span.text)
    return prompt.format_extraction(answers)


def prompt_records(instance: AtomicInstance) -> Iterator[dict[str, str]]:
    """Upstream prompt/answer pairs; extraction label sets chunked as upstream's inference."""
    for chunk in prompt.chunk_labels(instance.labels, instance.task):
        yield {"prompt": prompt.render(instance.text, chunk, instance.task),
               "answer": answer_text(instance, chunk)}


def write(mixture: Mixture, path: Path, fmt: Literal["atomic", "prompt"]) -> int:
    """Write the mixture as JSON Lines; returns the number of lines."""
    lines = 0
    with path.open("w", encoding="utf-8") as out:
        for instance in mixture.instances:
            records: Iterable[dict[str, Any]] = (
                [instance.to_dict()] if fmt == "atomic" else prompt_records(instance))
            for record in records:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                lines += 1
    return lines
