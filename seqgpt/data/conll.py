"""CoNLL-style column files -> one extract instance per sentence.

One token per line, the tag in the last column, a blank line between sentences, ``-DOCSTART-``
lines ignored (they also end a sentence); a blank token tagged ``O`` is dropped. Options a
catalogue entry may set (``DatasetSpec.options``):

- ``sep``: the column separator, ``"\\t"`` (default) or ``" "``;
- ``columns``: how many columns every token line has (default 2; CoNLL-2003 has 4);
- ``scheme``: ``bio`` (default), ``iob1``, ``bioes``, ``bmes`` or ``io`` (bare types);
- ``tag_sep``: between prefix and type, ``"-"`` (default) or ``"_"`` (``B_Person``);
- ``offsets``: columns 2 and 3 hold each token's character start and end in the source
  document; the sentence text is then rebuilt with its original spacing (AnEM);
- ``facets``: a label set per split, for partially annotated corpora (Few-NERD INTER);
- ``handles``: a lone ``@`` token is joined to the next token (``@`` ``colgo`` -> ``@colgo``,
  as the tweet wrote it) and the handle is tagged ``O`` (BTC).

Tokens are joined as a user would write them (see ``spans.join_tokens``); span offsets are
computed during the join, so ``text[start:end]`` is always the tagged tokens.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seqgpt.data.instance import AtomicInstance, DataFormatError
from seqgpt.data.readkit import LabelSet, numbered_lines
from seqgpt.data.registry import DatasetSpec
from seqgpt.data.spans import decode_tags, extract, join_tokens
from seqgpt.types import Span


@dataclass
class Sentence:
    line: int  # line number of the first token
    tokens: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    offsets: list[tuple[int, int]] = field(default_factory=list)


def read_sentences(path: Path, sep: str = "\t", columns: int = 2,
                   offsets: bool = False) -> Iterator[Sentence]:
    """The sentences of one column file, streamed."""
    sentence = Sentence(0)
    what = "tab" if sep == "\t" else "space"
    for line_no, line in numbered_lines(path):
        if not line.strip() or line.startswith("-DOCSTART-"):
            if sentence.tokens:
                yield sentence
            sentence = Sentence(0)
            continue
        fields = line.split(sep)
        if len(fields) != columns or not fields[-1]:
            raise DataFormatError(path, line_no, f"expected {columns} {what}-separated columns "
                                  f"(token ... tag), got {line!r}")
        if not fields[0].strip():
            # A blank token (BTC keeps a few after emoji sequences) has no text to join or tag.
            if fields[-1] == "O":
                continue
            raise DataFormatError(path, line_no, f"blank token tagged {fields[-1]!r}")
        if not sentence.tokens:
            sentence.line = line_no
        sentence.tokens.append(fields[0])
        sentence.tags.append(fields[-1])
        sentence.lines.append(line_no)
        if offsets:
            try:
                sentence.offsets.append((int(fields[1]), int(fields[2])))
            except ValueError:
                raise DataFormatError(path, line_no, "columns 2 and 3 should be the token's "
                                      f"character start and end, got {line!r}") from None
    if sentence.tokens:
        yield sentence


def merge_handles(sentence: Sentence) -> Sentence:
    """The sentence with every ``@`` token joined to the token after it, tagged ``O``.

    BTC splits a Twitter handle into ``@`` and the user name and tags both ``B-PER`` (or ORG /
    LOC): read as written, that is two entities, one of them a bare ``@``, in text the tweet
    never had (``@ colgo``). The handle is also not an entity mention in the other social-media
    conventions (WNUT 2016/17 leave user names untagged), so it becomes ``O``; the mixture then
    teaches that a user name is not a person. A tag after the handle that continued it (``I-``)
    opens an entity of its own, as the lenient decoding does everywhere.
    """
    merged = Sentence(sentence.line)
    i = 0
    while i < len(sentence.tokens):
        token, tag, line = sentence.tokens[i], sentence.tags[i], sentence.lines[i]
        if token == "@" and i + 1 < len(sentence.tokens):
            token, tag = "@" + sentence.tokens[i + 1], "O"
            i += 1
        merged.tokens.append(token)
        merged.tags.append(tag)
        merged.lines.append(line)
        i += 1
    return merged


def text_from_offsets(sentence: Sentence, path: Path) -> tuple[str, list[int]]:
    """The sentence with its source spacing: each gap between tokens becomes that many spaces."""
    parts: list[str] = []
    starts: list[int] = []
    length = 0
    previous_end = sentence.offsets[0][0]
    for token, (start, end), line in zip(sentence.tokens, sentence.offsets, sentence.lines,
                                         strict=True):
        if end - start != len(token) or start < previous_end:
            raise DataFormatError(path, line, f"offsets {start}-{end} do not fit token {token!r} "
                                  f"after the previous token ending at {previous_end}")
        parts.append(" " * (start - previous_end))
        length += start - previous_end
        starts.append(length)
        parts.append(token)
        length += len(token)
        previous_end = end
    return "".join(parts), starts


def read_conll(spec: DatasetSpec, root: Path, split: str) -> Iterator[AtomicInstance]:
    """The registry reader for column files (see the module docstring for options)."""
    # The options this reader documents, read with their documented types.
    options: Mapping[str, Any] = spec.options
    facets = options.get("facets")
    labels = LabelSet(spec, split if isinstance(facets, dict) else "label")
    scheme = str(options.get("scheme", "bio"))
    tag_sep = str(options.get("tag_sep", "-"))
    with_offsets = bool(options.get("offsets", False))
    handles = bool(options.get("handles", False))
    for name in spec.files[split]:
        path = root / name
        for sentence in read_sentences(path, str(options.get("sep", "\t")),
                                       int(options.get("columns", 2)), with_offsets):
            if handles:
                sentence = merge_handles(sentence)
            if with_offsets:
                text, starts = text_from_offsets(sentence, path)
            else:
                text, starts = join_tokens(sentence.tokens, spec.language)
            spans = []
            for kind, first, end in decode_tags(sentence.tags, scheme, tag_sep, path,
                                                sentence.lines):
                start, stop = starts[first], starts[end - 1] + len(sentence.tokens[end - 1])
                label = labels.word(kind, path, sentence.lines[first])
                spans.append(Span(label, text[start:stop], start, stop))
            yield extract(spec, split, text, list(labels.words), spans,
                          {"source": f"{name}:{sentence.line}"})
