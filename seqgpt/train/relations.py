"""Training the relation reader (:mod:`seqgpt.model.relations`) on the pool's relation data.

The data is a list of questions, each one pair of one sentence with the relation names asked
about it. A related pair asks, for each relation that holds: that relation (target 1),
``negatives`` other relation names of its dataset (target 0: same sentence, same pair, wrong
relation) and the same relation with head and tail swapped (target 0 unless the data relates
them that way too or the relation is symmetric: the reader must read which way the statement
points). An unrelated pair of the same sentences (the catalogue's negatives, SemEval
``Other``, FinRE ``unknown``) asks ``negatives`` names, all 0; where a set annotates every entity
of a sentence (CoNLL04, ADE), ``unrelated_pairs`` more of its unrelated pairs are asked the same
way (``relations()`` asks every pair of the entities it finds, the catalogue samples two per
sentence). The loss is binary cross-entropy per row (the calibrated score ``relations()``
thresholds) plus, for a question with a relation that holds, the cross-entropy of a softmax
over its rows (the ranking a pair-given set like FewRel asks for): with a fifth of the rows
positive, cross-entropy alone sat at the base rate for 400 steps of 32 rows, the ranking term
moved within 100.

Chinese relation names are shown in English in ``english_rate`` of their rows (``ENGLISH``:
DuIE's predicates translated, the literature corpus's own English names): the English relation
data alone names 15 relations, the Chinese sets 100, and E5 reads both languages in one space.

Every ``save_every`` steps the reader is scored on dev pairs (the selection split of the
zero-shot relation set, accuracy of its best name; the dev splits of the trained-on sets,
F1 of the decisions at 0.5, unrelated entity pairs included: :func:`dev_pairs`) and the best
step is kept as ``relations.safetensors`` in the run folder; copy it into a model folder to use
it. A run killed midway resumes from its checkpoint.

    python -m seqgpt.train.relations --out runs/relations --steps 1500 --bfloat16
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from seqgpt.data import compose, registry
from seqgpt.data.instance import AtomicInstance
from seqgpt.data.mixture import evaluation_split
from seqgpt.evaluate.metrics import set_counts
from seqgpt.model.relations import RELATIONS, RelationReader, statement
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

TRAIN_DATA = ("semeval2010_task8", "conll04_re", "ade_re", "duie2_sample", "duie2_more", "finre",
              "chinese_literature_ner_re/relation_extraction")
DEV_DATA = ("fewrel",)
#: Relations that hold both ways: their reversed pair is not a negative.
SYMMETRIC = frozenset({"亲属", "社会关系", "邻近"})
#: English names of Chinese relation names: DuIE's predicates (subject -> object) translated,
#: and the literature corpus's own English relation names.
ENGLISH = {
    "毕业院校": "graduated from", "嘉宾": "guest", "配音": "voices", "主题曲": "theme song",
    "代言人": "spokesperson", "所属专辑": "album", "父亲": "father", "作者": "author",
    "上映时间": "release date", "母亲": "mother", "专业代码": "major code",
    "占地面积": "land area", "邮政编码": "postal code", "票房": "box office",
    "注册资本": "registered capital", "主角": "protagonist", "妻子": "wife",
    "编剧": "screenwriter", "气候": "climate", "歌手": "singer", "获奖": "award won",
    "校长": "principal", "创始人": "founder", "首都": "capital", "丈夫": "husband",
    "朝代": "dynasty", "饰演": "plays the role of", "面积": "area",
    "总部地点": "headquarters location", "祖籍": "ancestral home", "人口数量": "population",
    "制片人": "producer", "修业年限": "years of study", "所在城市": "city",
    "董事长": "chairman", "作词": "lyricist", "改编自": "adapted from",
    "出品公司": "production company", "导演": "director", "作曲": "composer",
    "主演": "starring", "主持人": "host", "成立日期": "founding date", "简称": "short name",
    "海拔": "elevation", "号": "courtesy name", "国籍": "nationality",
    "官方语言": "official language",
    "位于": "located", "部分与整体": "part-whole", "亲属": "family",
    "一般与特殊": "general-special", "社会关系": "social", "拥有": "ownership", "使用": "use",
    "创造": "create", "邻近": "near",
}


#: Unrelated entity pairs per dev sentence of a fully annotated set (see :func:`dev_pairs`).
DEV_UNRELATED = 6


@dataclass
class RelationArgs(ReaderArgs):
    batch_size: int = 8
    lr: float = 1e-4
    negatives: int = 3
    english_rate: float = 0.5
    per_dataset: int = 8000
    unrelated_pairs: int = 0
    save_every: int = 400


@dataclass(frozen=True)
class Pair:
    """One directed pair of a relation text, its dataset's relation names and the gold ones."""

    sentence: str
    head: str
    tail: str
    labels: tuple[str, ...]
    gold: frozenset[str]
    dataset: str


@dataclass(frozen=True)
class Question:
    """One pair of one sentence and the statements asked about it (``statement(head, relation
    name, tail)``, the first the relation that holds where one does)."""

    sentence: str
    claims: tuple[str, ...]
    holds: tuple[bool, ...]
    dataset: str


def relation_pairs(instances: list[AtomicInstance]) -> list[Pair]:
    """The classify instances among ``instances`` whose text is a relation text
    (``compose.relation_text``), as pairs."""
    out = []
    for i in instances:
        parts = compose.split_relation_text(i.text) if i.task == "classify" else None
        if parts is not None:
            out.append(Pair(*parts, tuple(i.labels), frozenset(i.gold), i.dataset))
    return out


def unrelated_pairs(instances: list[AtomicInstance], pairs: list[Pair], per_sentence: int,
                    seed: int = 0) -> list[Pair]:
    """Up to ``per_sentence`` directed pairs of each fully annotated sentence's entities (its
    extract instance, not ``meta["partial"]``) that ``pairs`` hold neither way round, a seeded
    sample; labels = the relation names of the sentence's dataset in ``pairs``."""
    rng = random.Random(seed)
    labels = {p.dataset: p.labels for p in pairs}
    asked = {(p.dataset, p.sentence, p.head, p.tail) for p in pairs}
    out = []
    for i in instances:
        if i.task != "extract" or i.meta.get("partial") or i.dataset not in labels:
            continue
        names = sorted({s.text for s in i.spans if s.text})
        candidates = [(h, t) for h in names for t in names if h != t
                      and (i.dataset, i.text, h, t) not in asked
                      and (i.dataset, i.text, t, h) not in asked]
        for h, t in rng.sample(candidates, min(per_sentence, len(candidates))):
            out.append(Pair(i.text, h, t, labels[i.dataset], frozenset(), i.dataset))
    return out


def training_questions(pairs: list[Pair], args: RelationArgs) -> list[Question]:
    """The questions of the module docstring, at most ``args.per_dataset`` per dataset (a
    seeded sample)."""
    rng = random.Random(args.seed)
    known = {(p.dataset, p.sentence, p.head, p.tail) for p in pairs}

    def claim(head: str, label: str, tail: str) -> str:
        name = ENGLISH.get(label, label) if rng.random() < args.english_rate else label
        return statement(head, name, tail)

    by_dataset: dict[str, list[Question]] = {}
    for pair in pairs:
        questions = by_dataset.setdefault(pair.dataset, [])
        others = [label for label in pair.labels if label not in pair.gold]
        reverse = (pair.dataset, pair.sentence, pair.tail, pair.head) not in known
        held: list[str | None] = [*sorted(pair.gold)] or [None]  # None: an unrelated pair
        for label in held:
            wrong = rng.sample(others, min(args.negatives, len(others)))
            claims = [claim(pair.head, name, pair.tail) for name in wrong]
            if label is not None:
                claims.insert(0, claim(pair.head, label, pair.tail))
                if reverse and label not in SYMMETRIC:
                    claims.append(claim(pair.tail, label, pair.head))
            if claims:
                holds = tuple(label is not None and n == 0 for n in range(len(claims)))
                questions.append(Question(pair.sentence, tuple(claims), holds, pair.dataset))
    out = []
    for questions in by_dataset.values():
        out += rng.sample(questions, min(args.per_dataset, len(questions)))
    return out


def train(questions: list[Question], out: Path, args: RelationArgs,
          evaluate: Callable[[RelationReader], float] | None = None) -> Path:
    """Train on ``questions``; keep the best-scoring step (``evaluate``, higher is better) as
    ``out/relations.safetensors``; resume from ``out``'s checkpoint if there is one."""
    torch.manual_seed(args.seed)
    model = reader_model(RelationReader, args)

    def batch_loss(batch: list[int]) -> torch.Tensor:
        items = [questions[n] for n in batch]
        inputs = model.encode([q.sentence for q in items for _ in q.claims],
                              [c for q in items for c in q.claims])
        with torch.autocast("cpu", torch.bfloat16, enabled=args.bfloat16):
            logits = model(**inputs).float()
        targets = torch.tensor([float(h) for q in items for h in q.holds])
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, targets)
        ranked = [-row.log_softmax(0)[0] for q, row in
                  zip(items, logits.split([len(q.claims) for q in items]), strict=True)
                  if q.holds[0]]
        return loss + torch.stack(ranked).mean() if ranked else loss

    return train_reader(model, out, args, len(questions), batch_loss,
                        (lambda: evaluate(model)) if evaluate else None,
                        best=RELATIONS, checkpoint=_CHECKPOINT, rate_name="questions_per_s")


_CHECKPOINT = "relations_checkpoint.pt"


def scores(model: RelationReader, pairs: list[Pair], bfloat16: bool = False) -> dict[str, float]:
    """Per dataset: the accuracy of the best-scoring name where every pair has exactly one
    gold relation (a pair-given set like FewRel), else the micro F1 of the (pair, relation)
    decisions at 0.5."""
    by_dataset: dict[str, list[Pair]] = {}
    for pair in pairs:
        by_dataset.setdefault(pair.dataset, []).append(pair)
    out = {}
    for name, chosen in by_dataset.items():
        labels = list(chosen[0].labels)
        probs = model.probabilities([(p.sentence, p.head, p.tail) for p in chosen], labels,
                                    bfloat16=bfloat16)
        if all(len(p.gold) == 1 for p in chosen):
            hits = [labels[int(row.argmax())] in pair.gold
                    for pair, row in zip(chosen, probs, strict=True)]
            out[name] = 100 * sum(hits) / len(hits)
            continue
        said = {(n, labels[k]) for n, row in enumerate(probs.tolist())
                for k, p in enumerate(row) if p >= 0.5}
        gold = {(n, label) for n, p in enumerate(chosen) for label in p.gold}
        out[name] = 100 * set_counts(said, gold).f1
    return out


def dev_pairs(zero_shot: list[str], trained: list[str], limit: int) -> list[Pair]:
    """Selection splits of the zero-shot ``zero_shot`` sets and the dev splits of the
    ``trained`` sets that have one besides their evaluation split, ``limit`` seeded pairs
    each; a fully annotated set's sampled sentences also ask up to :data:`DEV_UNRELATED` of
    their unrelated entity pairs, as ``relations()`` does with every pair it finds (the
    catalogue's two per sentence made a reader that said yes to co-occurrence look precise)."""
    from seqgpt.evaluate.runner import sample
    from seqgpt.train.devset import selection_instances

    chosen = relation_pairs(selection_instances(zero_shot, limit, 0)) if zero_shot else []
    for name in trained:
        split = _dev_split(name)
        if split is not None:
            instances = list(registry.read(name, split))
            pairs = relation_pairs(sample([i for i in instances if i.task == "classify"],
                                          limit, 0, name))
            sentences = {p.sentence for p in pairs}
            chosen += pairs + unrelated_pairs(
                [i for i in instances if i.text in sentences], relation_pairs(instances),
                DEV_UNRELATED)
    return chosen


def _train_split(name: str) -> str:
    """``train``, or where a set has none, its split that is neither evaluated nor dev."""
    spec = registry.get(name)
    if "train" in spec.splits:
        return "train"
    report = evaluation_split(spec)
    return next(s for s in spec.splits if s != report)


def _dev_split(name: str) -> str | None:
    """The split of a set with training data that is neither trained on nor evaluated."""
    spec = registry.get(name)
    others = [s for s in spec.splits if s != "train"]
    if "train" not in spec.splits or not others:
        return None
    report = evaluation_split(spec)
    return next((s for s in others if s != report), None)


_HELP = reader_help(
    "questions (pairs)", negatives="wrong relation names asked per pair",
    english_rate="share of Chinese relation names shown in English",
    per_dataset="most questions kept per dataset",
    unrelated_pairs="more unrelated entity pairs asked per fully annotated sentence")


def main() -> int:
    parser, raw, args = reader_command(
        __doc__, RelationArgs(), _HELP, data=",".join(TRAIN_DATA),
        data_help="relation datasets of ../shared/data (their train splits, or the split "
                  "neither evaluated nor dev) or JSONL files in the format `seqgpt eval` reads, "
                  "comma-separated",
        out_file=RELATIONS, dev=",".join(DEV_DATA),
        dev_help="zero-shot dev relation datasets whose selection splits (with the dev splits "
                 "of the --data sets) pick the best step",
        dev_limit=150, dev_unit="pairs")
    instances, names = data_sources(parser, raw.data)
    instances += [i for name in names for i in registry.read(name, _train_split(name))]
    pairs = relation_pairs(instances)
    pairs += unrelated_pairs(instances, pairs, args.unrelated_pairs, args.seed)
    questions = training_questions(pairs, args)
    if not questions:
        parser.error(f"--data {raw.data!r} holds no relation texts (classify instances whose "
                     "text ends in a line 'head -> tail')")
    dev = dev_pairs([n for n in raw.dev.split(",") if n], names, raw.dev_limit)
    print(f"{len(questions)} training questions, {len(dev)} dev pairs", file=sys.stderr)
    out = start_run(raw.out, [q.dataset for q in questions])
    evaluate = dev_logger(out, lambda model: scores(model, dev, args.bfloat16))
    train(questions, out, args, evaluate if dev else None)
    return 0


if __name__ == "__main__":
    sys.exit(cli(main))
