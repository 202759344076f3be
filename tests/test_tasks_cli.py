"""The composite-task sub-commands: the same conventions as ``seqgpt extract`` (argument or
stdin lines, --json, one-line errors with exit code 2)."""

from __future__ import annotations

import io
import json

import pytest

import seqgpt
from seqgpt import cli, tasks


@pytest.fixture(scope="module")
def default_nlu() -> seqgpt.Model:
    return seqgpt.load()


@pytest.fixture(autouse=True)
def one_model(default_nlu: seqgpt.Model, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(seqgpt, "load", lambda model=None, **options: default_nlu)


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def test_relations_read_stdin_and_print_json_per_line(monkeypatch, capsys) -> None:
    _stdin(monkeypatch, "Tim Cook works for Apple.\n马云创办了阿里巴巴。\n")
    assert cli.main(["relations", "--relations", "works for,founder of", "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["text"] for line in lines] == ["Tim Cook works for Apple.",
                                                             "马云创办了阿里巴巴。"]
    assert set(json.loads(lines[0])) == {"text", "entities", "relations", "skipped_pairs"}


def test_answer_prints_one_line_per_question(capsys) -> None:
    assert cli.main(["answer", "Tim Cook visited Beijing in May.", "-q", "Who visited, and why?",
                     "-q", "When?"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(": ")[0] for line in lines] == ["Who visited, and why?", "When?"]
    review = "The screen is bright. Battery life is poor, it barely lasts a day."
    assert cli.main(["answer", review, "-q", "How is the battery?", "--unit", "sentence"]) == 0
    assert capsys.readouterr().out.strip() == (
        "How is the battery?: Battery life is poor, it barely lasts a day.")


def test_extract_json_output_validates(capsys) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = {"person": {"name": "string", "age": "string"}, "company": "array"}
    assert cli.main(["extract-json", "Tim Cook, 63, runs Apple.", "--schema",
                     json.dumps(schema)]) == 0
    jsonschema.validate(json.loads(capsys.readouterr().out), tasks.json_schema(schema))


@pytest.mark.parametrize("argv, stdin, message", [
    (["events", "x", "--schema", '{"attack": ["attacker", 3]}'], None,
     "schema['attack']: labels[1] must be a string"),
    (["nli", "-"], "premise without a hypothesis\n", "stdin line 1: expected premise<TAB>"),
    (["entity-type", "Tim Cook", "--span", "3:99", "--types", "person"], None,
     "outside the text"),
    (["answer", "Tim Cook", "-q", " "], None, "is empty; give a question"),
])
def test_bad_input_is_one_line_and_exit_code_2(argv, stdin, message, monkeypatch,
                                               capsys) -> None:
    if stdin is not None:
        _stdin(monkeypatch, stdin)
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_blank_stdin_lines_are_skipped_and_errors_keep_the_real_line_number(
        monkeypatch, capsys) -> None:
    _stdin(monkeypatch, "A man plays.\tA person plays.\n\nno tab here\n")
    assert cli.main(["nli", "-"]) == 2
    err = capsys.readouterr().err
    assert "stdin line 3: expected premise<TAB>hypothesis" in err
    _stdin(monkeypatch, "Tim Cook visited Beijing.\n\n马云在杭州。\n")
    assert cli.main(["ner", "--types", "person,city", "--json"]) == 0
    captured = capsys.readouterr()
    assert [json.loads(line)["text"] for line in captured.out.splitlines()] == [
        "Tim Cook visited Beijing.", "马云在杭州。"]
    assert "skipped 1 blank stdin line (2)" in captured.err


def test_model_options_reach_every_call_of_a_composite_command(default_nlu, monkeypatch,
                                                               capsys) -> None:
    seen: list[dict] = []
    real_extract = default_nlu.backend.extract

    def spy(texts, labels, **options):
        seen.append(options)
        return real_extract(texts, labels, **options)

    monkeypatch.setattr(default_nlu.backend, "extract", spy)
    assert cli.main(["ner", "Tim Cook visited Beijing.", "--types", "person",
                     "--threshold", "0.2", "--nested"]) == 0
    assert seen and all(o.get("threshold") == 0.2 and o.get("nested") is True for o in seen)
    args = cli.build_parser().parse_args(["topic", "x", "--topics", "a", "--multi-label"])
    assert args.multi_label is True and args.threshold is None
