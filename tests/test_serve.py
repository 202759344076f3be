"""The HTTP service: responses, every kind of malformed request, key, batching, metrics, CLI.

Most tests use a fake backend (its answers encode its inputs, so a result that went back to the
wrong request shows); the ``real`` tests go through the embedded default model.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from functools import cache
from typing import Any

import pytest

pytest.importorskip("fastapi")
import httpx  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

import seqgpt  # noqa: E402
from seqgpt.api import Model  # noqa: E402
from seqgpt.serve import composite  # noqa: E402
from seqgpt.serve.app import create_app  # noqa: E402
from seqgpt.serve.settings import Settings  # noqa: E402
from seqgpt.types import Classification, Extraction, SeqGPTError, Span  # noqa: E402


class FakeBackend:
    """Marks the first character of each text with the first label; records every call."""

    name = "fake"

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.calls: list[tuple[str, list[str], list[str], dict[str, Any], str]] = []

    def _record(self, task: str, texts: list[str], labels: list[str], options: dict) -> None:
        self.calls.append((task, texts, labels, options, threading.current_thread().name))
        if options.get("nested") is False:
            raise SeqGPTError("nested=False is refused by this fake backend")
        time.sleep(self.delay)

    def extract(self, texts: list[str], labels: list[str], **options: Any) -> list[Extraction]:
        self._record("extract", texts, labels, options)
        return [Extraction(text=t, labels=labels, spans=[Span(labels[0], t[0], 0, 1, 0.9)])
                for t in texts]

    def classify(self, texts: list[str], labels: list[str],
                 **options: Any) -> list[Classification]:
        self._record("classify", texts, labels, options)
        return [Classification(text=t, labels=labels[:1],
                               scores={label: 1 / (i + 1) for i, label in enumerate(labels)})
                for t in texts]


def fake_client(backend: FakeBackend | None = None, **settings: Any) -> TestClient:
    app = create_app(Settings(**settings), model=Model(backend or FakeBackend()))
    return TestClient(app, raise_server_exceptions=False)


@cache
def default_model() -> Model:
    return seqgpt.load()


# --------------------------------------------------------------------------- responses
def test_one_text_and_a_list_give_one_result_per_text_in_order() -> None:
    with fake_client() as client:
        one = client.post("/v1/extract", json={"text": "Tim", "labels": ["person", "city"]})
        many = client.post("/v1/classify", json={"text": ["a", "b", "c"], "labels": "x，y,z"})
    assert one.status_code == 200
    result = one.json()["results"][0]
    assert result["spans"] == [{"label": "person", "text": "T", "start": 0, "end": 1,
                                "score": 0.9}]
    assert result["answer"] == "person: T\ncity: None"
    assert one.json()["model"] == "fake"
    assert [r["text"] for r in many.json()["results"]] == ["a", "b", "c"]
    assert many.json()["results"][0]["labels"] == ["x"]
    assert many.json()["results"][0]["answer"] == "x"


def test_threshold_and_options_reach_the_model() -> None:
    backend = FakeBackend()
    with fake_client(backend) as client:
        response = client.post("/v1/extract", json={
            "text": "a", "labels": ["x"], "threshold": 0.25,
            "options": {"nested": True, "symbol_spans": True}})
    assert response.status_code == 200
    assert backend.calls[0][3] == {"threshold": 0.25, "nested": True, "symbol_spans": True}


LIMITS = dict(max_text_chars=20, max_texts=3, max_labels=3, max_label_chars=10,
              max_body_bytes=400)


@pytest.mark.parametrize(("body", "status", "code", "field", "limit"), [
    ({"text": 5, "labels": ["a"]}, 422, "invalid_request", "text", None),
    ({"text": ["a", 5], "labels": ["a"]}, 422, "invalid_request", "text[1]", None),
    ({"labels": ["a"]}, 422, "invalid_request", "text", None),
    ({"text": "a"}, 422, "invalid_request", "labels", None),
    ({"text": "a", "labels": [1]}, 422, "invalid_request", "labels[0]", None),
    ({"text": "a", "labels": ["a"], "threshhold": 0.3}, 422, "invalid_request", "threshhold",
     None),
    ({"text": "a", "labels": ["a"], "threshold": 1.5}, 422, "invalid_request", "threshold",
     None),
    ({"text": "a", "labels": ["a"], "options": {"batch_size": 9}}, 422, "invalid_request",
     "options.batch_size", None),
    ({"text": "a", "labels": ["a"], "options": {"num_beams": 0}}, 422, "invalid_request",
     "options.num_beams", None),
    ({"text": "   ", "labels": ["a"]}, 422, "invalid_input", "text", None),
    ({"text": [], "labels": ["a"]}, 422, "invalid_input", "text", None),
    ({"text": ["a", ""], "labels": ["a"]}, 422, "invalid_input", "text[1]", None),
    ({"text": "a", "labels": []}, 422, "invalid_input", "labels", None),
    ({"text": "a", "labels": ["x", "x"]}, 422, "invalid_input", "labels[1]", None),
    ({"text": "a", "labels": ["x\ty"]}, 422, "invalid_input", "labels[0]", None),
    ({"text": "x" * 21, "labels": ["a"]}, 422, "limit_exceeded", "text", "max_text_chars"),
    ({"text": ["a", "x" * 21], "labels": ["a"]}, 422, "limit_exceeded", "text[1]",
     "max_text_chars"),
    ({"text": ["a"] * 4, "labels": ["a"]}, 422, "limit_exceeded", "text", "max_texts"),
    ({"text": "a", "labels": ["a", "b", "c", "d"]}, 422, "limit_exceeded", "labels",
     "max_labels"),
    ({"text": "a", "labels": "a,b,c,d"}, 422, "limit_exceeded", "labels", "max_labels"),
    ({"text": "a", "labels": ["a" * 11]}, 422, "limit_exceeded", "labels[0]",
     "max_label_chars"),
    ({"text": "a" * 20, "labels": ["a"], "pad": "x" * 400}, 413, "limit_exceeded", "body",
     "max_body_bytes"),
    (["a"], 422, "invalid_request", "body", None),
])
def test_malformed_requests_get_a_4xx_naming_the_field_and_limit(
        body: Any, status: int, code: str, field: str, limit: str | None) -> None:
    backend = FakeBackend()
    with fake_client(backend, **LIMITS) as client:
        response = client.post("/v1/extract", json=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert (error["code"], error.get("field"), error.get("limit")) == (code, field, limit)
    assert error["message"]
    if limit:
        assert error["max"] == LIMITS[limit] and str(LIMITS[limit]) in error["message"]
    assert backend.calls == []  # nothing malformed reaches the model


def test_bad_json_content_type_routes_and_model_errors() -> None:
    with fake_client(max_body_bytes=100) as client:
        bad_json = client.post("/v1/extract", content=b'{"text": "a",',
                               headers={"content-type": "application/json"})
        not_json = client.post("/v1/extract", content=b"text=a",
                               headers={"content-type": "application/x-www-form-urlencoded"})
        missing = client.post("/v1/nothing", json={})
        wrong_method = client.get("/v1/extract")
        model_refuses = client.post("/v1/extract", json={
            "text": "a", "labels": ["a"], "options": {"nested": False}})

        def chunks():  # no content-length: the limit is enforced while streaming
            yield b'{"text": "'
            yield b"x" * 200
            yield b'", "labels": ["a"]}'

        streamed = client.post("/v1/extract", content=chunks(),
                               headers={"content-type": "application/json"})
    assert (bad_json.status_code, bad_json.json()["error"]["code"]) == (400, "invalid_json")
    assert (not_json.status_code, not_json.json()["error"]["code"]) == (
        415, "unsupported_media_type")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
    assert (wrong_method.status_code, wrong_method.json()["error"]["code"]) == (
        405, "method_not_allowed")
    assert model_refuses.status_code == 422
    assert "nested=False is refused" in model_refuses.json()["error"]["message"]
    assert (streamed.status_code, streamed.json()["error"]["limit"]) == (413, "max_body_bytes")


def test_api_key_guards_the_api_and_metrics_but_not_probes_or_page() -> None:
    with fake_client(api_key="s3cret") as client:
        body = {"text": "a", "labels": ["b"]}
        missing = client.post("/v1/extract", json=body)
        wrong = client.post("/v1/extract", json=body, headers={"Authorization": "Bearer nope"})
        bearer = client.post("/v1/extract", json=body,
                             headers={"Authorization": "Bearer s3cret"})
        header = client.post("/v1/extract", json=body, headers={"X-API-Key": "s3cret"})
        metrics = client.get("/metrics")
        open_paths = [client.get(path).status_code for path in ("/healthz", "/readyz", "/")]
    assert (missing.status_code, missing.json()["error"]["code"]) == (401, "unauthorized")
    assert missing.headers["www-authenticate"] == "Bearer"
    assert wrong.status_code == 401 and metrics.status_code == 401
    assert bearer.status_code == 200 and header.status_code == 200
    assert open_paths == [200, 200, 200]


# ------------------------------------------------------------------------- batching
async def _post_all(app: Any, bodies: list[dict], path: str = "/v1/extract") -> list:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await asyncio.gather(*(client.post(path, json=b) for b in bodies))


def test_docs_page_works_offline_from_the_packaged_swagger_ui() -> None:
    client = fake_client()
    page = client.get("/docs")
    assert page.status_code == 200 and "/openapi.json" in page.text
    assert "/docs-assets/swagger-ui-bundle.js" in page.text and "cdn" not in page.text.lower()
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        response = client.get(f"/docs-assets/{asset}")
        assert response.status_code == 200 and len(response.content) > 10_000
    assert client.get("/redoc").status_code == 404  # ReDoc would need a CDN


def test_concurrent_requests_share_model_calls_and_get_their_own_results() -> None:
    backend = FakeBackend(delay=0.05)
    app = create_app(Settings(batch_wait_ms=20), model=Model(backend))
    bodies = [{"text": [f"{i}a", f"{i}b"] if i % 3 == 0 else f"{i}", "labels": [f"L{i % 2}"]}
              for i in range(24)]
    responses = asyncio.run(_post_all(app, bodies))
    for body, response in zip(bodies, responses, strict=True):
        texts = body["text"] if isinstance(body["text"], list) else [body["text"]]
        results = response.json()["results"]
        assert [r["text"] for r in results] == texts
        assert all(r["spans"][0]["label"] == body["labels"][0] for r in results)
    assert len(backend.calls) < len(bodies) / 2  # merged, not one call per request
    assert all(len(set(labels)) == 1 for _, _, labels, _, _ in backend.calls)
    assert {thread for *_, thread in backend.calls} == {"seqgpt-model_0"}


def test_without_micro_batching_each_request_is_its_own_call() -> None:
    backend = FakeBackend()
    app = create_app(Settings(micro_batching=False), model=Model(backend))
    asyncio.run(_post_all(app, [{"text": str(i), "labels": ["a"]} for i in range(6)]))
    assert [texts for _, texts, *_ in backend.calls] == [[str(i)] for i in range(6)]


def test_the_event_loop_answers_while_the_model_works() -> None:
    app = create_app(Settings(batch_wait_ms=0), model=Model(FakeBackend(delay=0.6)))

    async def scenario() -> tuple[float, int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            slow = asyncio.create_task(client.post("/v1/extract",
                                                   json={"text": "a", "labels": ["b"]}))
            await asyncio.sleep(0.1)
            started = time.perf_counter()
            await client.get("/healthz")
            waited = time.perf_counter() - started
            return waited, (await slow).status_code

    waited, status = asyncio.run(scenario())
    assert status == 200 and waited < 0.3


def test_timeout_and_overload_are_4xx_naming_their_limit() -> None:
    with fake_client(FakeBackend(delay=0.5), request_timeout_s=0.1) as client:
        late = client.post("/v1/extract", json={"text": "a", "labels": ["b"]})
    with fake_client(max_pending_texts=2) as client:
        crowded = client.post("/v1/extract", json={"text": ["a", "b", "c"], "labels": ["b"]})
    assert (late.status_code, late.json()["error"]["limit"]) == (408, "request_timeout_s")
    assert (crowded.status_code, crowded.json()["error"]["limit"]) == (429, "max_pending_texts")
    assert crowded.headers["retry-after"] == "1"


# ------------------------------------------------------------- service under abuse
class WordsBackend(FakeBackend):
    """Every word is an entity (so a text of n words has n * (n - 1) candidate pairs)."""

    def extract(self, texts: list[str], labels: list[str], **options: Any) -> list[Extraction]:
        self._record("extract", texts, labels, options)
        return [Extraction(text=t, labels=labels, spans=[
            Span(labels[0], m.group(), m.start(), m.end(), 0.9)
            for m in re.finditer(r"\S+", t)]) for t in texts]


def _relations(words: int, tag: str = "w") -> dict:
    return {"text": " ".join(f"{tag}{i}" for i in range(words)), "relation_types": ["r"],
            "entity_types": ["e"], "max_distance": 10_000}


def _settled(service: Any) -> None:
    """Nothing is left running or counted once every request is over."""
    for _ in range(200):
        if not service.runner.active:
            break
        time.sleep(0.01)
    assert service.runner.active == set()
    assert (service.batcher.pending_texts, service.batcher.reserved_texts) == (0, 0)
    assert service.metrics.queue.value == 0
    assert not service.batcher.queue


def test_composite_requests_over_the_cap_get_429_with_retry_after_and_healthz_answers() -> None:
    app = create_app(Settings(max_composite_requests=2, batch_wait_ms=0),
                     model=Model(FakeBackend(delay=0.3)))

    async def scenario() -> tuple[list[httpx.Response], float]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            flood = [asyncio.create_task(client.post("/v1/ner", json={
                "text": f"t{i}", "types": ["a"]})) for i in range(8)]
            await asyncio.sleep(0.1)
            started = time.perf_counter()
            assert (await client.get("/healthz")).status_code == 200
            waited = time.perf_counter() - started
            return list(await asyncio.gather(*flood)), waited

    responses, waited = asyncio.run(scenario())
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(200) >= 2 and statuses.count(429) >= 4, statuses
    for response in responses:
        if response.status_code == 429:
            error = response.json()["error"]
            assert error["limit"] == "max_composite_requests" and error["max"] == 2
            assert response.headers["retry-after"] == "1"
    assert waited < 0.25  # the event loop never waits for the model
    _settled(app.state.service)


def test_pending_work_counts_the_pairs_a_composite_request_expands_to() -> None:
    backend = WordsBackend()
    with fake_client(backend, max_pending_texts=100) as client:
        crowded = client.post("/v1/relations", json=_relations(12))  # 132 pairs > 100
        fits = client.post("/v1/relations", json=_relations(6))  # 30 pairs
    assert crowded.status_code == 429, crowded.text
    assert crowded.json()["error"]["limit"] == "max_pending_texts"
    assert crowded.headers["retry-after"] == "1"
    assert fits.status_code == 200 and len(fits.json()["result"]["relations"]) == 30
    with fake_client(WordsBackend(), max_expanded_texts=50) as client:
        big = client.post("/v1/relations", json=_relations(8))  # 1 text + 56 pairs > 50
        small = client.post("/v1/relations", json=_relations(7))  # 1 + 42
        service = client.app.state.service
        _settled(service)
    error = big.json()["error"]
    assert (big.status_code, error["code"], error["limit"], error["max"]) == (
        422, "limit_exceeded", "max_expanded_texts", 50)
    assert "max_pairs" in error["message"] and small.status_code == 200


def test_a_plain_extract_is_answered_during_a_flood_of_composite_requests() -> None:
    # Each relations request classifies 90 pairs, fed in chunks of 10; a one-text extract
    # sent into the flood waits for one chunk per running request, not for all their work.
    backend = WordsBackend(delay=0.03)
    app = create_app(Settings(max_batch_texts=10, batch_wait_ms=0), model=Model(backend))

    async def scenario() -> tuple[float, float]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            started = time.perf_counter()
            flood = [asyncio.create_task(client.post("/v1/relations", json=_relations(10, t)))
                     for t in "abcdef"]
            await asyncio.sleep(0.15)
            sent = time.perf_counter()
            plain = await client.post("/v1/extract", json={"text": "Tim", "labels": ["p"]})
            answered = time.perf_counter() - sent
            assert plain.status_code == 200
            assert all(r.status_code == 200 for r in await asyncio.gather(*flood))
            return answered, time.perf_counter() - started

    answered, flood_took = asyncio.run(scenario())
    assert answered < flood_took / 3, (answered, flood_took)
    _settled(app.state.service)


def test_a_timed_out_composite_request_stops_its_work() -> None:
    backend = WordsBackend(delay=0.05)
    with fake_client(backend, request_timeout_s=0.3, max_batch_texts=5) as client:
        late = client.post("/v1/relations", json=_relations(12))  # 132 pairs, 27 chunks
        time.sleep(0.3)
        calls = len(backend.calls)
        time.sleep(0.3)
        service = client.app.state.service
        _settled(service)
    assert (late.status_code, late.json()["error"]["limit"]) == (408, "request_timeout_s")
    assert len(backend.calls) == calls < 15  # stopped, not run to the end


def test_a_composite_request_whose_client_left_stops_its_work() -> None:
    backend = WordsBackend(delay=0.05)
    app = create_app(Settings(max_batch_texts=5), model=Model(backend))
    body = json.dumps(_relations(12)).encode()
    sent: list[dict] = []

    async def scenario() -> None:
        messages = [{"type": "http.request", "body": body, "more_body": False}]
        hangs_up = time.monotonic() + 0.2  # the client leaves a moment after sending

        async def receive() -> dict:  # as a server's: waits until there is something to say
            if messages:
                return messages.pop()
            if time.monotonic() < hangs_up:
                await asyncio.sleep(hangs_up - time.monotonic())
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            sent.append(message)

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                 "method": "POST", "scheme": "http", "path": "/v1/relations", "raw_path": b"",
                 "query_string": b"", "root_path": "", "server": ("test", 80),
                 "client": ("c", 1), "headers": [(b"host", b"test"),
                                                 (b"content-type", b"application/json"),
                                                 (b"content-length", str(len(body)).encode())]}
        await app(scope, receive, send)

    asyncio.run(scenario())
    calls = len(backend.calls)
    time.sleep(0.3)
    assert sent[0]["status"] == 499
    assert len(backend.calls) == calls < 15
    _settled(app.state.service)


def test_host_check_refuses_other_names_and_serve_defaults_to_loopback_names() -> None:
    from seqgpt.cli import build_parser
    from seqgpt.serve.command import settings_of

    with fake_client(allowed_hosts="localhost, 127.0.0.1,::1") as client:
        evil = client.post("/v1/extract", json={"text": "a", "labels": ["b"]},
                           headers={"host": "evil.example:8000"})
        local = [client.get("/healthz", headers={"host": host}).status_code
                 for host in ("localhost:8000", "127.0.0.1", "[::1]:8000", "LOCALHOST")]
    assert (evil.status_code, evil.json()["error"]["code"]) == (400, "host_not_allowed")
    assert local == [200, 200, 200, 200]
    parse = build_parser().parse_args
    loopback = settings_of(parse(["serve"])).host_names()
    assert loopback is not None and {"localhost", "127.0.0.1", "::1"} <= loopback
    assert settings_of(parse(["serve", "--host", "0.0.0.0"])).host_names() is None
    assert settings_of(parse(["serve", "--allowed-hosts", "*"])).host_names() is None
    assert settings_of(parse(["serve", "--allowed-hosts", "nlu.lan"])).host_names() == {
        "nlu.lan"}


# ------------------------------------------------------------------ undecodable text
@pytest.mark.parametrize(("path", "body", "field"), [
    ("/v1/extract", {"text": "Tim \udcff Cook", "labels": ["person"]}, "text"),
    ("/v1/extract", {"text": ["ok", "a\ud800"], "labels": ["person"]}, "text[1]"),
    ("/v1/classify", {"text": "ok", "labels": ["pos\udcffitive"]}, "labels[0]"),
    ("/v1/events", {"text": "ok", "schema": {"at\udcfftack": ["who"]}}, None),
    ("/v1/answer", {"context": "ok", "questions": ["Wh\udcffo?"]}, "questions[0]"),
])
def test_lone_surrogates_are_a_422_naming_the_field_and_position(
        path: str, body: dict, field: str | None) -> None:
    backend = FakeBackend()
    with fake_client(backend) as client:  # JSON escapes the surrogate: "\\udcff"
        response = client.post(path, content=json.dumps(body),
                               headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_input" and "at position" in error["message"]
    if field is not None:
        assert error["field"] == field
    assert backend.calls == []


# ------------------------------------------------------------------ readiness, metrics
def test_readyz_follows_the_model_load_and_a_failed_load_is_reported() -> None:
    release = threading.Event()

    def slow_loader() -> Model:
        release.wait(5)
        return Model(FakeBackend())

    with TestClient(create_app(Settings(), loader=slow_loader)) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/readyz").status_code == 503
        early = client.post("/v1/extract", json={"text": "a", "labels": ["b"]})
        release.set()
        for _ in range(100):
            if client.get("/readyz").status_code == 200:
                break
            time.sleep(0.02)
        assert client.get("/readyz").json() == {"status": "ready", "model": "fake"}
    assert (early.status_code, early.json()["error"]["code"]) == (503, "not_ready")

    heard: list[BaseException] = []

    def broken_loader() -> Model:
        raise SeqGPTError("no such model folder")

    with TestClient(create_app(Settings(), loader=broken_loader,
                               on_load_error=heard.append)) as client:
        for _ in range(100):
            if client.get("/readyz").json()["status"] != "loading":
                break
            time.sleep(0.02)
        ready = client.get("/readyz")
        refused = client.post("/v1/extract", json={"text": "a", "labels": ["b"]})
    assert ready.status_code == 503 and "no such model folder" in ready.json()["error"]
    assert refused.json()["error"]["code"] == "model_failed"
    assert [str(e) for e in heard] == ["no such model folder"]


def test_metrics_are_prometheus_text_with_requests_latency_and_batch_sizes() -> None:
    app = create_app(Settings(batch_wait_ms=20), model=Model(FakeBackend(delay=0.02)))
    asyncio.run(_post_all(app, [{"text": str(i), "labels": ["a"]} for i in range(8)]))
    with TestClient(app) as client:
        client.post("/v1/extract", json={"text": 3, "labels": ["a"]})
        response = client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = response.text
    sample = re.compile(r'^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [0-9.e+-]+$')
    for line in text.splitlines():
        assert line.startswith("# ") or sample.match(line), line
    assert 'seqgpt_requests_total{route="/v1/extract",status="200"} 8' in text
    assert 'seqgpt_requests_total{route="/v1/extract",status="422"} 1' in text
    assert 'seqgpt_texts_total{task="extract"} 8' in text
    calls = int(re.search(r'seqgpt_batch_texts_count\{task="extract"\} (\d+)', text).group(1))
    assert 1 <= calls < 8
    assert 'seqgpt_request_duration_seconds_bucket{route="/v1/extract",le="+Inf"} 9' in text


# ------------------------------------------------------------------- settings and CLI
def test_settings_come_from_env_then_flags_and_bad_values_are_named() -> None:
    env = {"SEQGPT_SERVE_MAX_TEXT_CHARS": "500", "SEQGPT_SERVE_MICRO_BATCHING": "false",
           "SEQGPT_API_KEY": "k", "SEQGPT_SERVE_BATCH_WAIT_MS": "0"}
    settings = Settings.from_env(env, max_labels=7, max_texts=None)
    assert (settings.max_text_chars, settings.micro_batching, settings.api_key) == (500, False, "k")
    assert (settings.max_labels, settings.max_texts, settings.batch_wait_ms) == (7, 64, 0)
    assert settings.host == "127.0.0.1"
    with pytest.raises(SeqGPTError, match="SEQGPT_SERVE_MAX_LABELS='many'"):
        Settings.from_env({"SEQGPT_SERVE_MAX_LABELS": "many"})
    with pytest.raises(SeqGPTError, match="max_texts must be positive"):
        Settings(max_texts=0)


def test_cli_registers_serve_with_every_limit_as_a_flag() -> None:
    from seqgpt.cli import build_parser

    args = build_parser().parse_args(["serve", "--port", "9000", "--max-text-chars", "50",
                                      "--request-timeout-s", "2.5", "--no-batching"])
    assert (args.port, args.max_text_chars, args.request_timeout_s, args.no_batching) == (
        9000, 50, 2.5, True)
    assert args.host is None  # Settings decides: loopback


# ---------------------------------------------------------------- composite and page
def test_every_composite_call_of_model_is_an_endpoint_with_the_same_limits() -> None:
    backend = FakeBackend()
    with TestClient(create_app(Settings(max_labels=2), model=Model(backend))) as client:
        listed = [t["name"] for t in client.get("/v1/tasks").json()["tasks"]]
        ok = client.post("/v1/ner", json={"text": "Tim", "types": ["person"], "threshold": 0.3})
        crowded = client.post("/v1/events", json={"text": "Tim", "schema": {"a": ["b", "c"]}})
        typo = client.post("/v1/ner", json={"text": "Tim", "labels": ["a"]})
        schema = client.get("/openapi.json").json()
    assert listed == ["extract", "classify", *(t.name for t in composite.TASKS)]
    assert all(f"/v1/{t.name}" in schema["paths"] for t in composite.TASKS)
    assert ok.json()["result"]["spans"][0]["label"] == "person"
    assert backend.calls[0][3] == {"threshold": 0.3}
    assert (crowded.status_code, crowded.json()["error"]["limit"]) == (422, "max_labels")
    assert typo.json()["error"]["field"] == "types"  # the required field, before the extra
    assert "required" in typo.json()["error"]["message"]


def test_a_composite_row_is_skipped_when_the_method_cannot_take_its_body() -> None:
    class Renamed:
        def ner(self, text: str, kinds: list[str], **options: Any) -> None: ...

    class NoOptions:
        def ner(self, text: str, types: list[str]) -> None: ...

    assert composite.available(Renamed) == composite.available(NoOptions) == []


def test_page_and_its_assets_are_served_from_the_package() -> None:
    with fake_client() as client:
        page = client.get("/")
        assets = [client.get(f"/static/{name}") for name in ("app.js", "style.css")]
    assert page.status_code == 200 and '<div id="fields">' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert [a.status_code for a in assets] == [200, 200]
    for body in (page.text, *(a.text for a in assets)):
        assert "http://" not in body and "https://" not in body  # nothing from elsewhere


# ----------------------------------------------------------------- the real model
def test_real_model_answers_through_the_api_in_english_and_chinese() -> None:
    app = create_app(Settings(), model=default_model())
    with TestClient(app) as client:
        english = client.post("/v1/extract", json={
            "text": ["Tim Cook visited Beijing."], "labels": ["person", "city"]})
        chinese = client.post("/v1/extract", json={
            "text": "马云在杭州创办了阿里巴巴。", "labels": "人物，城市"})
        classify = client.post("/v1/classify", json={"text": "I loved it",
                                                     "labels": ["positive", "negative"]})
    assert english.status_code == 200 and chinese.status_code == 200, english.text
    english, chinese = english.json()["results"][0], chinese.json()["results"][0]
    assert {(s["label"], s["text"], s["start"], s["end"]) for s in english["spans"]} >= {
        ("person", "Tim Cook", 0, 8), ("city", "Beijing", 17, 24)}
    for result in (english, chinese):
        for span in result["spans"]:
            assert result["text"][span["start"]:span["end"]] == span["text"]
    assert any(s["text"] == "杭州" for s in chinese["spans"])
    assert classify.json()["results"][0]["labels"] == ["positive"]


def test_real_model_results_do_not_depend_on_batching() -> None:
    nlu = default_model()
    texts = ["Tim Cook visited Beijing.", "Angela Merkel met Emmanuel Macron in Paris.",
             "Apple opened a store in Shanghai.", "I flew from Tokyo to Berlin on Monday."]
    labels = ["person", "city", "company"]
    app = create_app(Settings(batch_wait_ms=30), model=nlu)
    responses = asyncio.run(_post_all(app, [{"text": t, "labels": labels} for t in texts]))
    for text, response in zip(texts, responses, strict=True):
        alone = nlu.extract(text, labels)
        served = response.json()["results"][0]
        assert [(s["label"], s["start"], s["end"]) for s in served["spans"]] == [
            (s.label, s.start, s.end) for s in alone.spans]
        assert [s["score"] for s in served["spans"]] == pytest.approx(
            [s.score for s in alone.spans], abs=1e-3)
    assert json.loads(json.dumps(responses[0].json()))  # plain JSON all the way


def test_real_model_composite_endpoints() -> None:
    with TestClient(create_app(Settings(), model=default_model())) as client:
        ner = client.post("/v1/ner", json={"text": "Tim Cook visited Beijing.",
                                           "types": "person, city"})
        # min_score reaches the task: the default model's relation reader scores this pair
        # 0.85, so it is found at the default 0.5 and dropped at 0.99; the signature rules out
        # the reverse direction.
        asked = {"text": "Tim Cook works for Apple.",
                 "relation_types": {"works for": ["person", "company"]}}
        relations = client.post("/v1/relations", json={**asked, "min_score": 0.5})
        strict = client.post("/v1/relations", json={**asked, "min_score": 0.99})
        nli = client.post("/v1/nli", json={"premise": ["A man plays a guitar."],
                                           "hypothesis": ["A person plays music."]})
        data = client.post("/v1/extract_json", json={"text": "Tim Cook visited Beijing.",
                                                      "schema": {"city": "string"}})
        bad = client.post("/v1/entity_type", json={"text": "Tim", "span": [2, 9],
                                                   "types": ["person"]})
        review = {"context": "The screen is bright. Battery life is poor, it barely lasts a day.",
                  "questions": "How is the battery?", "unit": "sentence"}
        sentence = client.post("/v1/answer", json=review)
        bad_unit = client.post("/v1/answer", json={**review, "unit": "paragraph"})
    assert [s["text"] for s in ner.json()["result"]["spans"]] == ["Tim Cook", "Beijing"]
    assert sentence.json()["result"]["answer"]["text"] == (
        "Battery life is poor, it barely lasts a day.")
    assert bad_unit.status_code == 422 and "unit" in bad_unit.text
    assert [(r["head"]["text"], r["label"], r["tail"]["text"])
            for r in relations.json()["result"]["relations"]] == [
        ("Tim Cook", "works for", "Apple")]
    assert strict.json()["result"]["relations"] == []
    assert set(nli.json()["result"][0]["scores"]) == {"entailment", "neutral", "contradiction"}
    city = data.json()["result"]["data"]["city"]  # the schema's shape, whatever the model finds
    assert list(data.json()["result"]["data"]) == ["city"] and city in (None, "Beijing")
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_input"
