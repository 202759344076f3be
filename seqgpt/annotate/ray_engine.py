"""``seqgpt annotate --engine ray``: the same job on Ray Data (``pip install -e ".[ray]"``).

Input files are read with ``read_binary_files`` and cut into records by the very readers of the
local engine (same formats, same bad-record rules and line numbers; Parquet too); an actor pool
(``map_batches`` with ``ActorPoolStrategy``), one model per actor, annotates them; the driver
writes JSON Lines or Parquet in input order (``preserve_order``) with the same errors file.
Point it at a cluster with ``--ray-address ray://head:10001`` (the input path must then be
readable by the cluster: a shared folder or ``s3://...``; seqgpt must be installed on its
nodes). Ray parallelises the reading over files and the annotation over actors; a lost actor's
work is retried by Ray. There is no checkpoint: a job whose driver dies is run again with
``--overwrite``.
"""

from __future__ import annotations

import io
import json
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from seqgpt.annotate import tasks
from seqgpt.annotate.formats import Record, Source, parquet_records, read_records
from seqgpt.annotate.job import AnnotateError, Job, Summary, check
from seqgpt.annotate.progress import Progress


class _Split:
    """Input files (rows of ``read_binary_files``) -> blocks of ``size`` records each, so one
    big file still feeds every actor."""

    def __init__(self, fmt: str, text_field: str, size: int) -> None:
        self.fmt, self.text_field, self.size = fmt, text_field, size

    def __call__(self, files: dict[str, np.ndarray]) -> Iterator[dict[str, np.ndarray]]:
        for path, data in zip(files["path"], files["bytes"], strict=True):
            if self.fmt == "parquet":
                records = parquet_records(data, self.text_field, str(path))
            else:
                records = read_records(Source(io.BytesIO(data)), self.fmt, self.text_field,
                                       str(path))
            rows: list[dict[str, Any]] = []
            for record in records:
                rows.append(_row(str(path), record))
                if len(rows) == self.size:
                    yield _columns(rows)
                    rows = []
            if rows:
                yield _columns(rows)


def _columns(rows: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    return {key: np.array([row[key] for row in rows], dtype=object if key != "line" else None)
            for key in rows[0]}


def _row(path: str, record: Record) -> dict[str, Any]:
    fields = "" if record.fields is None else json.dumps(record.fields, ensure_ascii=False,
                                                         default=str)
    return {"file": path, "line": record.line, "fields": fields, "text": record.text or "",
            "error": record.error or ""}


class _Annotator:
    """An actor holding one model; annotates a batch of records."""

    def __init__(self, model: str | None, task: str, labels: Any, options: dict[str, Any],
                 output_field: str) -> None:
        import seqgpt

        self.model = seqgpt.load(model)
        self.task, self.labels, self.options = task, labels, options
        self.output_field = output_field

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        texts = [str(t) for t, e in zip(batch["text"], batch["error"], strict=True) if not e]
        results = iter(tasks.run_batch(self.model, self.task, texts, self.labels, self.options)
                       if texts else [])
        lines, errors = [], []
        for fields, error in zip(batch["fields"], batch["error"], strict=True):
            result = None
            if not error:
                result, error = next(results)
            lines.append("" if error else json.dumps(
                {**json.loads(fields), self.output_field: result}, ensure_ascii=False,
                default=str))
            errors.append(error or "")
        return {"file": batch["file"], "line": batch["line"],
                "out": np.array(lines, dtype=object), "error": np.array(errors, dtype=object)}


def run(job: Job, address: str | None = None) -> Summary:
    """Run ``job`` on Ray: ``job.workers`` actors, each with its own model."""
    try:
        import ray
    except ModuleNotFoundError:
        raise AnnotateError("--engine ray needs Ray: pip install -e '.[ray]'") from None
    fmt, labels = check(job)
    if job.input == "-":
        raise AnnotateError("--engine ray reads files (or folders of files), not stdin")
    for path in (job.output, job.errors_path, job.checkpoint_path):
        if Path(path).exists() and not job.overwrite:
            raise AnnotateError(f"{path} exists; --engine ray does not resume: pass "
                                "--overwrite to start over, or choose another -o")
    started = time.monotonic()
    ours = not ray.is_initialized()
    if ours:
        ray.init(address=address, include_dashboard=False, log_to_driver=False,
                 configure_logging=False)
    try:
        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True
        context.enable_progress_bars = False  # ours is the job's progress bar
        logging.getLogger("ray.data").setLevel(logging.ERROR)  # INFO per stage, perf hints
        # Reading and splitting are light and ask no CPU. Repartitioning (so that the records
        # of one big file reach every actor) needs one, so actors leave a CPU free on a small
        # cluster: actors holding every CPU would starve the input and stall the pipeline.
        records = ray.data.read_binary_files(job.input, include_paths=True, num_cpus=0).map_batches(
            _Split(fmt, job.text_field, job.chunk_size), batch_size=1, batch_format="numpy",
            num_cpus=0).repartition(target_num_rows_per_block=job.chunk_size)
        cpus = float(ray.cluster_resources().get("CPU", 1.0))
        annotated = records.map_batches(
            _Annotator, fn_constructor_kwargs={
                "model": job.model, "task": job.task, "labels": labels,
                "options": job.call_options(), "output_field": job.output_field},
            batch_size=job.chunk_size, batch_format="numpy",
            num_cpus=min(1.0, max(cpus - 1.0, 0.0) / job.workers),
            compute=ray.data.ActorPoolStrategy(size=job.workers))
        return _write(job, annotated, several=os.path.isdir(job.input), started=started)
    finally:
        if ours:
            ray.shutdown()


def _write(job: Job, annotated: Any, several: bool, started: float) -> Summary:
    Path(job.checkpoint_path).unlink(missing_ok=True)
    Path(job.errors_path).unlink(missing_ok=True)
    parquet = job.output.lower().endswith(".parquet")
    out = _ParquetOut(job.output, job.output_field) if parquet else _JsonlOut(job.output)
    progress = Progress(None, tty=job.progress)
    counts = {"records": 0, "annotated": 0, "errors": 0}
    errors = None
    try:
        for batch in annotated.iter_batches(batch_size=job.chunk_size, batch_format="numpy"):
            lines, bad = [], []
            for file, line, text, error in zip(batch["file"], batch["line"], batch["out"],
                                               batch["error"], strict=True):
                if error:
                    where = {"file": str(file)} if several else {}
                    bad.append(json.dumps({**where, "line": int(line), "error": str(error)},
                                          ensure_ascii=False) + "\n")
                else:
                    lines.append(str(text))
            out.write(lines)
            if bad:
                errors = errors or open(job.errors_path, "wb")  # closed below
                errors.write("".join(bad).encode("utf-8"))
            counts["records"] += len(batch["line"])
            counts["annotated"] += len(lines)
            counts["errors"] += len(bad)
            progress.update(counts["records"], counts["errors"], 0, counts["records"])
    finally:
        out.close()
        if errors:
            errors.close()
        progress.close()
    return Summary(job.output, job.errors_path, counts["records"], counts["annotated"],
                   counts["errors"], 0, time.monotonic() - started)


class _JsonlOut:
    def __init__(self, path: str) -> None:
        self.handle = open(path, "wb")  # closed by close()

    def write(self, lines: list[str]) -> None:
        self.handle.write("".join(f"{line}\n" for line in lines).encode("utf-8"))

    def close(self) -> None:
        self.handle.close()


class _ParquetOut:
    """Parquet output: the input fields as columns (types from the first batch) and the result
    as a JSON string column (results of different texts have different shapes)."""

    def __init__(self, path: str, field: str) -> None:
        self.path, self.field = path, field
        self.writer: Any = None

    def write(self, lines: list[str]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not lines:
            return
        rows = [json.loads(line) for line in lines]
        for row in rows:
            row[self.field] = json.dumps(row[self.field], ensure_ascii=False)
        if self.writer is None:
            table = pa.Table.from_pylist(rows)
            self.writer = pq.ParquetWriter(self.path, table.schema)
        else:
            try:
                table = pa.Table.from_pylist(rows, schema=self.writer.schema)
            except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
                raise AnnotateError(f"{self.path}: input records do not share one set of "
                                    f"column types, which Parquet needs ({err}); write JSON "
                                    "Lines instead") from None
        self.writer.write_table(table)

    def close(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self.writer is None:  # nothing annotated: still a valid (empty) Parquet file
            pq.write_table(pa.table({}), self.path)
        else:
            self.writer.close()
