"""seqgpt annotate: input formats and bad records, the resumable job (a real SIGKILL), refusals
of a changed job, worker processes, and the command line."""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from seqgpt.annotate import job as annotate_job
from seqgpt.annotate.formats import InputFormatError, Source, guess_format, read_records
from seqgpt.annotate.job import AnnotateError, Job, run
from seqgpt.annotate.progress import Progress
from seqgpt.annotate.tasks import TASKS, run_batch
from seqgpt.api import Model
from seqgpt.cli import main
from seqgpt.types import Extraction, SeqGPTError

ROOT = Path(__file__).resolve().parents[1]
PEOPLE = ["Alice Martin", "Tim Cook", "Angela Merkel", "Li Wei", "Marie Curie"]
CITIES = ["Paris", "Beijing", "Berlin", "Tokyo", "London"]


@pytest.fixture(scope="module")
def nlu():
    import seqgpt

    return seqgpt.load()


@pytest.fixture
def one_thread():
    """The SIGKILL test compares an in-process run with a subprocess run byte for byte: both
    use one torch thread, so both sum in the same order."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def corpus(n: int, seed: int = 0) -> list[str]:
    r = random.Random(seed)
    return [f"{r.choice(PEOPLE)} flew from {r.choice(CITIES)} to {r.choice(CITIES)} on day {i}."
            + " It rained." * r.randrange(3) for i in range(n)]


def records(data: bytes, fmt: str, field: str = "text") -> list[tuple[int, str | None, str | None]]:
    return [(r.line, r.text, r.error)
            for r in read_records(Source(io.BytesIO(data)), fmt, field)]


# ------------------------------------------------------------------ formats
def test_jsonl_bad_records_keep_their_line_numbers() -> None:
    data = (b'\xef\xbb\xbf{"text": "one"}\r\n{"id": 2}\n\n[1, 2]\n{"text": 3}\n{bad\n'
            b'{"text": "  "}\n{"text": "caf\xe9"}\n{"text": "\xe4\xb8\xad\xe6\x96\x87 two"}\n')
    assert records(data, "jsonl") == [
        (1, "one", None),
        (2, None, "missing field 'text'"),
        (3, None, "blank line; expected a JSON object"),
        (4, None, "expected a JSON object, got list"),
        (5, None, "field 'text' should be a string, got int"),
        (6, None, "not valid JSON (Expecting property name enclosed in double quotes at column 2)"),
        (7, None, "field 'text' is empty"),
        (8, None, "bytes are not valid UTF-8"),
        (9, "中文 two", None),
    ]


def test_csv_rows_span_lines_and_bad_rows_are_named() -> None:
    data = (b'id,body\n1,"first line\nsecond line"\n2\n3,\n4,"ok, fine"\n\n5,"x",extra\n'
            b'6,\xff\n7,last')
    assert records(data, "csv", "body") == [
        (2, "first line\nsecond line", None),
        (4, None, "row has 1 fields, the header has 2"),
        (5, None, "field 'body' is empty"),
        (6, "ok, fine", None),
        (7, None, "blank line; expected a CSV row"),
        (8, None, "row has 3 fields, the header has 2"),
        (9, None, "bytes are not valid UTF-8"),
        (10, "last", None),
    ]
    assert records(b"a\tb\nx\ty\n", "tsv", "b") == [(2, "y", None)]
    with pytest.raises(InputFormatError, match="no column 'text'.*--text-column"):
        records(b"id,body\n1,x\n", "csv")


def test_text_lines_and_format_guess() -> None:
    assert records(b"a\r\n\nb", "text") == [(1, "a", None), (2, None, "field 'text' is empty"),
                                            (3, "b", None)]
    assert [guess_format(p, None) for p in ("a.jsonl", "B.CSV", "c.tsv", "-", "x.parquet")] == [
        "jsonl", "csv", "tsv", "text", "parquet"]
    assert guess_format("a.data", "jsonl") == "jsonl"
    with pytest.raises(InputFormatError, match="--input-format"):
        guess_format("a.data", None)


def test_source_counts_exactly_the_bytes_of_the_records_read() -> None:
    # The checkpoint relies on it: after each record, offset and hash cover that record's end.
    data = b'id,body\n1,"a\nb"\n2,c\n3,d\n'
    source = Source(io.BytesIO(data))
    ends = []
    for _ in read_records(source, "csv", "body"):
        ends.append(source.offset)
        assert source.hasher.hexdigest() == hashlib.sha256(data[:source.offset]).hexdigest()
    assert ends == [len(b'id,body\n1,"a\nb"\n'), len(data) - 4, len(data)]


# ------------------------------------------------------------------ the job
def test_job_writes_records_in_order_with_results_and_errors(tmp_path: Path, nlu) -> None:
    lines = [{"id": 1, "text": "Tim Cook visited Beijing."}, {"id": 2, "body": "no text"},
             {"id": 3, "text": "阿里巴巴集团于1999年在杭州成立。"}, {"id": 4, "text": ""}]
    lines += [{"id": 5 + i, "text": text} for i, text in enumerate(corpus(5))]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines),
                      encoding="utf-8")
    summary = run(Job(str(source), str(tmp_path / "out.jsonl"), labels="person,city",
                      chunk_size=3), model=nlu)
    out = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text("utf-8").splitlines()]
    assert [x["id"] for x in out] == [1, 3, 5, 6, 7, 8, 9]
    assert {"label": "person", "text": "Tim Cook", "start": 0, "end": 8} == {
        k: v for k, v in out[0]["result"]["spans"][0].items() if k != "score"}
    for record in out:
        for span in record["result"]["spans"]:
            assert record["text"][span["start"]:span["end"]] == span["text"]
    errors = [json.loads(x) for x in (tmp_path / "out.jsonl.errors.jsonl").read_text().splitlines()]
    assert errors == [{"line": 2, "error": "missing field 'text'"},
                      {"line": 4, "error": "field 'text' is empty"}]
    assert (summary.records, summary.annotated, summary.errors) == (9, 7, 2)
    assert "2 errors" in summary.line()


def test_job_classifies_csv_with_options(tmp_path: Path, nlu) -> None:
    source = tmp_path / "reviews.csv"
    source.write_text("n,review\n1,I loved it\n2,Terrible and slow.\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    run(Job(str(source), str(out), task="classify", labels=["positive", "negative"],
            text_field="review", output_field="seqgpt", options={"multi_label": True}),
        model=nlu)
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["n"] for r in rows] == ["1", "2"]
    assert all(set(r["seqgpt"]["scores"]) == {"positive", "negative"} for r in rows)
    assert not Path(f"{out}.errors.jsonl").exists()


def _kill_mid_run(args: list[str], checkpoint: Path, at_least: int) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-m", "seqgpt.cli", "annotate", *args], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and child.poll() is None:
            if checkpoint.exists():
                state = json.loads(checkpoint.read_text())
                if state["records"] >= at_least:
                    os.kill(child.pid, signal.SIGKILL)
                    child.wait()
                    return state
            time.sleep(0.02)
        pytest.fail(f"the job ended before it could be killed: {child.stderr.read()!r}")
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_resume_after_sigkill_gives_the_one_shot_output(tmp_path: Path, nlu,
                                                        one_thread: None) -> None:
    texts = corpus(160)
    texts[17] = "   "  # a bad record inside the part done before the kill
    texts[150] = ""  # and one after it
    source = tmp_path / "in.txt"
    source.write_text("\n".join(texts) + "\n", encoding="utf-8")
    args = ["person,city", "--chunk-size", "8", "--no-progress"]

    once = tmp_path / "once.jsonl"
    run(Job(str(source), str(once), labels=args[0], chunk_size=8, progress=False), model=nlu)
    killed = tmp_path / "killed.jsonl"
    state = _kill_mid_run([str(source), "-o", str(killed), "--labels", *args],
                          Path(f"{killed}.checkpoint.json"), at_least=32)
    assert 32 <= state["records"] < 160 and not state["done"]
    assert killed.stat().st_size >= state["output_bytes"]  # maybe a part-written chunk too

    summary = run(Job(str(source), str(killed), labels=args[0], chunk_size=8, progress=False),
                  model=nlu)
    assert summary.resumed >= 32 and summary.records == 160
    assert killed.read_bytes() == once.read_bytes()
    assert (Path(f"{killed}.errors.jsonl").read_bytes()
            == Path(f"{once}.errors.jsonl").read_bytes())
    assert [json.loads(x)["line"] for x in Path(f"{once}.errors.jsonl").read_text().splitlines()
            ] == [18, 151]


def test_a_half_written_chunk_is_dropped_on_resume(tmp_path: Path, nlu, monkeypatch) -> None:
    # The state a kill during the write of chunk 3 leaves: the checkpoint of chunk 2 and part
    # of chunk 3's lines (the last one cut in the middle).
    source = tmp_path / "in.txt"
    source.write_text("\n".join(corpus(12)) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    saved: list[str] = []
    real_save = annotate_job._save

    def keep(path: str, state) -> None:
        real_save(path, state)
        saved.append(Path(path).read_text())

    monkeypatch.setattr(annotate_job, "_save", keep)
    run(Job(str(source), str(out), labels="person,city", chunk_size=4), model=nlu)
    full = out.read_bytes()
    second = json.loads(saved[1])
    cut = second["output_bytes"] + (len(full) - second["output_bytes"]) // 3
    assert full[cut - 1:cut] != b"\n"
    out.write_bytes(full[:cut])
    Path(f"{out}.checkpoint.json").write_text(saved[1])
    summary = run(Job(str(source), str(out), labels="person,city", chunk_size=4), model=nlu)
    assert out.read_bytes() == full and summary.resumed == 8


def test_reopened_output_reports_its_truncated_size(tmp_path: Path) -> None:
    # The checkpoint stores tell(): after dropping a half-written chunk it must be the new end
    # even if the next chunk writes nothing (all its records bad).
    path = tmp_path / "out.jsonl"
    path.write_bytes(b"0123456789")
    with annotate_job._open_output(str(path), 4) as handle:
        assert handle.tell() == 4
        handle.write(b"")
        assert handle.tell() == 4
    assert path.read_bytes() == b"0123"


def test_changed_job_or_input_is_refused(tmp_path: Path, nlu, tiny_model_dir: Path) -> None:
    source = tmp_path / "in.txt"
    source.write_text("\n".join(corpus(6)) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    run(Job(str(source), str(out), labels="person,city", chunk_size=4), model=nlu)
    done = out.read_bytes()
    with pytest.raises(AnnotateError, match=r"different job \(labels was \['person', 'city'\], "
                                            r"now \['person', 'company'\]\)"):
        run(Job(str(source), str(out), labels="person,company"), model=nlu)
    with pytest.raises(AnnotateError, match="options was {}, now {'threshold': 0.3}"):
        run(Job(str(source), str(out), labels="person,city", options={"threshold": 0.3}),
            model=nlu)
    with pytest.raises(AnnotateError, match="model was 'default sha256:[0-9a-f]{16}', now '"):
        run(Job(str(source), str(out), labels="person,city", model=str(tiny_model_dir)))
    with pytest.raises(AnnotateError, match="task was 'extract', now 'classify'"):
        run(Job(str(source), str(out), task="classify", labels="person,city"), model=nlu)
    source.write_text("Someone else.\n" + "\n".join(corpus(6)[1:]) + "\n", encoding="utf-8")
    with pytest.raises(AnnotateError, match="in.txt changed since the job started"):
        run(Job(str(source), str(out), labels="person,city"), model=nlu)
    assert out.read_bytes() == done  # a refused run touches nothing

    # Records appended to the input are annotated by the next run, and only those.
    source.write_text("\n".join(corpus(6) + ["Li Wei is in Tokyo."]) + "\n", encoding="utf-8")
    summary = run(Job(str(source), str(out), labels="person,city"), model=nlu)
    assert (summary.resumed, summary.records) == (6, 7)
    assert out.read_bytes().startswith(done) and out.read_text().count("\n") == 7

    other = tmp_path / "other.txt"
    other.write_text("Bob is in Paris.\n", encoding="utf-8")
    Path(f"{out}.checkpoint.json").unlink()
    with pytest.raises(AnnotateError, match="no checkpoint says which job wrote it.*--overwrite"):
        run(Job(str(other), str(out), labels="person,city"), model=nlu)
    run(Job(str(other), str(out), labels="person,city", overwrite=True), model=nlu)
    assert out.read_text().count("\n") == 1


def test_two_workers_write_the_same_records_in_input_order(tmp_path: Path, nlu) -> None:
    texts = corpus(20, seed=1)
    source = tmp_path / "in.txt"
    source.write_text("\n".join(texts) + "\n", encoding="utf-8")
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    run(Job(str(source), str(one), labels="person,city", chunk_size=5), model=nlu)
    summary = run(Job(str(source), str(two), labels="person,city", chunk_size=5, workers=2))
    assert summary.annotated == 20

    def spans(path: Path) -> list:
        return [(r["text"], [(s["label"], s["start"], s["end"]) for s in r["result"]["spans"]])
                for r in map(json.loads, path.read_text().splitlines())]

    assert [text for text, _ in spans(two)] == texts
    assert spans(two) == spans(one)


@pytest.mark.parametrize("task, labels, options, key", [
    ("ner", "person,company", {}, "spans"),
    ("relations", ["works for"], {"entity_types": ["person", "company"]}, "relations"),
    ("events", {"founding": ["founder", "place"]}, {}, "events"),
    ("answer", ["Who works for Apple?"], {}, "answers"),
    ("slots", "person,company", {"intents": ["work", "travel"]}, "intent"),
    ("extract-json", {"person": ["name"], "company": "array"}, {}, "data"),
    ("sentiment", "positive,negative", {}, "scores"),
    ("topic", "business,sport", {}, "scores"),
])
def test_composite_tasks_plug_in(task: str, labels, options: dict, key: str, tmp_path: Path,
                                 nlu) -> None:
    if task not in TASKS:
        pytest.skip(f"Model has no {task} call in this install")
    source = tmp_path / "in.txt"
    source.write_text("Tim Cook works for Apple in Cupertino.\n马云在杭州创办了阿里巴巴。\n",
                      encoding="utf-8")
    out = tmp_path / "out.jsonl"
    summary = run(Job(str(source), str(out), task=task, labels=labels, options=options),
                  model=nlu)
    rows = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert summary.annotated == 2 and all(key in row["result"] for row in rows)


def test_bad_schema_and_bad_option_stop_the_job_before_writing(tmp_path: Path, nlu) -> None:
    source = tmp_path / "in.txt"
    source.write_text("Tim Cook works for Apple.\nLi Wei lives in Tokyo.\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    with pytest.raises(SeqGPTError, match="schema must be a non-empty mapping"):
        run(Job(str(source), str(out), task="events", labels=["founding"]), model=nlu)
    with pytest.raises(SeqGPTError, match="unknown option 'bogus'"):
        run(Job(str(source), str(out), labels="person", options={"bogus": 1}), model=nlu)
    assert not Path(f"{out}.errors.jsonl").exists() and not out.read_bytes()
    run(Job(str(source), str(out), labels="person"), model=nlu)  # the fixed job starts cleanly
    assert out.read_text().count("\n") == 2


class Picky:
    """A backend that refuses any text containing BAD, as a model may refuse one input."""

    name = "picky"

    def extract(self, texts: list[str], labels: list[str], **options) -> list[Extraction]:
        if any("BAD" in text for text in texts):
            raise SeqGPTError("cannot read a BAD text")
        return [Extraction(text, labels) for text in texts]


def test_one_refused_text_does_not_sink_its_batch() -> None:
    model = Model(Picky())
    out = run_batch(model, "extract", ["a long fine text", "BAD one", "ok"], ["x"], {})
    assert [error for _, error in out] == [None, "cannot read a BAD text", None]
    assert out[2][0] == {"labels": ["x"], "spans": [], "unmatched": [], "raw": None,
                         "warnings": [], "truncated": False}
    with pytest.raises(SeqGPTError, match="BAD"):  # every text refused: a job error
        run_batch(model, "extract", ["BAD", "BAD too"], ["x"], {})


# ------------------------------------------------------------------ command line
def test_cli_reads_stdin_and_prints_a_summary(tmp_path: Path, nlu, capsys, monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"Tim Cook is here.\n\n")))
    monkeypatch.setattr(annotate_job, "_load", lambda model: nlu)
    out = tmp_path / "out.jsonl"
    assert main(["annotate", "-", "-o", str(out), "--labels", "person",
                 "--option", "threshold=0.4", "--option", "nested=false"]) == 0
    assert "2 records: 1 annotated, 1 error (see" in capsys.readouterr().err
    state = json.loads(Path(f"{out}.checkpoint.json").read_text())
    assert state["fingerprint"]["options"] == {"threshold": 0.4, "nested": False}
    assert state["done"] and state["fingerprint"]["input_format"] == "text"


@pytest.mark.parametrize("argv, message", [
    (["in.data", "-o", "o.jsonl", "--labels", "a"], "cannot tell the format"),
    (["in.jsonl", "-o", "o.jsonl", "--labels", "a,a"], "duplicate"),
    (["in.jsonl", "-o", "o.jsonl", "--labels", "a", "--option", "threshold"], "KEY=VALUE"),
    (["in.jsonl", "-o", "o.jsonl", "--labels", "a", "--workers", "0"], "--workers"),
    (["in.jsonl", "-o", "-", "--labels", "a"], "-o must name a file"),
    (["in.jsonl", "-o", "o.jsonl", "--labels", "{bad"], "--labels: not valid JSON"),
    (["in.parquet", "-o", "o.jsonl", "--labels", "a"], "--engine ray"),
])
def test_cli_errors_are_one_line(argv: list[str], message: str, tmp_path: Path, capsys,
                                 monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in.jsonl").write_text('{"text": "x"}\n')
    (tmp_path / "in.parquet").write_bytes(b"")
    assert main(["annotate", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("seqgpt: error: ") and message in err and err.count("\n") == 1


def test_progress_bar_and_quiet_log() -> None:
    tty, log = io.StringIO(), io.StringIO()
    bar = Progress(1000, stream=tty, tty=True)
    bar.started -= 10
    bar.update(50, 2, 250, 50)
    assert "\r[######..................]  25%  50 records  2 errors  5.0/s  ETA 0:30" in \
        tty.getvalue()
    quiet = Progress(None, stream=log, tty=False, log_every=60)
    quiet.update(10, 0, 100, 10)
    assert log.getvalue() == ""  # nothing until a minute has passed
    quiet.update(10, 0, 100, 10, force=True)
    assert log.getvalue().startswith("annotate: 10 records  ") and "ETA" not in log.getvalue()


def test_workers_exit_when_the_job_is_killed(tmp_path: Path) -> None:
    # A job killed with SIGKILL cannot stop its pool: the workers must notice on their own.
    import signal
    import subprocess
    import sys
    import time

    script = (
        "import sys, time\n"
        "from multiprocessing import resource_tracker\n"
        "from seqgpt.annotate.job import _Pool\n"
        "pool = _Pool(None, 2)\n"
        "futures = [pool.submit('extract', [], ['a'], {}) for _ in range(4)]\n"
        "[f.result() for f in futures]\n"
        "tracker = resource_tracker._resource_tracker._pid\n"
        "print(*pool.executor._processes, tracker or 0, flush=True)\n"
        "time.sleep(600)\n")
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(p) for p in parent.stdout.readline().split()]
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    workers, tracker = pids[:-1], pids[-1]
    assert len(workers) == 2, pids

    def alive(pid: int) -> bool:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return False
        return "\nState:\tZ" not in status  # a zombie has exited; only its reaping is left

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(alive(p) for p in workers + [tracker] if p):
        time.sleep(0.2)
    assert [p for p in workers + [tracker] if p and alive(p)] == []
