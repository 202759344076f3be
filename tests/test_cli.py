"""The seqgpt command: output formats, stdin, and one-line errors with exit code 2."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from seqgpt.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_extract_prints_upstream_answer(tiny_model_dir: Path, capsys) -> None:
    assert main(["extract", "Tim Cook visited Beijing.", "--labels", "person，city",
                 "--model", str(tiny_model_dir)]) == 0
    out = capsys.readouterr().out
    assert re.fullmatch(r"person: .*\ncity: .*\n", out)


def test_classify_json_from_stdin(tiny_model_dir: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("I loved it\n我很喜欢\n"))
    assert main(["classify", "--labels", "positive,negative", "--json",
                 "--model", str(tiny_model_dir)]) == 0
    lines = capsys.readouterr().out.splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["text"] for r in records] == ["I loved it", "我很喜欢"]
    assert all(set(r["scores"]) == {"positive", "negative"} for r in records)


@pytest.mark.parametrize("argv, message", [
    (["extract", "text", "--labels", "a,a"], "duplicate"),
    (["extract", "text", "--labels", " , "], "labels is empty"),
    (["classify", "text", "--labels", "a", "--model", "/no/such/folder"], "does not exist"),
    (["extract", "text", "--labels", "a", "--model", "./no-folder"], "does not exist"),
])
def test_errors_are_one_line_with_exit_2(argv: list[str], message: str, capsys,
                                         monkeypatch) -> None:
    monkeypatch.delenv("SEQGPT_MODEL", raising=False)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("seqgpt: error: ") and message in err and err.count("\n") == 1


def test_blank_stdin_lines_are_skipped_and_later_lines_keep_their_numbers(
        tiny_model_dir: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("fine\n\n   \nalso fine\n"))
    assert main(["extract", "--labels", "a", "--json", "--model", str(tiny_model_dir)]) == 0
    captured = capsys.readouterr()
    assert [json.loads(line)["text"] for line in captured.out.splitlines()] == [
        "fine", "also fine"]
    assert "skipped 2 blank stdin lines (2, 3)" in captured.err
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n\n"))
    assert main(["extract", "--labels", "a", "--model", str(tiny_model_dir)]) == 2
    assert "no text given" in capsys.readouterr().err


def _run_bytes(args: list[bytes], stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable.encode(), b"-m", b"seqgpt.cli", *args], input=stdin,
                          capture_output=True, cwd=ROOT)


def test_undecodable_argv_and_stdin_bytes_are_named_errors_not_tracebacks() -> None:
    argv = _run_bytes([b"extract", b"Tim \xff Cook", b"--labels", b"person"])
    labels = _run_bytes([b"classify", b"ok", b"--labels", b"a,b\xe9"])
    piped = _run_bytes([b"extract", b"--labels", b"person"], stdin=b"fine\ncaf\xe9\n")
    for done in (argv, labels, piped):
        err = done.stderr.decode("utf-8", "replace")
        assert done.returncode == 2 and "Traceback" not in err, err
        assert err.startswith("seqgpt: error: ") and err.count("\n") == 1
    assert "text has an undecodable byte 0xff" in argv.stderr.decode()
    assert "at position 4" in argv.stderr.decode()
    assert "--labels has an undecodable byte 0xe9" in labels.stderr.decode()
    assert "stdin line 2 is not UTF-8: byte 0xe9 at byte 3" in piped.stderr.decode()


def test_model_options_are_flags(tiny_model_dir: Path, capsys, monkeypatch) -> None:
    import seqgpt

    calls: list[dict] = []
    real = seqgpt.load(str(tiny_model_dir))

    class Spy:
        def extract(self, texts, labels, **options):
            calls.append(options)
            return real.extract(texts, labels)

        classify = extract

    monkeypatch.setattr(seqgpt, "load", lambda model=None, **options: Spy())
    assert main(["extract", "x", "--labels", "a", "--threshold", "0.2", "--nested"]) == 0
    assert main(["classify", "x", "--labels", "a,b", "--multi-label"]) == 0
    assert main(["extract", "x", "--labels", "a"]) == 0
    assert main(["extract", "x", "--labels", "a", "--symbol-spans"]) == 0
    assert calls == [{"threshold": 0.2, "nested": True}, {"multi_label": True}, {},
                     {"symbol_spans": True}]
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["extract", "x", "--labels", "a", "--threshold", "2"])
    assert "expected a number in [0, 1]" in capsys.readouterr().err


def test_console_script_help_and_error_exit_code() -> None:
    done = subprocess.run([sys.executable, "-m", "seqgpt.cli", "extract", "--help"],
                          capture_output=True, text=True, check=True)
    assert "example:" in done.stdout and "--labels" in done.stdout
    failed = subprocess.run([sys.executable, "-m", "seqgpt.cli", "extract", "x", "--labels", ""],
                            capture_output=True, text=True)
    assert failed.returncode == 2 and "Traceback" not in failed.stderr


def test_ci_runs_exactly_the_readme_setup_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    setup = re.search(r"## Install and test\n.*?```bash\n(.*?)```", readme, re.S)
    assert setup, "README.md needs an 'Install and test' section with a bash block"
    commands = [line for line in setup.group(1).splitlines() if line.strip()]
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
          if line.strip() and not line.startswith(("#", "set ", "cd "))]
    # CI may provision the machine first (Chromium), then runs exactly the README's commands.
    assert ci[-len(commands):] == commands
    assert not any("pip install" in line or "pytest" in line for line in ci[:-len(commands)])
