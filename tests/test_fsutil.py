"""Crash-safe writes (seqgpt.fsutil): a file or folder is the old one or the new one, never half."""

from __future__ import annotations

from pathlib import Path

import pytest

from seqgpt.fsutil import atomic_file, atomic_folder, recover_folder, write_file


def test_atomic_file_replaces_only_when_the_block_finishes(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    write_file(path, "old")
    with pytest.raises(RuntimeError), atomic_file(path, "w") as handle:
        handle.write("half")
        raise RuntimeError("killed")
    assert path.read_text() == "old" and not (tmp_path / "state.json.tmp").exists()
    with atomic_file(path) as handle:
        handle.write(b"new")
    assert path.read_bytes() == b"new" and sorted(p.name for p in tmp_path.iterdir()) == [
        "state.json"]
    with pytest.raises(ValueError, match="mode"), atomic_file(path, "a"):
        pass


def test_atomic_folder_swaps_whole_folders_and_recovers_an_interrupted_swap(
        tmp_path: Path) -> None:
    best = tmp_path / "best"
    with atomic_folder(best) as folder:
        (folder / "weights").write_text("1")
        (folder / "config.json").write_text("{}")
    with pytest.raises(RuntimeError), atomic_folder(best) as folder:
        (folder / "weights").write_text("2")  # config never written: the old folder stays
        raise RuntimeError("killed")
    assert (best / "weights").read_text() == "1" and (best / "config.json").exists()
    with atomic_folder(best) as folder:
        (folder / "weights").write_text("3")
    assert sorted(p.name for p in best.iterdir()) == ["weights"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best"]
    # A kill between the two renames: the old folder is put back by the next reader.
    best.rename(tmp_path / "best.old")
    (tmp_path / "best.tmp").mkdir()
    recover_folder(best)
    assert (best / "weights").read_text() == "3"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best"]
