"""The evaluation loop, the user file reader and `seqgpt eval`, with a scripted test model."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from seqgpt import prompt
from seqgpt.data.instance import AtomicInstance, DataFormatError
from seqgpt.data.mixture import answer_text
from seqgpt.data.registry import DatasetSpec
from seqgpt.evaluate import command
from seqgpt.evaluate.runner import EvaluationError, evaluate, read_jsonl, sample
from seqgpt.types import Classification, Extraction, SeqGPTError, Span


class LexiconModel:
    """Finds known phrases (every occurrence) and classifies by keyword; records its calls."""

    def __init__(self, phrases: dict[str, str], keywords: dict[str, str],
                 invented: dict[str, str] | None = None) -> None:
        self.phrases, self.keywords, self.invented = phrases, keywords, invented or {}
        self.calls: list[tuple[str, int, tuple[str, ...]]] = []

    def extract(self, texts: list[str], labels: list[str]) -> list[Extraction]:
        self.calls.append(("extract", len(texts), tuple(labels)))
        results = []
        for text in texts:
            spans, unmatched = [], []
            for phrase, label in self.phrases.items():
                if label in labels:
                    found, missing = prompt.locate(text, label, [phrase] if phrase in text else [])
                    spans += found
                    unmatched += missing
            unmatched += [Span(label, phrase, None, None)
                          for phrase, label in self.invented.items() if label in labels]
            spans.sort(key=lambda s: (s.start, s.end))
            results.append(Extraction(text, list(labels), spans, unmatched=unmatched))
        return results

    def classify(self, texts: list[str], labels: list[str]) -> list[Classification]:
        self.calls.append(("classify", len(texts), tuple(labels)))
        return [Classification(text, [label for word, label in self.keywords.items()
                                      if word in text and label in labels])
                for text in texts]


def ner(text: str, spans: list[tuple[str, int, int]], labels: list[str],
        dataset: str = "toy_ner") -> AtomicInstance:
    instance = AtomicInstance(text=text, task="extract", labels=labels, dataset=dataset,
                              split="test", language="en",
                              spans=[Span(label, text[s:e], s, e) for label, s, e in spans])
    instance.check()
    return instance


def cls(text: str, gold: list[str], labels: list[str], dataset: str = "toy_cls") -> AtomicInstance:
    return AtomicInstance(text=text, task="classify", labels=labels, dataset=dataset,
                          split="test", language="en", gold=gold, multi_label=True)


MODEL = LexiconModel({"Tim Cook": "person", "Beijing": "city", "Apple": "city"},
                     {"loved": "positive", "hated": "negative", "price": "cost"})


def test_extraction_scores_by_offsets() -> None:
    instances = [
        # person and city found: 2 tp
        ner("Tim Cook visited Beijing.", [("person", 0, 8), ("city", 17, 24)], ["person", "city"]),
        # Apple predicted as city: 1 fp; Cook (person) missed: 1 fn
        ner("Apple hired Cook.", [("person", 12, 16)], ["person", "city"]),
    ]
    (result,) = evaluate(MODEL, instances).results
    # tp 2, fp 1, fn 1 -> P = R = F1 = 2/3
    assert (result.dataset, result.task, result.n) == ("toy_ner", "extract", 2)
    assert result.precision == pytest.approx(2 / 3)
    assert result.recall == pytest.approx(2 / 3)
    assert result.f1 == pytest.approx(2 / 3)
    # First answer is exactly the gold answer (ROUGE 1); the second:
    # "person: None / city: Apple" vs "person: Cook / city: None" -> 4 tokens each, 3 shared
    # (person, none, city): R1 = 0.75; no bigram shared: R2 = 0; LCS "person city" = 2: RL = 0.5
    assert result.rouge1 == pytest.approx((1 + 0.75) / 2)
    assert result.rouge2 == pytest.approx((1 + 0) / 2)
    assert result.rougeL == pytest.approx((1 + 0.5) / 2)
    assert result.accuracy is None


def test_every_occurrence_counts_when_scoring_offsets() -> None:
    text = "Beijing is not Beijing."
    (result,) = evaluate(MODEL, [ner(text, [("city", 0, 7)], ["city"])]).results
    # the model marks both occurrences, the gold only the first: tp 1, fp 1
    assert (result.precision, result.recall) == pytest.approx((0.5, 1.0))


def test_string_only_gold_and_unlocated_answers() -> None:
    model = LexiconModel({"Beijing": "city"}, {}, invented={"Shanghai": "city"})
    instance = AtomicInstance(text="Beijing is not Beijing.", task="extract", labels=["city"],
                              dataset="strings", split="file", language="en",
                              spans=[Span("city", "Beijing", None, None)])
    (result,) = evaluate(model, [instance]).results
    # by strings the two Beijing occurrences are one key (tp 1); Shanghai is a false positive
    assert (result.precision, result.recall) == pytest.approx((0.5, 1.0))


def test_classification_accuracy_and_micro_f1() -> None:
    labels = ["positive", "negative", "cost"]
    instances = [cls("I loved it", ["positive"], labels),                 # exact
                 cls("I hated the price", ["negative"], labels),          # + cost: fp
                 cls("It was fine", ["positive"], labels)]                # nothing: fn
    (result,) = evaluate(MODEL, instances).results
    # tp 2, fp 1, fn 1 -> P = R = F1 = 2/3; accuracy 1/3
    assert result.accuracy == pytest.approx(1 / 3)
    assert result.f1 == pytest.approx(2 / 3)


def test_batches_hold_one_label_set_and_respect_the_batch_size() -> None:
    model = LexiconModel(MODEL.phrases, MODEL.keywords)
    a, b = ["person", "city"], ["city"]
    instances = [ner(f"Beijing {i}", [("city", 0, 7)], a if i % 2 else b) for i in range(7)]
    instances.append(cls("I loved it", ["positive"], ["positive", "negative"]))
    report = evaluate(model, instances, batch_size=2)
    assert sorted(model.calls) == sorted([
        ("extract", 2, ("person", "city")), ("extract", 1, ("person", "city")),
        ("extract", 2, ("city",)), ("extract", 2, ("city",)),
        ("classify", 1, ("positive", "negative"))])
    assert [(r.dataset, r.task, r.n) for r in report.results] == [
        ("toy_ner", "extract", 7), ("toy_cls", "classify", 1)]
    assert report.results[0].f1 == 1.0


def test_a_model_that_loses_results_is_an_error() -> None:
    class Broken(LexiconModel):
        def classify(self, texts: list[str], labels: list[str]) -> list[Classification]:
            return super().classify(texts, labels)[:-1]

    with pytest.raises(EvaluationError, match="returned 1 results for 2 texts"):
        evaluate(Broken({}, {}), [cls("a", [], ["x"]), cls("b", [], ["x"])])


def test_gold_answer_is_the_upstream_format() -> None:
    instance = ner("Tim Cook met Tim Cook in Beijing.",
                   [("city", 25, 32), ("person", 13, 21), ("person", 0, 8)],
                   ["person", "company", "city"])
    assert answer_text(instance) == "person: Tim Cook\ncompany: None\ncity: Beijing"
    # classification: the gold labels in label-set order, like the prompt lists them
    assert answer_text(cls("x", ["b", "a"], ["a", "c", "b"])) == "a，b"


def test_sample_is_seeded_per_dataset_and_keeps_order() -> None:
    items = [cls(f"text {i}", [], ["x"]) for i in range(100)]
    first = sample(items, 48, seed=1, name="a")
    assert first == sample(items, 48, seed=1, name="a")
    assert len(first) == 48 and len({id(i) for i in first}) == 48
    assert [items.index(i) for i in first] == sorted(items.index(i) for i in first)
    assert first != sample(items, 48, seed=2, name="a")
    assert first != sample(items, 48, seed=1, name="b")
    assert sample(items[:10], 48, seed=1) == items[:10]


def write(tmp_path: Path, lines: list[object], name: str = "mine.jsonl") -> Path:
    path = tmp_path / name
    text = "\n".join(line if isinstance(line, str) else json.dumps(line, ensure_ascii=False)
                     for line in lines)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def test_user_file_extraction_lines(tmp_path: Path) -> None:
    path = write(tmp_path, [
        {"text": "Tim Cook visited Beijing.",
         "spans": [{"label": "person", "start": 0, "end": 8, "text": "Tim Cook"},
                   {"label": "city", "start": 17, "end": 24}]},
        "",
        {"text": "马云在杭州。", "spans": [{"label": "city", "text": "杭州"}]},
        {"text": "Nothing here.", "spans": [], "labels": ["company"]},
    ])
    first, second, third = read_jsonl(path)
    assert (first.dataset, first.split, first.task) == ("mine", "file", "extract")
    assert first.labels == ["person", "city", "company"]        # every label the file uses
    assert first.spans[1] == Span("city", "Beijing", 17, 24)
    assert second.language == "zh" and first.language == "en"
    assert second.spans == [Span("city", "杭州", None, None)]
    assert third.labels == ["company"] and third.spans == []


def test_user_file_classification_lines(tmp_path: Path) -> None:
    path = write(tmp_path, [
        {"text": "I loved it", "labels": "positive"},
        {"text": "I hated it", "labels": ["negative"], "label_set": ["positive", "negative"]},
    ])
    first, second = read_jsonl(path)
    assert first.task == "classify" and first.gold == ["positive"]
    assert first.labels == ["positive", "negative"] and not first.multi_label
    multi = read_jsonl(write(tmp_path, [{"text": "a", "labels": ["x", "y"]},
                                        {"text": "b", "labels": []}]))
    assert all(i.multi_label for i in multi) and multi[1].gold == []


def test_user_file_reads_atomic_records(tmp_path: Path) -> None:
    original = ner("Tim Cook visited Beijing.", [("person", 0, 8)], ["person", "city"])
    (back,) = read_jsonl(write(tmp_path, [original.to_dict()]))
    assert back == original


@pytest.mark.parametrize("line, problem", [
    ("{not json", "not valid JSON"),
    ('["a list"]', "expected a JSON object"),
    ({"spans": []}, "field 'text' must be a non-empty string"),
    ({"text": "abc", "spans": [{"label": "x", "start": 0, "end": 9}]},
     "field 'spans[0]': offsets 0-9 must satisfy 0 <= start < end <= 3"),
    ({"text": "abc", "spans": [{"label": "x", "start": "0", "end": 2}]},
     "field 'spans[0].start' must be an integer"),
    ({"text": "abc", "spans": [{"label": "x", "start": 0, "end": 2, "text": "bc"}]},
     "field 'spans[0].text' 'bc' differs from text[0:2] = 'ab'"),
    ({"text": "abc", "spans": [{"start": 0, "end": 2}]}, "field 'spans[0].label'"),
    ({"text": "abc", "spans": [{"label": "x"}]}, "needs 'start' and 'end'"),
    ({"text": "abc", "spans": [{"label": "x", "start": 0, "end": 1}], "labels": ["y"]},
     "field 'spans[0].label' 'x' is not in 'labels'"),
    ({"text": "abc", "spans": {}}, "field 'spans' must be a list"),
    ({"text": "abc"}, "expected 'spans' (extraction) or 'labels'"),
    ({"text": "abc", "labels": ["a"], "label_set": ["b"]}, "field 'labels': ['a'] not in"),
    ({"text": "abc", "labels": ["a"], "label_set": ["b", "b"]}, "is a duplicate"),
    ({"text": "abc", "labels": [1]}, "field 'labels' must be a list of strings"),
    ({"text": "abc", "labels": ["a,b"]}, "field 'labels': labels[0] 'a,b' contains ','"),
    ({"text": "abc", "task": "translate"}, "field 'task' must be 'extract' or 'classify'"),
    ({"text": "abc", "task": "extract"}, "not an atomic instance record"),
])
def test_user_file_errors_name_file_line_and_field(tmp_path: Path, line: object,
                                                   problem: str) -> None:
    good = {"text": "fine", "labels": ["a"]}
    path = write(tmp_path, [good, line])
    with pytest.raises(DataFormatError) as error:
        read_jsonl(path)
    assert str(error.value).startswith(f"{path}:2: ") and problem in str(error.value)


def test_user_file_without_any_label_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match=":1: no label set"):
        read_jsonl(write(tmp_path, [{"text": "abc", "spans": []}]))
    with pytest.raises(DataFormatError, match="holds no instances"):
        read_jsonl(write(tmp_path, ["", "  "]))


def eval_args(**overrides: object) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    command.add_parser(parser.add_subparsers())
    argv = ["eval"]
    for key, value in overrides.items():
        flag = "--" + key.replace("_", "-")
        argv += [flag] if value is True else [flag, str(value)]
    return parser.parse_args(argv)


@pytest.fixture
def user_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(command, "load_model", lambda name: MODEL)
    lines: list[object] = [{"text": f"Tim Cook visited Beijing {i}.",
                            "spans": [{"label": "person", "start": 0, "end": 8}]}
                           for i in range(60)]
    lines.append({"text": "I loved it", "labels": ["positive"],
                  "label_set": ["positive", "negative"]})
    return write(tmp_path, lines, "people.jsonl")


def test_eval_command_prints_a_table(user_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert command.run(eval_args(data=user_file)) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert rows[0][:4] == ["dataset", "split", "task", "n"]
    assert rows[1][:7] == ["people", "file", "extract", "60", "100.0", "100.0", "100.0"]
    assert rows[2][:4] == ["people", "file", "classify", "1"]
    assert rows[-1][0] == "average"


def test_eval_command_json_and_protocol(user_file: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert command.run(eval_args(data=user_file, protocol="seqgpt", json=True)) == 0
    report = json.loads(capsys.readouterr().out)
    assert [r["n"] for r in report["results"]] == [48, 1]   # 48 per dataset and task
    assert report["protocol"] == "seqgpt" and report["average"]["n"] == 49
    assert command.run(eval_args(data=user_file, limit=5, json=True)) == 0
    assert json.loads(capsys.readouterr().out)["average"]["n"] == 6


@pytest.mark.parametrize("overrides, problem", [
    ({"limit": 0}, "--limit must be a positive number"),
    ({"limit": 5, "protocol": "seqgpt"}, "drop --limit"),
    ({"batch_size": 0}, "--batch-size must be at least 1"),
    ({"data": " , "}, "--data is empty"),
    ({"data": "missing.jsonl"}, "no such file 'missing.jsonl'"),
])
def test_eval_command_rejects_bad_arguments(user_file: Path, overrides: dict[str, object],
                                            problem: str) -> None:
    args = eval_args(**{"data": user_file, **overrides})
    with pytest.raises(SeqGPTError, match=problem):
        command.run(args)


def test_end_to_end_with_a_tiny_random_causal_lm(tiny_nlu, tiny_model_dir: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    instances = [ner("Tim Cook visited Beijing.", [("person", 0, 8), ("city", 17, 24)],
                     ["person", "city"]),
                 cls("I loved it", ["positive"], ["positive", "negative"]),
                 cls("阿里巴巴集团于1999年在杭州成立。", ["公司"], ["公司", "城市"],
                     dataset="toy_zh")]
    report = evaluate(tiny_nlu, instances, batch_size=2)
    assert [(r.dataset, r.task, r.n) for r in report.results] == [
        ("toy_ner", "extract", 1), ("toy_cls", "classify", 1), ("toy_zh", "classify", 1)]
    for result in [*report.results, report.average]:
        for value in (result.precision, result.recall, result.f1, result.rouge1, result.rouge2,
                      result.rougeL, result.combined):
            assert 0.0 <= value <= 1.0
    # the same run through the command line, on a user file
    from seqgpt import cli

    path = write(tmp_path, [{"text": "Tim Cook visited Beijing.",
                             "spans": [{"label": "person", "start": 0, "end": 8}],
                             "labels": ["person", "city"]}])
    assert cli.main(["eval", "--data", str(path), "--model", str(tiny_model_dir), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["results"][0]["n"] == 1 and out["model"] == str(tiny_model_dir)


def toy_reader(spec: DatasetSpec, root: Path, split: str) -> Iterator[AtomicInstance]:
    for i in range(200):
        yield AtomicInstance(text=f"{split} text {i} loved", task="classify",
                             labels=["positive", "negative"], dataset=spec.name, split=split,
                             language="en", gold=["positive"])


@pytest.fixture
def toy_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    from seqgpt.data import registry

    specs = {name: DatasetSpec(name=name, language="en", kind="cls", reader=toy_reader,
                               files={split: (f"{name}/{split}",) for split in splits})
             for name, splits in (("toy_split", ("train", "dev", "test")),
                                  ("toy_unsplit", ("all",)), ("toy_train_only", ("train",)))}

    def get(name: str) -> DatasetSpec:
        if name not in specs:
            raise registry.UnknownDatasetError(f"unknown dataset {name!r}")
        return specs[name]

    monkeypatch.setattr(registry, "get", get)
    monkeypatch.setattr(registry, "data_root", lambda: Path("."))


def test_registered_datasets_use_their_evaluation_split(toy_registry: None) -> None:
    assert {i.split for i in command.load_instances("toy_split", None)} == {"test"}
    assert {i.split for i in command.load_instances("toy_split", "dev")} == {"dev"}
    unsplit = command.load_instances("toy_unsplit", None)
    # only the held-out part of a single split, which the mixture never trains on
    assert {i.split for i in unsplit} == {"all:held-out"} and 5 <= len(unsplit) <= 40
    with pytest.raises(SeqGPTError, match="only training data"):
        command.load_instances("toy_train_only", None)
    assert len(command.load_instances("toy_train_only", "train")) == 200
    with pytest.raises(SeqGPTError, match="unknown dataset 'nope'"):
        command.load_instances("nope", None)
