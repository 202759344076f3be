"""The package type-checks: ``mypy`` with pyproject.toml's ``[tool.mypy]`` settings (the package,
untyped dependencies ignored) reports no error, so that it stays at zero."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None,
                    reason="mypy is not installed (pip install -e '.[dev]')")
def test_mypy_reports_no_errors() -> None:
    # `python -m mypy` in the repository root: [tool.mypy] names the package and the flags, the
    # same as `python -m mypy seqgpt --ignore-missing-imports`.
    result = subprocess.run([sys.executable, "-m", "mypy", "--config-file", "pyproject.toml"],
                            cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"mypy failed:\n{result.stdout}{result.stderr}"
