"""The resumable annotate job on one machine.

Files of a job writing ``OUT``: ``OUT`` itself (JSON Lines, append-only: each input record plus
the result, in input order), ``OUT.errors.jsonl`` (one line per bad record, created on the first
one) and ``OUT.checkpoint.json``.

Input records are cut into chunks of ``chunk_size`` records. After a chunk is annotated, its
output lines and error lines are appended and fsync'ed, then the checkpoint (records read, the
input bytes read and their SHA-256, the sizes of both files, the job's fingerprint) is written
to a temporary file, fsync'ed and renamed over the old one. Whenever the job dies, the
checkpoint on disk describes a consistent prefix of the work; the next run truncates both files
to the sizes it names (dropping any half-written chunk), re-reads the input prefix to check it
is byte-for-byte the one annotated, and goes on from there. Chunks are cut the same way on every
run, so a resumed job writes exactly the bytes a one-shot job would.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import sys
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import IO, Any

from seqgpt.annotate import tasks
from seqgpt.annotate.formats import Record, Source, guess_format, open_input, read_records
from seqgpt.annotate.progress import Progress
from seqgpt.api import DEFAULT_MODEL, Model
from seqgpt.errors import AnnotateError
from seqgpt.fsutil import atomic_file

CHECKPOINT_FORMAT = 1
DEFAULT_CHUNK = 128


@dataclass
class Job:
    """Everything that defines an annotate job. ``options`` go to every model call (e.g.
    ``threshold``) and are part of the job's identity; ``batch_size``, ``chunk_size`` and
    ``workers`` only change speed and may differ between a run and its resumption."""

    input: str  # a path, or "-" for stdin
    output: str
    task: str = "extract"
    labels: Any = None
    model: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    input_format: str | None = None
    text_field: str = "text"
    output_field: str = "result"
    batch_size: int | None = None
    chunk_size: int = DEFAULT_CHUNK
    workers: int = 1
    errors: str | None = None
    overwrite: bool = False
    progress: bool | None = None  # None: a bar on a terminal, a log line a minute otherwise

    @property
    def errors_path(self) -> str:
        return self.errors or f"{self.output}.errors.jsonl"

    @property
    def checkpoint_path(self) -> str:
        return f"{self.output}.checkpoint.json"

    def call_options(self) -> dict[str, Any]:
        extra = {} if self.batch_size is None else {"batch_size": self.batch_size}
        return {**self.options, **extra}


@dataclass
class Summary:
    output: str
    errors_path: str
    records: int  # input records read, over every run of the job
    annotated: int
    errors: int
    resumed: int  # records done by earlier runs
    seconds: float  # this run

    @property
    def rate(self) -> float:
        return (self.records - self.resumed) / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        plural = "" if self.errors == 1 else "s"
        errors = f", {self.errors:,} error{plural} (see {self.errors_path})" if self.errors else ""
        resumed = f", {self.resumed:,} done before this run" if self.resumed else ""
        return (f"annotate: {self.records:,} records: {self.annotated:,} annotated{errors}"
                f"{resumed}; {self.seconds:.1f} s, {self.rate:,.1f} records/s -> {self.output}")


@dataclass
class _State:
    """What the checkpoint holds: the job's identity and the consistent prefix done so far."""

    fingerprint: dict[str, Any]
    records: int = 0
    annotated: int = 0
    errors: int = 0
    input_bytes: int = 0
    input_sha256: str = hashlib.sha256().hexdigest()
    output_bytes: int = 0
    errors_bytes: int = 0
    done: bool = False


@dataclass
class _Chunk:
    records: list[Record]
    input_bytes: int
    input_sha256: str


def check(job: Job) -> tuple[str, Any]:
    """Validate the settings; return the input format and the normalised labels."""
    if job.output == "-" or not job.output:
        raise AnnotateError("-o must name a file: the job appends to it and resumes from it")
    if job.input != "-" and Path(job.input).resolve() == Path(job.output).resolve():
        raise AnnotateError("-o must differ from the input file")
    for name in ("chunk_size", "workers"):
        value = getattr(job, name)
        if not isinstance(value, int) or value < 1:
            raise AnnotateError(f"--{name.replace('_', '-')} must be a positive integer, "
                                f"got {value!r}")
    if job.batch_size is not None and job.batch_size < 1:
        raise AnnotateError(f"--batch-size must be a positive integer, got {job.batch_size}")
    if job.labels is None:
        raise AnnotateError("--labels is required")
    fmt = guess_format(job.input, job.input_format)
    return fmt, tasks.get(job.task).labels(job.labels)


def fingerprint(job: Job, fmt: str, labels: Any) -> dict[str, Any]:
    """What must not change between a run and its resumption (the input is checked apart,
    by the hash of the bytes already read)."""
    from seqgpt import __version__

    return {"seqgpt": __version__, "model": model_identity(job.model), "task": job.task,
            "labels": labels, "options": job.options, "input_format": fmt,
            "text_field": job.text_field, "output_field": job.output_field}


def model_identity(model: str | None) -> str:
    """A local model folder is identified by the hash of its files; a hub id by its name."""
    folder = DEFAULT_MODEL if model is None else Path(model).expanduser()
    if not folder.is_dir():
        return str(model)
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        with path.open("rb") as handle:
            for block in iter(partial(handle.read, 1 << 20), b""):
                digest.update(block)
    name = "default" if model is None else str(model)
    return f"{name} sha256:{digest.hexdigest()[:16]}"


def run(job: Job, model: Model | None = None) -> Summary:
    """Run (or resume) ``job``. ``model`` is an already loaded model for a one-worker job."""
    fmt, labels = check(job)
    if fmt == "parquet":
        raise AnnotateError("Parquet input needs --engine ray (pip install -e '.[ray]')")
    if model is not None and job.workers > 1:
        raise AnnotateError("a loaded model cannot be shared by worker processes; pass its "
                            "name instead")
    started = time.monotonic()
    with ExitStack() as files:
        handle = open_input(job.input)
        if job.input != "-":
            files.enter_context(handle)
        state = _open_state(job, fingerprint(job, fmt, labels))
        resumed = state.records
        source = Source(handle)
        records = read_records(source, fmt, job.text_field,
                               "stdin" if job.input == "-" else job.input)
        _skip_done(records, source, state, job.input)
        # Reading one record now surfaces a bad input (a CSV header without the text column)
        # before any output file is created or truncated.
        first = next(records, None)
        records = itertools.chain([first] if first else [], records)
        out = files.enter_context(_open_output(job.output, state.output_bytes))
        errors = _ErrorsFile(job.errors_path, state.errors_bytes)
        files.callback(errors.close)
        engine = (_InProcess(model or _load(job.model)) if job.workers == 1
                  else _Pool(job.model, job.workers))
        files.callback(engine.close)
        progress = Progress(_size(job.input), start=state.input_bytes, tty=job.progress)
        files.callback(progress.close)

        def commit(chunk: _Chunk, future: Future) -> None:
            _commit(job, state, out, errors, chunk, future)
            progress.update(state.records, state.errors, state.input_bytes,
                            state.records - resumed)

        try:
            pending: deque[tuple[_Chunk, Future]] = deque()
            for chunk in _chunks(records, source, job.chunk_size):
                texts = [r.text for r in chunk.records if r.text is not None]
                pending.append((chunk, engine.submit(job.task, texts, labels,
                                                     job.call_options())))
                while len(pending) > engine.depth:
                    commit(*pending.popleft())
            while pending:
                commit(*pending.popleft())
        except KeyboardInterrupt:
            print(f"\nannotate: stopped after {state.records:,} records; re-run the same "
                  "command to resume", file=sys.stderr)
            raise
        state.done = True
        _save(job.checkpoint_path, state)
        if progress.tty:
            progress.update(state.records, state.errors, state.input_bytes,
                            state.records - resumed, force=True)
    return Summary(job.output, job.errors_path, state.records, state.annotated, state.errors,
                   resumed, time.monotonic() - started)


# ------------------------------------------------------------------ checkpoint and files
def _open_state(job: Job, fp: dict[str, Any]) -> _State:
    checkpoint = Path(job.checkpoint_path)
    if job.overwrite:
        checkpoint.unlink(missing_ok=True)
        return _State(fp)
    if not checkpoint.exists():
        for path in (job.output, job.errors_path):
            if Path(path).exists() and Path(path).stat().st_size:
                raise AnnotateError(f"{path} exists and no checkpoint says which job wrote it; "
                                    "pass --overwrite to start over, or choose another -o")
        return _State(fp)
    try:
        raw = json.loads(checkpoint.read_text(encoding="utf-8"))
        if raw.pop("format") != CHECKPOINT_FORMAT:
            raise ValueError("unknown checkpoint format")
        state = _State(**raw)
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise AnnotateError(f"{checkpoint} is not a readable annotate checkpoint ({err}); "
                            "pass --overwrite to start over") from None
    changed = [key for key in sorted(set(fp) | set(state.fingerprint))
               if fp.get(key) != state.fingerprint.get(key)]
    if changed:
        was = "; ".join(f"{key} was {state.fingerprint.get(key)!r}, now {fp.get(key)!r}"
                        for key in changed)
        raise AnnotateError(f"{job.output} belongs to a different job ({was}); re-run the "
                            "original command to finish it, pass --overwrite to start over, or "
                            "choose another -o")
    for path, size in ((job.output, state.output_bytes), (job.errors_path, state.errors_bytes)):
        have = Path(path).stat().st_size if Path(path).exists() else 0
        if have < size:
            raise AnnotateError(f"{path} has {have} bytes but the checkpoint says {size} were "
                                "written; was it edited? pass --overwrite to start over")
    return state


def _save(path: str, state: _State) -> None:
    """Write-to-temp, fsync, rename, fsync the folder: the checkpoint on disk is always whole."""
    with atomic_file(path, "w") as handle:
        json.dump({"format": CHECKPOINT_FORMAT, **asdict(state)}, handle, ensure_ascii=False)


def _open_output(path: str, size: int) -> IO[bytes]:
    handle = open(path, "ab")  # closed by run()
    handle.truncate(size)  # drop what a killed run wrote after its last checkpoint
    handle.seek(0, os.SEEK_END)  # truncate() leaves the position (and so tell()) where it was
    return handle


class _ErrorsFile:
    """The errors file, created on the first bad record."""

    def __init__(self, path: str, size: int) -> None:
        self.path = path
        self.handle: IO[bytes] | None = None
        if Path(path).exists():
            self.handle = _open_output(path, size)

    def write(self, data: bytes) -> None:
        if self.handle is None:
            self.handle = open(self.path, "ab")
        _append(self.handle, data)

    def size(self) -> int:
        return self.handle.tell() if self.handle else 0

    def close(self) -> None:
        if self.handle:
            self.handle.close()


def _append(handle: IO[bytes], data: bytes) -> None:
    handle.write(data)
    handle.flush()
    os.fsync(handle.fileno())


def _size(path: str) -> int | None:
    if path == "-":
        return None
    stat = Path(path).stat()
    return stat.st_size or None


# ------------------------------------------------------------------ reading and writing
def _skip_done(records: Iterator[Record], source: Source, state: _State, name: str) -> None:
    """Re-read the records earlier runs did and check they are the same bytes."""
    read = sum(1 for _ in zip(range(state.records), records, strict=False))
    if (read != state.records or source.offset != state.input_bytes
            or source.hasher.hexdigest() != state.input_sha256):
        where = "stdin" if name == "-" else name
        raise AnnotateError(f"{where} changed since the job started: its first "
                            f"{state.input_bytes} bytes ({state.records} records) are not the "
                            "ones already annotated; pass --overwrite to start over")


def _chunks(records: Iterator[Record], source: Source, size: int) -> Iterator[_Chunk]:
    # Each chunk is yielded before the next record is read, so the source's offset and hash
    # are exactly those of the input up to the chunk's end (run() reads the first record
    # early, which only ever belongs to the first chunk).
    batch: list[Record] = []
    for record in records:
        batch.append(record)
        if len(batch) == size:
            yield _Chunk(batch, source.offset, source.hasher.hexdigest())
            batch = []
    if batch:
        yield _Chunk(batch, source.offset, source.hasher.hexdigest())


def _commit(job: Job, state: _State, out: IO[bytes], errors: _ErrorsFile, chunk: _Chunk,
            future: Future) -> None:
    from concurrent.futures.process import BrokenProcessPool

    try:
        results = iter(future.result())
    except BrokenProcessPool:
        raise AnnotateError("a worker process died (out of memory?); re-run the same command "
                            "to resume") from None
    lines: list[str] = []
    bad: list[str] = []
    for record in chunk.records:
        error = record.error
        if error is None:
            result, error = next(results)
        if error is None:
            lines.append(json.dumps({**(record.fields or {}), job.output_field: result},
                                    ensure_ascii=False, default=str) + "\n")
        else:
            bad.append(json.dumps({"line": record.line, "error": error}, ensure_ascii=False)
                       + "\n")
    _append(out, "".join(lines).encode("utf-8"))
    if bad:
        errors.write("".join(bad).encode("utf-8"))
    state.records += len(chunk.records)
    state.annotated += len(lines)
    state.errors += len(bad)
    state.input_bytes, state.input_sha256 = chunk.input_bytes, chunk.input_sha256
    state.output_bytes, state.errors_bytes = out.tell(), errors.size()
    _save(job.checkpoint_path, state)


# ------------------------------------------------------------------ engines
def _load(model: str | None) -> Model:
    import seqgpt

    return seqgpt.load(model)


class _InProcess:
    depth = 0

    def __init__(self, model: Model) -> None:
        self.model = model

    def submit(self, task: str, texts: list[str], labels: Any,
               options: dict[str, Any]) -> Future:
        future: Future = Future()
        future.set_result(tasks.run_batch(self.model, task, texts, labels, options)
                          if texts else [])
        return future

    def close(self) -> None:
        pass


class _Pool:
    """``workers`` processes, each loading its own model and sharing nothing; the main process
    reads the input, hands out chunks and writes results in input order. Workers exit when
    the main process dies, however it dies (``worker.exit_with_parent``)."""

    def __init__(self, model: str | None, workers: int) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        from seqgpt.annotate import worker

        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        threads = max(1, (cores or 1) // workers)
        self.executor = ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=worker.init, initargs=(model, threads, os.getpid()))
        self.work = worker.work
        self.depth = 2 * workers  # enough queued work that no worker waits on the reader

    def submit(self, task: str, texts: list[str], labels: Any,
               options: dict[str, Any]) -> Future:
        return self.executor.submit(self.work, task, texts, labels, options)

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
