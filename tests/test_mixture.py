"""The training mixture builder and `seqgpt data`, on small synthetic datasets."""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from seqgpt import prompt
from seqgpt.data import command, mixture, registry
from seqgpt.data.instance import AtomicInstance
from seqgpt.data.registry import DatasetSpec
from seqgpt.types import SeqGPTError, Span

READS: list[tuple[str, str]] = []


def ner_reader(spec: DatasetSpec, root: Path, split: str) -> Iterator[AtomicInstance]:
    """300 sentences: 250 with a person only, 30 with a person and a city, 20 with nothing."""
    READS.append((spec.name, split))
    labels = list(spec.options["labels"])
    person, city = labels[0], labels[1]
    for i in range(300):
        name, place = f"P{i}", f"C{i}"
        text = f"{name} lives in {place} ." if 250 <= i < 280 else f"{name} is here ."
        spans = [Span(person, name, 0, len(name))]
        if 250 <= i < 280:
            spans.append(Span(city, place, text.index(place), text.index(place) + len(place)))
        if i >= 280:
            text, spans = f"nothing {i} here .", []
        yield AtomicInstance(text=text, task="extract", labels=labels, dataset=spec.name,
                             split=split, language=spec.language, spans=spans)


def cls_reader(spec: DatasetSpec, root: Path, split: str) -> Iterator[AtomicInstance]:
    READS.append((spec.name, split))
    labels = list(spec.options["labels"])
    for i in range(120):
        yield AtomicInstance(text=f"text number {i}", task="classify", labels=labels,
                             dataset=spec.name, split=split, language=spec.language,
                             gold=[labels[i % len(labels)]])


def slot_reader(spec: DatasetSpec, root: Path, split: str) -> Iterator[AtomicInstance]:
    """Utterances with 8 slot types (so prompts get chunked) and an intent each."""
    READS.append((spec.name, split))
    slots = ["artist", "playlist", "album", "genre", "track", "year", "service", "sort"]
    for i in range(40):
        word = f"w{i}"
        text = f"play {word} now"
        yield AtomicInstance(text=text, task="extract", labels=slots, dataset=spec.name,
                             split=split, language="en",
                             spans=[Span(slots[i % 8], word, 5, 5 + len(word))])
        yield AtomicInstance(text=text, task="classify", labels=["PlayMusic", "AddToPlaylist"],
                             dataset=spec.name, split=split, language="en",
                             gold=["PlayMusic" if i % 2 else "AddToPlaylist"])


def spec(name: str, reader, kind: str, language: str = "en", labels: tuple[str, ...] = (),
         splits: tuple[str, ...] = ("train", "test")) -> DatasetSpec:
    return DatasetSpec(name=name, language=language, kind=kind,
                       files={split: (f"{name}/{split}",) for split in splits}, reader=reader,
                       options={"labels": labels})


NER = spec("toy_ner", ner_reader, "ner", labels=("person", "city"))
NER2 = spec("toy_ner2", ner_reader, "ner", labels=("person", "disease"),
            splits=("devel", "test"))
NER_ZH = spec("toy_ner_zh", ner_reader, "ner", "zh", labels=("人名", "地名"))
NER_ZH2 = spec("toy_ner_zh2", ner_reader, "ner", "zh", labels=("机构", "职位"))
SENTIMENT = spec("toy_sentiment", cls_reader, "cls", labels=("positive", "negative"))
TOPIC = spec("toy_topic", cls_reader, "cls", labels=("sports", "business", "world news"))
SLOTS = spec("toy_slots", slot_reader, "slot")
ALL = [NER, NER2, NER_ZH, NER_ZH2, SENTIMENT, TOPIC, SLOTS]


def build(stage: str = "finetune", seed: int = 0, **quotas: int) -> mixture.Mixture:
    base = vars(mixture.STAGES[stage])
    return mixture.build(ALL, stage, seed=seed, quotas=mixture.Quotas(**{**base, **quotas}),
                         root=Path("."))


def originals(instance: AtomicInstance) -> list[str]:
    return [label for label in instance.labels if label not in instance.meta["negatives"]]


def test_same_seed_same_mixture_other_seed_other_mixture() -> None:
    first = [i.to_dict() for i in build(seed=3).instances]
    assert first == [i.to_dict() for i in build(seed=3).instances]
    assert first != [i.to_dict() for i in build(seed=4).instances]


def test_quotas_per_dataset_and_primary_label() -> None:
    kept = [i for i in build(per_label=40, per_dataset=100).instances if i.dataset == "toy_ner"]
    kinds = Counter("none" if not i.spans else "city" if len(i.spans) == 2 else "person"
                    for i in kept)
    # City is the rarer label, so all 30 person+city sentences are the city bucket (30 <= 40);
    # person-only sentences stop at 40; the 20 empty ones are a bucket of their own.
    assert kinds == {"person": 40, "city": 30, "none": 20}
    capped = [i for i in build(per_label=40, per_dataset=50).instances if i.dataset == "toy_ner"]
    assert len(capped) == 50
    topic = Counter(i.gold[0] for i in build(per_label=7).instances if i.dataset == "toy_topic")
    assert topic == {"sports": 7, "business": 7, "world news": 7}


def test_negatives_are_added_unrelated_and_never_gold() -> None:
    built = build()
    pools = {(i.language, i.task): set() for i in built.instances}
    for instance in built.instances:
        pools[(instance.language, instance.task)].update(originals(instance))
    for instance in built.instances:
        negatives = instance.meta["negatives"]
        # the intents of toy_slots are the only "slot" classification labels: no pool
        lonely = instance.dataset == "toy_slots" and instance.task == "classify"
        assert len(negatives) == 0 if lonely else 1 <= len(negatives) <= 3, instance
        gold = instance.gold if instance.task == "classify" else [s.label for s in instance.spans]
        assert not set(negatives) & set(gold)
        assert len(set(instance.labels)) == len(instance.labels)
        for negative in negatives:
            assert negative in pools[(instance.language, instance.task)]  # same language/task
            assert not any(mixture.related(negative, own) for own in originals(instance))
        instance.check()
    ner = [i for i in built.instances if i.dataset == "toy_ner"]
    # "person" is annotated by two English datasets: too generic to be anyone's negative
    assert all("person" not in i.meta["negatives"] for i in built.instances)
    assert {n for i in ner for n in i.meta["negatives"]} <= {"disease", "artist", "playlist",
                                                             "album", "genre", "track", "year",
                                                             "service", "sort"}
    sentiment = {n for i in built.instances if i.dataset == "toy_sentiment"
                 for n in i.meta["negatives"]}
    assert sentiment == {"sports", "business", "world news"}   # same kind (cls) only
    zh = [i for i in built.instances if i.language == "zh"]
    assert {n for i in zh for n in i.meta["negatives"]} <= {"人名", "地名", "机构", "职位"}


def test_questions_and_roles_get_no_outside_negatives() -> None:
    mrc = spec("toy_mrc", ner_reader, "mrc", labels=("who lives there?", "where?"))
    built = mixture.build([NER, NER2, mrc], "finetune", root=Path("."))
    questions = [i for i in built.instances if i.dataset == "toy_mrc"]
    assert questions and all(i.meta["negatives"] == [] for i in questions)
    assert all("where?" not in i.labels for i in built.instances if i.dataset != "toy_mrc")


def test_label_order_is_shuffled() -> None:
    orders = {tuple(originals(i)) for i in build().instances if i.dataset == "toy_topic"}
    assert len(orders) > 1


def test_related_labels() -> None:
    assert mixture.related("person", "person-athlete")
    assert mixture.related("Cities", "fromloc.city_name")
    assert mixture.related("timeRange", "time")
    assert mixture.related("人名", "人名称")
    assert not mixture.related("person", "location")
    assert not mixture.related("address", "dress")
    assert not mixture.related("人名", "地名")


def test_zero_shot_datasets_are_refused_and_never_read() -> None:
    READS.clear()
    dev = spec("wnut17", ner_reader, "ner", labels=("person", "group"))
    with pytest.raises(mixture.MixtureError, match="wnut17: zero-shot dev"):
        mixture.build([NER, dev], "finetune", root=Path("."))
    sub = spec("fewclue/iflytek", cls_reader, "cls", "zh", labels=("a", "b"))
    with pytest.raises(mixture.MixtureError, match="fewclue/iflytek"):
        mixture.build([sub], "pretrain", root=Path("."))
    assert READS == []


def test_only_training_splits_are_read() -> None:
    READS.clear()
    build()
    assert ("toy_ner", "train") in READS and ("toy_ner2", "devel") in READS
    assert not [read for read in READS if read[1] == "test"]
    several = spec("toy_parts", ner_reader, "ner",
                   splits=("train_base", "train_trans", "dev_trans"))
    assert mixture.training_splits(several) == ["train_base", "train_trans"]
    assert mixture.evaluation_split(several) == "dev_trans"
    sections = spec("btc", ner_reader, "ner", splits=tuple("abefgh"))
    assert mixture.evaluation_split(sections) == "h"                  # an explicit override
    assert mixture.training_splits(sections) == list("abefg")


def test_a_single_split_is_partitioned_by_a_hash_of_the_text() -> None:
    unsplit = spec("toy_all", ner_reader, "ner", labels=("a", "b"), splits=("all",))
    assert mixture.single_split(unsplit) and mixture.training_splits(unsplit) == ["all"]
    assert mixture.evaluation_split(unsplit) == "all"
    every = list(ner_reader(unsplit, Path("."), "all"))
    held = [i for i in every if mixture.held_out(i)]
    assert 10 <= len(held) <= 50                      # about 10 % of 300
    built = mixture.build([unsplit], "finetune", root=Path("."),
                          quotas=mixture.Quotas(per_dataset=1000, per_label=1000, max_negatives=0))
    assert len(built.instances) == len(every) - len(held)
    assert not any(mixture.held_out(i) for i in built.instances)
    only_train = spec("toy_train", ner_reader, "ner", splits=("train",))
    assert not mixture.single_split(only_train)
    with pytest.raises(mixture.MixtureError, match="only training data"):
        mixture.evaluation_split(only_train)


def test_partially_annotated_data_gets_no_outside_negatives() -> None:
    fewnerd = spec("fewnerd_inter_devtest", ner_reader, "ner", labels=("art-painting", "event"),
                   splits=("dev", "test"))
    built = mixture.build([NER, fewnerd], "finetune", root=Path("."))
    partial = [i for i in built.instances if i.dataset == "fewnerd_inter_devtest"]
    assert partial and all(i.meta["negatives"] == [] for i in partial)
    assert all(set(i.labels) == {"art-painting", "event"} for i in partial)


def test_pretrain_asks_for_present_types_and_every_label_set() -> None:
    built = build("pretrain")
    extract = [i for i in built.instances if i.task == "extract"]
    assert extract and all(i.spans for i in extract)
    for instance in extract:
        assert set(originals(instance)) == {s.label for s in instance.spans}
    assert {i.dataset for i in built.instances if i.task == "classify"} == {
        "toy_sentiment", "toy_topic", "toy_slots"}


def test_prompt_format_matches_render_and_chunks_extraction(tmp_path: Path) -> None:
    built = build()
    path = tmp_path / "mix.jsonl"
    lines = mixture.write(built, path, "prompt")
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(records) == lines
    expected = []
    for instance in built.instances:
        for chunk in prompt.chunk_labels(instance.labels, instance.task):
            expected.append(prompt.render(instance.text, chunk, instance.task))
    assert [r["prompt"] for r in records] == expected
    slot = next(i for i in built.instances if i.dataset == "toy_slots" and i.task == "extract")
    assert len(slot.labels) > 6                                   # 8 slots + negatives
    pairs = list(mixture.prompt_records(slot))
    assert len(pairs) == 2
    label = slot.spans[0].label
    chunk = next(p for p in pairs if f"{label}: " in p["answer"])
    assert f"{label}: {slot.spans[0].text}" in chunk["answer"].splitlines()
    assert all(line.endswith(": None") for p in pairs for line in p["answer"].splitlines()
               if not line.startswith(f"{label}: "))


def test_atomic_format_round_trips(tmp_path: Path) -> None:
    built = build()
    path = tmp_path / "mix.jsonl"
    mixture.write(built, path, "atomic")
    back = [AtomicInstance.from_dict(json.loads(line))
            for line in path.read_text(encoding="utf-8").splitlines()]
    assert back == built.instances


@pytest.fixture
def fake_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    specs = {s.name: s for s in [*ALL, spec("wnut17", ner_reader, "ner", labels=("x", "y"))]}

    def get(name: str) -> DatasetSpec:
        if name not in specs:
            raise registry.UnknownDatasetError(f"unknown dataset {name!r}")
        return specs[name]

    monkeypatch.setattr(registry, "get", get)
    monkeypatch.setattr(registry, "names", lambda: sorted(specs))
    monkeypatch.setattr(registry, "data_root", lambda: Path("."))


def data_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    command.add_parser(parser.add_subparsers())
    return parser.parse_args(["data", *argv])


def test_build_command(fake_registry: None, tmp_path: Path,
                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "pt.jsonl"
    READS.clear()
    args = data_args("build", "--stage", "pretrain", "-o", str(out), "--format", "prompt")
    assert args.func(args) == 0
    assert all(name != "wnut17" for name, _ in READS)
    err = capsys.readouterr().err
    assert "not used (zero-shot dev): wnut17" in err and "toy_slots" in err
    first = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert set(first) == {"prompt", "answer"} and first["prompt"].startswith("输入: ")
    args = data_args("build", "--stage", "finetune", "-o", str(out), "--data", "toy_ner,wnut17")
    with pytest.raises(SeqGPTError, match="wnut17: zero-shot dev"):
        args.func(args)
    args = data_args("build", "--stage", "finetune", "-o", str(out), "--per-label", "0")
    with pytest.raises(SeqGPTError, match="--per-label must be >= 1"):
        args.func(args)
    args = data_args("build", "--stage", "finetune", "-o", str(tmp_path / "no" / "x.jsonl"))
    with pytest.raises(SeqGPTError, match="does not exist"):
        args.func(args)


def test_stats_command(fake_registry: None, capsys: pytest.CaptureFixture[str]) -> None:
    args = data_args("stats", "--data", "toy_slots,toy_ner2,wnut17")
    assert args.func(args) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert rows[0] == ["dataset", "language", "task", "split", "instances", "labels", "use"]
    assert ["toy_slots", "en", "classify", "train", "40", "2", "train"] in rows
    assert ["toy_slots", "en", "extract", "test", "40", "8", "eval"] in rows
    assert ["toy_ner2", "en", "extract", "devel", "300", "2", "train"] in rows
    assert ["wnut17", "en", "extract", "test", "300", "2", "zero-shot"] in rows


def _shared_data() -> Path | None:
    try:
        root = registry.data_root()
    except SeqGPTError:
        return None
    return root if (root / "MANIFEST.md").is_file() else None


needs_data = pytest.mark.skipif(_shared_data() is None, reason="shared data folder not found")


def test_every_registered_dataset_has_a_split_plan() -> None:
    """No training split is ever the evaluation split; every zero-shot set is registered."""
    names = registry.names()
    assert registry.ZERO_SHOT_DEV <= set(names)
    for name in names:
        spec = registry.get(name)
        trains = mixture.training_splits(spec)
        assert trains and set(trains) <= set(spec.splits), name
        try:
            held = mixture.evaluation_split(spec)
        except mixture.MixtureError:
            assert all(split.startswith("train") for split in spec.splits), name
            continue
        assert held in spec.splits, name
        assert held not in trains or mixture.single_split(spec), name


@needs_data
def test_real_datasets_mix_and_match_the_upstream_prompt(tmp_path: Path) -> None:
    specs = [registry.get(name) for name in ("fewclue/eprstmt", "dstc8_span/Homes_1",
                                             "dstc8_span/Buses_1", "wikigold")]
    built = mixture.build(specs, "finetune", seed=0)
    kept = {s.dataset: (s.read, s.kept) for s in built.selections}
    assert kept["fewclue/eprstmt"] == (160, 160)         # under every cap: all of it
    # Homes_1 has 2 slot types: at most 250 per primary label (+ 250 without a slot)
    assert kept["dstc8_span/Homes_1"][1] <= 3 * 250 < kept["dstc8_span/Homes_1"][0]
    assert not any(i.split == "test" for i in built.instances)
    assert not any(mixture.held_out(i) for i in built.instances if i.dataset == "wikigold")
    for instance in built.instances:
        instance.check()
        assert not set(instance.meta["negatives"]) & {s.label for s in instance.spans}
    path = tmp_path / "prompts.jsonl"
    mixture.write(built, path, "prompt")
    first = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    instance = built.instances[0]
    chunk = prompt.chunk_labels(instance.labels, instance.task)[0]
    assert first["prompt"] == prompt.render(instance.text, chunk, instance.task)
    assert first["answer"] == mixture.answer_text(instance, chunk)
