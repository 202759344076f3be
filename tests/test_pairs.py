"""The NLI pair reader: which label sets it answers, how a model folder carries it, how classify
hands it pair texts, and its trainer's run folder."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch

from seqgpt.api import Model
from seqgpt.backends.compact import CompactBackend, save
from seqgpt.data.instance import AtomicInstance
from seqgpt.model.pairs import PAIRS, PairClassifier, label_groups
from seqgpt.train import pairs
from seqgpt.types import SeqGPTError

NLI = ["entailment", "neutral", "contradiction"]


def test_label_groups_need_every_class_once() -> None:
    assert label_groups(NLI) == [(0,), (1,), (2,)]
    assert label_groups(["Contradiction", "ENTAILMENT", "neutral"]) == [(2,), (0,), (1,)]
    assert label_groups(["蕴含", "中立", "矛盾"]) == [(0,), (1,), (2,)]
    assert label_groups(["entailment", "not entailment"]) == [(0,), (1, 2)]
    assert label_groups(["entailment", "contradiction"]) is None  # neutral has no label
    assert label_groups(["entailment", "neutral", "contradiction", "neutral"]) is None
    assert label_groups(["paraphrase", "not paraphrase"]) is None


def _pair(text: str, gold: str, labels: list[str] = NLI, dataset: str = "snli") -> AtomicInstance:
    return AtomicInstance(text=text, task="classify", labels=labels, dataset=dataset,
                          split="train", language="en", gold=[gold])


def test_nli_pairs_keep_three_and_two_way_pairs() -> None:
    three = _pair("A man sleeps.\nA man is awake.", "contradiction",
                  ["neutral", "contradiction", "entailment"])
    two = _pair("A man sleeps.\nA man rests.", "not entailment", ["not entailment", "entailment"])
    dropped = [_pair("no pair here", "neutral"),
               _pair("Stocks fell.\nMarkets", "business", ["business", "sports"])]
    assert pairs.nli_pairs([three, two, *dropped]) == [
        pairs.Pair("A man sleeps.", "A man is awake.", 2, "snli"),
        pairs.Pair("A man sleeps.", "A man rests.", 1, "snli", ((0,), (1, 2)))]


def test_a_two_way_label_scores_its_classes_summed_probability() -> None:
    logits = torch.tensor([[2.0, 1.0, 0.0]])
    two = pairs.Pair("p", "h", 1, "rte", ((0,), (1, 2)))
    probs = logits.softmax(-1)[0]
    [row] = pairs.option_log_probs(logits, [two])
    assert torch.allclose(row.exp(), torch.stack([probs[0], probs[1] + probs[2]]))


@pytest.fixture(scope="module")
def reader() -> PairClassifier:
    torch.manual_seed(0)
    model = PairClassifier.pretrained(train_layers=1)
    with torch.no_grad():  # a head that is not uniform, so the classes differ
        model.head.weight.normal_(0, 1.0)
    return model.eval()


def test_state_round_trip_gives_the_same_probabilities(reader: PairClassifier) -> None:
    state = reader.trained_state()
    assert state and all(k.startswith(("head.", "encoder.encoder.layer.11.")) for k in state)
    again = PairClassifier.from_state(state)
    premises = ["A man plays a guitar.", "猫在睡觉。"]
    hypotheses = ["A person makes music.", "猫醒着。"]
    probs = reader.probabilities(premises, hypotheses)
    assert probs.shape == (2, 3)
    assert torch.allclose(probs.sum(-1), torch.ones(2))
    assert torch.allclose(again.probabilities(premises, hypotheses), probs, atol=1e-5)
    with pytest.raises(SeqGPTError, match="not a PairClassifier state"):
        PairClassifier.from_state({"x": torch.zeros(1)})


def test_reader_on_a_shared_trunk_runs_its_frozen_layers_unchanged(
        reader: PairClassifier) -> None:
    from seqgpt.model.sentence import SentenceSimilarity

    sentence = SentenceSimilarity("multilingual-e5-small")
    before = sentence(["A man plays a guitar."], ["music"])
    shared = PairClassifier.from_state(reader.trained_state(),
                                       trunk=(sentence.encoder, sentence.tokenizer))
    layers, trunk = shared.encoder.encoder.layer, sentence.encoder.encoder.layer
    assert shared.encoder.embeddings is sentence.encoder.embeddings
    assert all(layers[i] is trunk[i] for i in range(11)) and layers[11] is not trunk[11]
    premises = ["A man plays a guitar.", "猫在睡觉。"]
    hypotheses = ["A person makes music.", "猫醒着。"]
    assert torch.allclose(shared.probabilities(premises, hypotheses),
                          reader.probabilities(premises, hypotheses), atol=1e-5)
    # the sentence encoder's own top layer is not the reader's trained one
    assert torch.equal(sentence(["A man plays a guitar."], ["music"]), before)


def test_classify_hands_pair_texts_to_the_reader(reader: PairClassifier, tmp_path: Path) -> None:
    from seqgpt.api import DEFAULT_MODEL

    backend = CompactBackend.from_folder(DEFAULT_MODEL)
    backend.model.pairs_state = {k: v.half() for k, v in reader.trained_state().items()}
    save(backend.model, tmp_path / "with_pairs")
    assert (tmp_path / "with_pairs" / PAIRS).is_file()
    nlu = Model(CompactBackend.from_folder(tmp_path / "with_pairs"))
    premise, hypothesis = "A man plays a guitar.", "A person makes music."
    expected = nlu.backend.pairs.probabilities([premise], [hypothesis])[0]

    result = nlu.nli(premise, hypothesis)
    assert result.scores == pytest.approx(dict(zip(NLI, expected.tolist(), strict=True)),
                                          abs=1e-4)
    assert result.labels == [NLI[int(expected.argmax())]]
    # a label set is a set: listed in another order, the same scores
    shuffled = nlu.nli(premise, hypothesis, ["contradiction", "entailment", "neutral"])
    assert shuffled.scores == result.scores
    # two-way: "not entailment" gets the other two classes' mass
    two = nlu.nli(premise, hypothesis, ["entailment", "not entailment"])
    assert two.scores["not entailment"] == pytest.approx(float(expected[1:].sum()), abs=1e-4)
    # other label sets and texts that are not pairs keep the span model's head
    other = nlu.classify(f"{premise}\n{hypothesis}", ["paraphrase", "unrelated"])
    assert set(other.scores) == {"paraphrase", "unrelated"}
    single = nlu.classify(premise, NLI)
    assert single.scores != pytest.approx(result.scores, abs=1e-4)


def test_folder_without_a_reader_says_how_to_get_one() -> None:
    from seqgpt.api import DEFAULT_MODEL

    backend = CompactBackend.from_folder(DEFAULT_MODEL)
    backend.model.pairs_state = None
    with pytest.raises(SeqGPTError, match="seqgpt.train.pairs"):
        _ = backend.pairs


def test_training_keeps_the_best_step_and_resumes(tmp_path: Path) -> None:
    data = [pairs.Pair("A man sleeps.", "A man is awake.", 2, "snli"),
            pairs.Pair("A man sleeps.", "A man rests.", 0, "snli")]
    args = pairs.PairArgs(steps=2, batch_size=2, warmup=1, train_layers=1, save_every=1,
                          log_every=1)
    scores = iter([1.0, 0.5, 2.0])
    path = pairs.train(data, tmp_path, args, lambda model: next(scores))
    from safetensors.torch import load_file

    first = load_file(str(path))
    assert "head.weight" in first
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # readable as any file the user saves
    assert all(k.startswith(("head.", "encoder.encoder.layer.11.")) for k in first)
    pairs.train(data, tmp_path, pairs.PairArgs(steps=3, batch_size=2, warmup=1, train_layers=1,
                                               save_every=1, log_every=1),
                lambda model: next(scores))
    records = [json.loads(line) for line in (tmp_path / "log.jsonl").open()]
    assert [r["dev"] for r in records if "dev" in r] == [1.0, 0.5, 2.0]  # resumed at step 2
    assert not torch.equal(load_file(str(path))["head.weight"], first["head.weight"])


def test_command_refuses_data_without_nli_pairs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "cls.jsonl"
    file.write_text(json.dumps({"text": "Stocks fell.", "labels": ["business", "sports"],
                                "gold": ["business"]}) + "\n")
    monkeypatch.setattr("sys.argv", ["pairs", "--data", str(file), "--out", str(tmp_path / "r")])
    with pytest.raises(SystemExit):
        pairs.main()
    assert "holds no NLI pairs" in capsys.readouterr().err


@pytest.mark.parametrize(("data", "message"), [
    ("sick2014", "sick2014 is a zero-shot dev dataset"),
    ("missing.jsonl", "missing.jsonl: no such file"),
])
def test_command_refuses_dev_sets_and_missing_files(data: str, message: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.argv", ["pairs", "--data", data, "--out", str(tmp_path / "r")])
    with pytest.raises(SystemExit):
        pairs.main()
    assert message in capsys.readouterr().err
