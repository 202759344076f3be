"""seqgpt annotate --engine ray on a local Ray (2 CPUs) started by this module: the same records
and errors as the local engine, actors sharing one input file, Parquet in and out."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")

from seqgpt.annotate.job import AnnotateError, Job  # noqa: E402
from seqgpt.annotate.job import run as run_local  # noqa: E402
from seqgpt.annotate.ray_engine import run as run_ray  # noqa: E402

LIMIT_S = 300  # Ray start, actor start and model loads on a busy 2-core machine


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


@pytest.fixture(autouse=True)
def bounded_in_time():
    def stop(signum, frame):
        raise TimeoutError(f"a Ray test ran over {LIMIT_S} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(LIMIT_S)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def _spans(path: Path) -> list:
    return [(r["id"], r["text"], [(s["label"], s["start"], s["end"])
                                  for s in r["result"]["spans"]])
            for r in map(json.loads, path.read_text(encoding="utf-8").splitlines())]


def test_two_actors_give_the_local_engine_records_and_errors(tmp_path: Path) -> None:
    import seqgpt

    people, cities = ["Tim Cook", "Angela Merkel", "Li Wei"], ["Paris", "Beijing", "Tokyo"]
    lines = [json.dumps({"id": i, "text": f"{people[i % 3]} flew to {cities[i // 3 % 3]}."})
             for i in range(36)]
    lines[5] = '{"id": 5}'
    lines[20] = "{broken"
    lines[30] = json.dumps({"id": 30, "text": "马云在杭州创办了阿里巴巴。"}, ensure_ascii=False)
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    local, remote = tmp_path / "local.jsonl", tmp_path / "ray.jsonl"
    run_local(Job(str(source), str(local), labels="person,city", chunk_size=8),
              model=seqgpt.load())
    summary = run_ray(Job(str(source), str(remote), labels="person,city", chunk_size=8,
                          workers=2, progress=False))
    assert (summary.records, summary.annotated, summary.errors) == (36, 34, 2)
    assert _spans(remote) == _spans(local)
    assert (Path(f"{remote}.errors.jsonl").read_text()
            == Path(f"{local}.errors.jsonl").read_text())
    with pytest.raises(AnnotateError, match="does not resume.*--overwrite"):
        run_ray(Job(str(source), str(remote), labels="person,city"))


def test_csv_in_parquet_out_and_parquet_in(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    source = tmp_path / "reviews.csv"
    source.write_text("n,body\n1,I loved it\n2,\n3,Terrible service.\n", encoding="utf-8")
    out = tmp_path / "out.parquet"
    run_ray(Job(str(source), str(out), task="classify", labels="positive,negative",
                text_field="body", progress=False))
    table = pq.read_table(out)
    assert table.column_names == ["n", "body", "result"]
    rows = table.to_pylist()
    assert [r["n"] for r in rows] == ["1", "3"]
    assert all(set(json.loads(r["result"])["scores"]) == {"positive", "negative"} for r in rows)
    assert json.loads(Path(f"{out}.errors.jsonl").read_text()) == {
        "line": 3, "error": "field 'body' is empty"}

    again = tmp_path / "again.jsonl"
    summary = run_ray(Job(str(out), str(again), task="classify", labels="positive,negative",
                          text_field="body", output_field="second", progress=False))
    second = [json.loads(line) for line in again.read_text().splitlines()]
    assert summary.annotated == 2 and [r["n"] for r in second] == ["1", "3"]
    assert all("result" in r and "second" in r for r in second)
