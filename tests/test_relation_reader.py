"""The relation reader: which texts it answers, the rows its trainer builds, how a model folder
carries it, and how classify and ``relations()`` hand it their pairs."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from shared_data import needs_data

from seqgpt.api import Model
from seqgpt.backends.compact import CompactBackend, save
from seqgpt.data import compose
from seqgpt.data.instance import AtomicInstance
from seqgpt.model.relations import RELATIONS, RelationReader, statement
from seqgpt.train import relations
from seqgpt.types import SeqGPTError, Span

SENTENCE = "Marie Curie was born in Warsaw."


def test_split_relation_text_inverts_relation_text() -> None:
    text = compose.relation_text(SENTENCE, "Marie Curie", "Warsaw")
    assert compose.split_relation_text(text) == (SENTENCE, "Marie Curie", "Warsaw")
    assert compose.split_relation_text(SENTENCE) is None
    assert compose.split_relation_text(f"{SENTENCE}\nthe weather") is None
    # both mentions must be in the sentence: a last line of arrows alone is not a pair
    assert compose.split_relation_text(f"{SENTENCE}\nParis -> Warsaw") is None
    assert compose.split_relation_text("\nMarie -> Curie") is None


def _instance(head: str, tail: str, gold: list[str], labels: list[str],
              dataset: str = "conll04_re", sentence: str = SENTENCE) -> AtomicInstance:
    return AtomicInstance(text=compose.relation_text(sentence, head, tail), task="classify",
                          labels=labels, dataset=dataset, split="train", language="en",
                          gold=gold)


def test_questions_ask_wrong_names_the_reverse_and_unrelated_pairs() -> None:
    labels = ["born in", "lives in", "works for", "kills"]
    pairs = relations.relation_pairs([
        _instance("Marie Curie", "Warsaw", ["born in"], labels),
        _instance("Warsaw", "Marie", [], labels),
        AtomicInstance(text=SENTENCE, task="classify", labels=labels, dataset="conll04_re",
                       split="train", language="en", gold=[])])  # not a relation text
    assert [(p.head, p.tail, p.gold) for p in pairs] == [
        ("Marie Curie", "Warsaw", frozenset({"born in"})), ("Warsaw", "Marie", frozenset())]
    args = relations.RelationArgs(negatives=2, english_rate=0.0)
    questions = relations.training_questions(pairs, args)  # a seeded sample: any order
    [related] = [q for q in questions if any(q.holds)]
    [unrelated] = [q for q in questions if not any(q.holds)]
    assert related.claims[0] == statement("Marie Curie", "born in", "Warsaw")
    assert related.claims[-1] == statement("Warsaw", "born in", "Marie Curie")  # the reverse
    assert len(related.claims) == 4 and related.holds == (True, False, False, False)
    assert all(c.startswith("Marie Curie | ") for c in related.claims[1:3])
    assert "born in" not in " ".join(related.claims[1:3])
    assert len(unrelated.claims) == 2 and not any(unrelated.holds)
    assert all(c.startswith("Warsaw | ") and c.endswith("| Marie") for c in unrelated.claims)


def test_a_reverse_the_data_relates_or_a_symmetric_relation_is_no_negative() -> None:
    labels = ["亲属", "父亲"]
    sentence = "张三和李四是兄弟。"
    pairs = relations.relation_pairs([
        _instance("张三", "李四", ["亲属"], labels, "duie2_sample", sentence),
        _instance("李四", "王五", ["父亲"], labels, "duie2_sample", sentence + "王五"),
        _instance("王五", "李四", ["亲属"], labels, "duie2_sample", sentence + "王五")])
    args = relations.RelationArgs(negatives=0, english_rate=1.0)
    assert {q.claims for q in relations.training_questions(pairs, args)} == {
        (statement("张三", "family", "李四"),),  # its reverse: family is symmetric
        (statement("李四", "father", "王五"),),  # its reverse is annotated (family)
        (statement("王五", "family", "李四"),)}


def test_questions_keep_at_most_per_dataset() -> None:
    labels = ["born in", "lives in"]
    pairs = relations.relation_pairs([_instance("Marie Curie", "Warsaw", ["born in"], labels),
                                      _instance("Warsaw", "Marie", [], labels)])
    assert len(relations.training_questions(pairs, relations.RelationArgs(per_dataset=1))) == 1


def test_unrelated_pairs_come_from_fully_annotated_sentences_only() -> None:
    labels = ["born in", "lives in"]
    sentence = "Marie Curie met Pierre in Warsaw."
    entities = [Span("person", "Marie Curie", 0, 11), Span("person", "Pierre", 16, 22),
                Span("location", "Warsaw", 26, 32)]
    instances = [_instance("Marie Curie", "Warsaw", ["born in"], labels, sentence=sentence),
                 AtomicInstance(text=sentence, task="extract", labels=["person", "location"],
                                dataset="conll04_re", split="train", language="en",
                                spans=entities)]
    pairs = relations.relation_pairs(instances)
    extra = relations.unrelated_pairs(instances, pairs, per_sentence=10)
    # every ordered pair but the related one and its reverse, asked the dataset's names
    assert sorted((p.head, p.tail) for p in extra) == [
        ("Marie Curie", "Pierre"), ("Pierre", "Marie Curie"), ("Pierre", "Warsaw"),
        ("Warsaw", "Pierre")]
    assert all(p.gold == frozenset() and p.labels == tuple(labels) for p in extra)
    assert len(relations.unrelated_pairs(instances, pairs, per_sentence=1)) == 1
    partial = replace(instances[1], meta={"partial": True})  # unlisted spans are unknown
    assert relations.unrelated_pairs([instances[0], partial], pairs, per_sentence=10) == []


@needs_data
def test_dev_pairs_of_a_joint_set_ask_unrelated_pairs_and_never_a_related_one() -> None:
    from seqgpt.data import registry

    pairs = relations.dev_pairs([], ["conll04_re"], limit=20)
    related = {(p.sentence, p.head, p.tail) for p in relations.relation_pairs(
        list(registry.read("conll04_re", "valid"))) if p.gold}
    unrelated = [p for p in pairs if not p.gold]
    assert len(pairs) > 20 and len({p.sentence for p in pairs}) <= 20
    assert not any((p.sentence, p.head, p.tail) in related for p in unrelated)
    assert max(sum(p.sentence == s for p in unrelated) for s in {p.sentence for p in pairs}) \
        <= relations.DEV_UNRELATED + 2  # the catalogue's two negatives, when sampled


class _Fixed:
    """A stand-in reader whose probabilities are given."""

    def __init__(self, probs: list[list[float]]) -> None:
        self.probs = torch.tensor(probs)

    def probabilities(self, pairs: list, labels: list, bfloat16: bool = False) -> torch.Tensor:
        return self.probs[:len(pairs)]


def test_dev_scores_accuracy_for_pair_given_sets_f1_for_the_others() -> None:
    one = [relations.Pair(SENTENCE, "Marie Curie", "Warsaw", ("a", "b"), frozenset({g}), "fewrel")
           for g in ("a", "b")]
    assert relations.scores(_Fixed([[0.9, 0.2], [0.8, 0.3]]), one) == {"fewrel": 50.0}
    many = [relations.Pair(SENTENCE, "Marie Curie", "Warsaw", ("a", "b"), frozenset(g), "ade")
            for g in ({"a"}, set())]
    # said: (0, a), (1, b); gold: (0, a) -> P 1/2, R 1/1
    assert relations.scores(_Fixed([[0.9, 0.2], [0.1, 0.6]]), many) == {
        "ade": pytest.approx(200 / 3)}


@pytest.fixture(scope="module")
def reader() -> RelationReader:
    torch.manual_seed(0)
    model = RelationReader.pretrained(train_layers=1)
    with torch.no_grad():  # a head that is not flat, so the names differ
        model.head.weight.normal_(0, 1.0)
    return model.eval()


def test_state_round_trip_gives_the_same_probabilities(reader: RelationReader) -> None:
    state = reader.trained_state()
    assert state and all(k.startswith(("head.", "encoder.encoder.layer.11.")) for k in state)
    pairs = [(SENTENCE, "Marie Curie", "Warsaw"), ("张三生于北京。", "张三", "北京")]
    probs = reader.probabilities(pairs, ["born in", "kills", "出生地"])
    assert probs.shape == (2, 3) and bool(((probs > 0) & (probs < 1)).all())
    # each row is read alone: a name's score does not depend on the others asked
    alone = reader.probabilities(pairs[:1], ["kills"])
    assert alone[0, 0] == pytest.approx(float(probs[0, 1]), abs=1e-5)
    again = RelationReader.from_state(state)
    assert torch.allclose(again.probabilities(pairs, ["born in", "kills", "出生地"]), probs,
                          atol=1e-5)
    with pytest.raises(SeqGPTError, match="not a RelationReader state"):
        RelationReader.from_state({"x": torch.zeros(1)})


def test_classify_and_relations_hand_pairs_to_the_reader(reader: RelationReader,
                                                         tmp_path: Path) -> None:
    from seqgpt.api import DEFAULT_MODEL

    backend = CompactBackend.from_folder(DEFAULT_MODEL)
    backend.model.relations_state = {k: v.half() for k, v in reader.trained_state().items()}
    save(backend.model, tmp_path / "with_relations")
    assert (tmp_path / "with_relations" / RELATIONS).is_file()
    nlu = Model(CompactBackend.from_folder(tmp_path / "with_relations"))
    labels = ["born in", "works for"]
    expected = nlu.backend.relations.probabilities([(SENTENCE, "Marie Curie", "Warsaw")],
                                                   labels)[0].tolist()
    text = compose.relation_text(SENTENCE, "Marie Curie", "Warsaw")
    alone = nlu.classify(text, labels, similarity_weight=0.0)
    assert alone.scores == pytest.approx(dict(zip(labels, expected, strict=True)), abs=1e-4)
    assert alone.labels == [labels[expected.index(max(expected))]]
    # relation_threshold moves the reader's decision point: that probability reads as 0.5
    point = sum(expected) / 2
    shifted = nlu.classify(text, labels, multi_label=True, threshold=0.5,
                           relation_threshold=point)
    logit = torch.logit(torch.tensor([*expected, point], dtype=torch.float64))
    moved = (logit[:2] - logit[2]).sigmoid().tolist()
    assert shifted.scores == pytest.approx(dict(zip(labels, moved, strict=True)), abs=1e-3)
    assert shifted.labels == [labels[expected.index(max(expected))]]
    assert nlu.classify(text, labels, relation_threshold=point).labels == alone.labels
    with pytest.raises(SeqGPTError, match="relation_threshold must be a number in"):
        nlu.classify(text, labels, relation_threshold=1.5)
    # single-label with a blend weight (the default model's is 0.8): blended with the sentence
    # encoder like the head, a distribution over the labels
    single = nlu.classify(text, labels, similarity_weight=0.8)
    assert sum(single.scores.values()) == pytest.approx(1.0, abs=1e-3)
    assert single.scores != pytest.approx(alone.scores, abs=1e-4)
    multi = nlu.classify(text, labels, multi_label=True, threshold=0.0)
    assert sorted(multi.labels) == sorted(labels)
    # relations(): each given pair's scores are the reader's
    found = nlu.relations(SENTENCE, labels, entities=[(0, 11, "person"), (24, 30, "city")],
                          min_score=0.0)
    forward = [r for r in found.relations if r.head.text == "Marie Curie"]
    assert {r.label: r.score for r in forward} == pytest.approx(
        dict(zip(labels, expected, strict=True)), abs=1e-4)
    # other texts keep the span model's head
    plain = nlu.classify(SENTENCE, labels, similarity_weight=0.0)
    assert plain.scores != pytest.approx(alone.scores, abs=1e-4)


def test_folder_without_a_reader_says_how_to_get_one() -> None:
    from seqgpt.api import DEFAULT_MODEL

    backend = CompactBackend.from_folder(DEFAULT_MODEL)
    backend.model.relations_state = None
    with pytest.raises(SeqGPTError, match="seqgpt.train.relations"):
        _ = backend.relations


def test_training_keeps_the_best_step_and_logs_its_dev_scores(tmp_path: Path) -> None:
    claims = (statement("Marie Curie", "born in", "Warsaw"),
              statement("Warsaw", "born in", "Marie Curie"))
    questions = [relations.Question(SENTENCE, claims, (True, False), "d"),
                 relations.Question(SENTENCE, claims[1:], (False,), "d")]
    args = relations.RelationArgs(steps=2, batch_size=2, warmup=1, train_layers=1,
                                  save_every=1, log_every=1)
    scores = iter([1.0, 0.5])
    path = relations.train(questions, tmp_path, args, lambda model: next(scores))
    from safetensors.torch import load_file

    assert "head.weight" in load_file(str(path))
    records = [json.loads(line) for line in (tmp_path / "log.jsonl").open()]
    assert [r["dev"] for r in records if "dev" in r] == [1.0, 0.5]


def test_command_refuses_data_without_relation_texts(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "cls.jsonl"
    file.write_text(json.dumps({"text": "Stocks fell.", "labels": ["business", "sports"],
                                "gold": ["business"]}) + "\n")
    monkeypatch.setattr("sys.argv", ["relations", "--data", str(file), "--out",
                                     str(tmp_path / "r")])
    with pytest.raises(SystemExit):
        relations.main()
    assert "holds no relation texts" in capsys.readouterr().err
    monkeypatch.setattr("sys.argv", ["relations", "--data", "fewrel", "--out",
                                     str(tmp_path / "r")])
    with pytest.raises(SystemExit):
        relations.main()
    assert "fewrel is a zero-shot dev dataset" in capsys.readouterr().err
