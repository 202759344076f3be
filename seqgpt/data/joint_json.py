"""Token-offset joint NER + RE (CoNLL04, ADE in the two-are-better-than-one format) -> an
extract instance per sentence and classify instances for its pairs (see ``relkit``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from seqgpt.data import readkit
from seqgpt.data.instance import AtomicInstance, DataFormatError
from seqgpt.data.registry import DatasetSpec
from seqgpt.data.relkit import Mention, Sentences, join_token_list


def read_joint_json(spec: DatasetSpec, root: Path, split: str) -> Iterator[AtomicInstance]:
    """JSON list of ``{"tokens", "entities": [[start, end, type]], "relations": [[h_start,
    h_end, t_start, t_end, type]]}`` (token offsets, end exclusive). Text = tokens joined by
    spaces."""
    sentences = Sentences(spec, split)
    assert sentences.entities is not None
    for path in readkit.split_paths(spec, root, split):
        data = readkit.load_json(path)
        if not isinstance(data, list):
            raise DataFormatError(path, None, "expected a JSON list of sentences")
        for i, record in enumerate(data):
            where = f"sentence {i}"
            if not isinstance(record, dict):
                raise DataFormatError(path, None, f"{where}: expected an object")
            tokens = readkit.need(record, "tokens", path, None, list, where)
            text, starts, ends = join_token_list(tokens, path, where)
            mentions: list[Mention] = []
            index: dict[tuple[int, int], int] = {}
            for entity in readkit.need(record, "entities", path, None, list, where):
                s, e, tag = _token_range(entity, 3, len(tokens), path, where)
                label = sentences.entities.word(tag, path, None)
                index.setdefault((s, e), len(mentions))
                mentions.append(Mention(text[starts[s]:ends[e - 1]], starts[s], ends[e - 1],
                                        label))
            gold: dict[tuple[int, int], list[str]] = {}
            for relation in readkit.need(record, "relations", path, None, list, where):
                hs, he, ts, te, tag = _relation_row(relation, len(tokens), path, where)
                if (hs, he) not in index or (ts, te) not in index:
                    raise DataFormatError(path, None, f"{where}: relation {relation} does not "
                                                      "join two listed entities")
                pair = (index[hs, he], index[ts, te])
                gold.setdefault(pair, []).extend(sentences.relation(tag, path, None))
            meta = {"sentence": i}
            yield sentences.extract(text, mentions, meta)
            yield from sentences.pairs(text, mentions, gold, i, meta)


def _token_range(row: Any, size: int, n_tokens: int, path: Path,
                 where: str) -> tuple[int, int, str]:
    if (not isinstance(row, list) or len(row) != size or not isinstance(row[-1], str)
            or not all(isinstance(x, int) for x in row[:2])
            or not 0 <= row[0] < row[1] <= n_tokens):
        raise DataFormatError(path, None, f"{where}: expected [start, end, type] with "
                                          f"0 <= start < end <= {n_tokens}, got {row}")
    return row[0], row[1], row[2]


def _relation_row(row: Any, n_tokens: int, path: Path,
                  where: str) -> tuple[int, int, int, int, str]:
    if not isinstance(row, list) or len(row) != 5:
        raise DataFormatError(path, None, f"{where}: expected [h_start, h_end, t_start, t_end, "
                                          f"type], got {row}")
    hs, he, _ = _token_range([row[0], row[1], row[4]], 3, n_tokens, path, where)
    ts, te, tag = _token_range([row[2], row[3], row[4]], 3, n_tokens, path, where)
    return hs, he, ts, te, tag
