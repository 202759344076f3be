from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from tiny import build_tiny_causal_lm  # noqa: E402


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_causal_lm(tmp_path_factory.mktemp("tiny-bloom"))


@pytest.fixture(scope="session")
def tiny_nlu(tiny_model_dir: Path):
    import seqgpt

    # Short answers keep the suite fast; the decoding path is the same as upstream's.
    return seqgpt.load(tiny_model_dir, max_new_tokens=12)
