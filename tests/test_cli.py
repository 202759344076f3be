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


def test_empty_stdin_line_is_named(tiny_model_dir: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("fine\n\n"))
    assert main(["extract", "--labels", "a", "--model", str(tiny_model_dir)]) == 2
    assert "stdin line 2 is empty" in capsys.readouterr().err


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
