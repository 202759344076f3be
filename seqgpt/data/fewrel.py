"""FewRel: token-index relation examples grouped by relation -> one classify instance per
example (see ``relkit``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from seqgpt.data import readkit
from seqgpt.data.instance import AtomicInstance, DataFormatError
from seqgpt.data.registry import DatasetSpec
from seqgpt.data.relkit import Mention, Sentences, join_token_list


def read_fewrel(spec: DatasetSpec, root: Path, split: str) -> Iterator[AtomicInstance]:
    """FewRel: ``{relation: [{"tokens", "h": [name, id, [[token indices]]], "t": ...}]}``.
    Labels = the relations of the file (FewRel's domains have different relation sets); the
    head/tail is its first listed occurrence."""
    sentences = Sentences(spec, split, with_entities=False)
    for path in readkit.split_paths(spec, root, split):
        data = readkit.load_json(path)
        if not isinstance(data, dict):
            raise DataFormatError(path, None, "expected a JSON object of relation -> examples")
        words = [sentences.relations.word(tag, path, None) for tag in data]
        for tag, examples in data.items():
            if not isinstance(examples, list):
                raise DataFormatError(path, None, f"{tag}: expected a list of examples")
            for i, example in enumerate(examples):
                where = f"{tag}[{i}]"
                if not isinstance(example, dict):
                    raise DataFormatError(path, None, f"{where}: expected an object")
                tokens = readkit.need(example, "tokens", path, None, list, where)
                text, starts, ends = join_token_list(tokens, path, where)
                head, tail = (_fewrel_entity(example, key, text, starts, ends, path, where)
                              for key in ("h", "t"))
                yield sentences.pair(text, head, tail, [spec.label(tag)], {"id": f"{tag}/{i}"},
                                     words)


def _fewrel_entity(example: dict[str, Any], key: str, text: str, starts: list[int],
                   ends: list[int], path: Path, where: str) -> Mention:
    entity = readkit.need(example, key, path, None, list, where)
    occurrences = entity[2] if len(entity) == 3 and isinstance(entity[2], list) else None
    if not occurrences or not isinstance(occurrences[0], list) or not occurrences[0]:
        raise DataFormatError(path, None, f"{where}: {key!r} should be [name, id, "
                                          "[[token indices], ...]]")
    first = occurrences[0]
    if (not all(isinstance(i, int) and 0 <= i < len(starts) for i in first)
            or first != list(range(first[0], first[-1] + 1))):
        raise DataFormatError(path, None, f"{where}: {key!r} token indices {first} are not a "
                                          "contiguous range inside the sentence")
    start, end = starts[first[0]], ends[first[-1]]
    return Mention(text[start:end], start, end)
