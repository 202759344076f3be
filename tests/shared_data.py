"""Where the shared datasets are, for tests that read them (CI has them beside the checkout)."""

from __future__ import annotations

from pathlib import Path

import pytest

from seqgpt.data.registry import data_root
from seqgpt.types import SeqGPTError


def _data_root() -> Path | None:
    try:
        root = data_root()
    except SeqGPTError:
        return None
    return root if (root / "MANIFEST.md").is_file() else None


ROOT = _data_root()
needs_data = pytest.mark.skipif(ROOT is None, reason="shared data folder (../shared/data or "
                                "$SEQGPT_DATA) not found; CI provides it")
