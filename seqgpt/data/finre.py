"""FinRE: ``head<TAB>tail<TAB>relation<TAB>sentence`` records -> one classify instance per
(sentence, head, tail) (see ``relkit``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from seqgpt.data import readkit
from seqgpt.data.instance import AtomicInstance, DataFormatError
from seqgpt.data.registry import DatasetSpec
from seqgpt.data.relkit import Mention, Sentences


def read_finre(spec: DatasetSpec, root: Path, split: str) -> Iterator[AtomicInstance]:
    """FinRE: ``head<TAB>tail<TAB>relation<TAB>sentence`` records separated by blank lines.
    Records of the same (sentence, head, tail) are one instance whose gold holds all their
    relations (a pair can hold several, e.g. 持股 and 增持); ``unknown`` adds none."""
    sentences = Sentences(spec, split, with_entities=False)
    for path in readkit.split_paths(spec, root, split):
        grouped: dict[tuple[str, str, str], tuple[list[int], list[str]]] = {}
        for line_no, line in readkit.numbered_lines(path):
            if not line.strip():
                continue
            fields = line.split("\t")
            if len(fields) != 4 or not all(f.strip() for f in fields):
                raise DataFormatError(path, line_no, "expected head<TAB>tail<TAB>relation"
                                                     "<TAB>sentence")
            head, tail, tag, text = (f.strip() for f in fields)
            for name, mention in (("head", head), ("tail", tail)):
                if mention not in text:
                    raise DataFormatError(path, line_no, f"{name} {mention!r} is not in the "
                                                         "sentence")
            gold = sentences.relation(tag, path, line_no)
            lines, relations = grouped.setdefault((text, head, tail), ([], []))
            lines.append(line_no)
            relations.extend(gold)
        for (text, head, tail), (lines, relations) in grouped.items():
            h, t = text.find(head), text.find(tail)
            yield sentences.pair(text, Mention(head, h, h + len(head)),
                                 Mention(tail, t, t + len(tail)), relations, {"lines": lines})
