"""SemEval-2010 task 8: sentences with one marked (``<e1>``, ``<e2>``) pair each -> one
classify instance per sentence (see ``relkit`` for the decomposition)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from seqgpt.data import readkit
from seqgpt.data.instance import AtomicInstance, DataFormatError
from seqgpt.data.registry import DatasetSpec
from seqgpt.data.relkit import Mention, Sentences

_MARK = re.compile(r"</?e[12]>")
_DIRECTED = re.compile(r"^([\w-]+)\((e[12]),(e[12])\)$")


def read_marked_pairs(spec: DatasetSpec, root: Path, split: str) -> Iterator[AtomicInstance]:
    """SemEval-2010 task 8: ``id<TAB>"sentence with <e1>..</e1> <e2>..</e2>"``, a relation line
    (``Cause-Effect(e2,e1)`` or ``Other``), a ``Comment:`` line, a blank line. The direction
    picks head and tail, so the relation label carries no direction suffix."""
    sentences = Sentences(spec, split, with_entities=False)
    for path in readkit.split_paths(spec, root, split):
        lines = readkit.numbered_lines(path)
        for line_no, line in lines:
            if not line.strip():
                continue
            ident, tab, quoted = line.partition("\t")
            if not tab or not ident.strip().isdigit():
                raise DataFormatError(path, line_no, 'expected \'id<TAB>"sentence"\'')
            quoted = quoted.strip()
            if len(quoted) < 2 or quoted[0] != '"' or quoted[-1] != '"':
                raise DataFormatError(path, line_no, "expected the sentence in double quotes")
            text, e1, e2 = _unmark(quoted[1:-1], path, line_no)
            rel_no, relation = next(lines, (line_no + 1, ""))
            comment_no, comment = next(lines, (rel_no + 1, ""))
            if not comment.startswith("Comment"):
                raise DataFormatError(path, comment_no, "expected a 'Comment:' line")
            relation = relation.strip()
            if relation == sentences.no_relation:
                head, tail, gold = e1, e2, []
            else:
                match = _DIRECTED.match(relation)
                if match is None:
                    raise DataFormatError(path, rel_no, "expected a relation like "
                                                        f"'Cause-Effect(e1,e2)', got {relation!r}")
                name, first, _ = match.groups()
                head, tail = (e1, e2) if first == "e1" else (e2, e1)
                gold = sentences.relation(name, path, rel_no)
            yield sentences.pair(text, head, tail, gold, {"id": ident.strip()})


def _unmark(marked: str, path: Path, line: int) -> tuple[str, Mention, Mention]:
    """Remove ``<e1>``/``<e2>`` markers; return the text and both mentions in it."""
    found: dict[str, int] = {}
    pieces, at, size = [], 0, 0
    for match in _MARK.finditer(marked):
        pieces.append(marked[at:match.start()])
        size += match.start() - at
        at = match.end()
        found[match.group()] = size
    pieces.append(marked[at:])
    text = "".join(pieces)
    mentions = []
    for n in ("1", "2"):
        start, end = found.get(f"<e{n}>"), found.get(f"</e{n}>")
        if start is None or end is None or start >= end or len(found) != 4:
            raise DataFormatError(path, line, "expected one <e1>..</e1> and one <e2>..</e2>")
        mentions.append(Mention(text[start:end], start, end))
    return text, mentions[0], mentions[1]
