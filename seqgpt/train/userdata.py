"""A user's training file -> atomic instances, through the project's readers.

- JSON Lines (``.jsonl``, ``.json``): the evaluator's format (see
  :func:`seqgpt.evaluate.runner.read_jsonl`): ``{"text", "spans": [{"label", "start", "end"}]}``
  for extraction, ``{"text", "labels", "label_set"}`` for classification, or atomic instances as
  ``seqgpt data build`` writes them.
- CoNLL (``.conll``, ``.bio``, ``.iob``, ``.iob2``, ``.bioes``): one token per line, the tag in
  the last column, tab- or space-separated (found from the first token line), a blank line
  between sentences; read by :func:`seqgpt.data.conll.read_conll`. The label set is every
  entity type of the file, named as tagged (``B-PER`` -> ``PER``).
- CSV (``.csv``): a header row with a ``text`` and a ``label`` column, one classification per
  row; read by :func:`seqgpt.data.textcls.read_csv`. The label set is every label of the file.

Whatever the format, each instance's label set is what the model will be asked at inference,
so names that say what they mean ("person" rather than "PER") train a better model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from seqgpt import prompt
from seqgpt.data.conll import read_conll, read_sentences
from seqgpt.data.instance import AtomicInstance, DataFormatError
from seqgpt.data.readkit import csv_rows, numbered_lines
from seqgpt.data.registry import DatasetSpec, Reader
from seqgpt.data.spans import decode_tags
from seqgpt.data.textcls import read_csv
from seqgpt.errors import SeqGPTError
from seqgpt.evaluate.runner import guess_language, read_jsonl

Format = Literal["jsonl", "conll", "csv"]

SUFFIXES: dict[str, Format] = {
    ".jsonl": "jsonl", ".json": "jsonl", ".conll": "conll", ".bio": "conll", ".iob": "conll",
    ".iob2": "conll", ".bioes": "conll", ".csv": "csv",
}
#: Tagging schemes the CoNLL reader decodes.
SCHEMES = ("bio", "iob1", "bioes", "bmes", "io")


def file_format(path: Path, fmt: str | None = None) -> Format:
    if fmt is not None:
        if fmt not in ("jsonl", "conll", "csv"):
            raise SeqGPTError(f"format must be jsonl, conll or csv, got {fmt!r}")
        return fmt  # type: ignore[return-value]
    found = SUFFIXES.get(path.suffix.lower())
    if found is None:
        raise SeqGPTError(f"{path}: cannot tell the format from the suffix {path.suffix!r}; "
                          f"name it {', '.join(sorted(SUFFIXES))} or give the format "
                          "(--format jsonl|conll|csv)")
    return found


def read_training_file(path: str | Path, fmt: str | None = None,
                       scheme: str = "bio") -> list[AtomicInstance]:
    """All instances of one user file; a bad line raises :class:`DataFormatError` naming it."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise SeqGPTError(f"{path}: no such file")
    kind = file_format(path, fmt)
    if kind == "jsonl":
        instances = read_jsonl(path)
    elif kind == "conll":
        instances = _read_conll(path, scheme)
    else:
        instances = _read_csv(path)
    if not instances:
        raise DataFormatError(path, None, "the file holds no instances")
    return instances


def _spec(path: Path, language: str, kind: str, labels: list[str], reader: Reader,
          **options: object) -> DatasetSpec:
    """A dataset spec for one user file (never registered): labels are named as in the file."""
    try:
        prompt.check_labels(labels)
    except prompt.InputError as error:
        raise DataFormatError(path, None, f"the file's labels cannot be asked: {error}") from None
    return DatasetSpec(path.stem, language, kind, {"file": (path.name,)}, reader,
                       {label: label for label in labels}, options)


def _read_conll(path: Path, scheme: str) -> list[AtomicInstance]:

    if scheme not in SCHEMES:
        raise SeqGPTError(f"scheme must be one of {', '.join(SCHEMES)}, got {scheme!r}")
    sep, columns = _columns(path)
    types: dict[str, None] = {}
    sample: list[str] = []
    for sentence in read_sentences(path, sep, columns):
        for kind, _, _ in decode_tags(sentence.tags, scheme, "-", path, sentence.lines):
            types.setdefault(kind)
        if len(sample) < 200:
            sample += sentence.tokens
    if not types:
        raise DataFormatError(path, None, f"no entity tags ({scheme.upper()} scheme) in the file; "
                                          "every token is tagged O")
    language = guess_language("".join(sample))
    spec = _spec(path, language, "ner", list(types), read_conll, sep=sep, columns=columns,
                 scheme=scheme)
    return list(read_conll(spec, path.parent, "file"))


def _columns(path: Path) -> tuple[str, int]:
    """Separator and column count of a CoNLL file, from its first token line."""
    for line_no, line in numbered_lines(path):
        if not line.strip() or line.startswith("-DOCSTART-"):
            continue
        sep = "\t" if "\t" in line else " "
        columns = len(line.split(sep))
        if columns < 2:
            raise DataFormatError(path, line_no, "expected 'token<TAB>tag' (or space-separated "
                                                 f"columns with the tag last), got {line!r}")
        return sep, columns
    raise DataFormatError(path, None, "the file holds no token lines")


def _read_csv(path: Path) -> list[AtomicInstance]:

    rows = csv_rows(path)
    _, header = next(rows, (1, []))
    if "text" not in header or "label" not in header:
        raise DataFormatError(path, 1, f"expected a header with columns 'text' and 'label', "
                                       f"got {header}")
    text_at, label_at = header.index("text"), header.index("label")
    labels: dict[str, None] = {}
    sample: list[str] = []
    for line_no, row in rows:
        if len(row) != len(header):
            raise DataFormatError(path, line_no, f"expected {len(header)} fields, got {len(row)}")
        label = row[label_at].strip()
        if not label:
            raise DataFormatError(path, line_no, "field 'label' is empty")
        labels.setdefault(label)
        if len(sample) < 50:
            sample.append(row[text_at])
    spec = _spec(path, guess_language("".join(sample)), "cls", list(labels), read_csv)
    return list(read_csv(spec, path.parent, "file"))
