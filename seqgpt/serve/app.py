"""The HTTP service: ``create_app()`` builds the FastAPI application ``seqgpt serve`` runs.

Requests are validated (types by pydantic, limits here), queued to the micro-batcher, and
answered with typed JSON. The model lives in one worker thread; the event loop only parses,
checks and serialises. Errors all share the shape in ``errors.py``.
"""

from __future__ import annotations

import asyncio
import hmac
import inspect
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from seqgpt import prompt
from seqgpt.api import DEFAULT_MODEL, Model
from seqgpt.serve import composite, errors
from seqgpt.serve.batcher import MicroBatcher, Overloaded
from seqgpt.serve.errors import ApiError, limit_error
from seqgpt.serve.metrics import CONTENT_TYPE, Metrics
from seqgpt.serve.schemas import (
    AtomicRequest,
    ClassifyResponse,
    ErrorResponse,
    ExtractResponse,
)
from seqgpt.serve.settings import Settings
from seqgpt.types import SeqGPTError

STATIC = Path(__file__).parent / "static"
DOCS_ASSETS = "/docs-assets"
log = logging.getLogger("seqgpt.serve")

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": text} for status, text in (
        (400, "the body is not valid JSON"), (401, "missing or wrong API key"),
        (408, "no result within request_timeout_s"), (413, "body over max_body_bytes"),
        (422, "a field has the wrong type or exceeds a limit"),
        (429, "too many texts queued (max_pending_texts)"), (503, "the model is not loaded"))}

# The page loads nothing from elsewhere; say so to the browser too.
_PAGE_HEADERS = {"Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                                            "base-uri 'none'; form-action 'none'; "
                                            "frame-ancestors 'none'",
                 "X-Content-Type-Options": "nosniff"}


class Service:
    """The model, its thread, the batcher and the metrics behind one application."""

    def __init__(self, settings: Settings, model: Model | None,
                 loader: Callable[[], Model] | None,
                 on_load_error: Callable[[BaseException], None] | None) -> None:
        self.settings = settings
        self.metrics = Metrics()
        self.model = model
        self.load_error: str | None = None
        self.loader = loader or self._load_default
        self.on_load_error = on_load_error
        self._executor: ThreadPoolExecutor | None = None
        self.batcher = MicroBatcher(
            self._run, self.executor, self.metrics, max_batch_texts=settings.max_batch_texts,
            batch_wait_ms=settings.batch_wait_ms, max_pending_texts=settings.max_pending_texts,
            enabled=settings.micro_batching)
        self.metrics.ready.set(model is not None)

    def _load_default(self) -> Model:
        import seqgpt

        return seqgpt.load(self.settings.model)

    def executor(self) -> ThreadPoolExecutor:
        """The model thread (one: calls are serialised; torch parallelises inside a call)."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="seqgpt-model")
        return self._executor

    async def load(self) -> None:
        try:
            model = await asyncio.get_running_loop().run_in_executor(self.executor(), self.loader)
        except Exception as error:  # noqa: BLE001 - reported by /readyz and on_load_error
            self.load_error = f"{type(error).__name__}: {error}"
            if self.on_load_error:
                self.on_load_error(error)
            else:
                log.error("seqgpt serve: could not load the model: %s", self.load_error)
            return
        self.model = model
        self.metrics.ready.set(1)
        log.info("seqgpt serve: model %s ready", self.model_name)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    @property
    def model_name(self) -> str:
        if self.settings.model:
            return self.settings.model
        name = str(getattr(getattr(self.model, "backend", None), "name", "model"))
        return "default" if name == str(DEFAULT_MODEL) else name

    def require_model(self) -> Model:
        if self.model is not None:
            return self.model
        if self.load_error:
            raise ApiError(503, "model_failed", f"the model failed to load: {self.load_error}")
        raise ApiError(503, "not_ready", "the model is still loading; retry shortly",
                       headers={"Retry-After": "2"})

    def _run(self, task: str, texts: list[str], labels: list[str],
             options: dict[str, Any]) -> list[Any]:
        model = self.require_model()
        call = model.extract if task == "extract" else model.classify
        return call(texts, labels, **options)

    async def in_model_thread(self, call: Callable[[], Any]) -> Any:
        """Run ``call`` in the model thread, bounded by the request timeout."""
        future = asyncio.get_running_loop().run_in_executor(self.executor(), call)
        return await self._bounded(future)

    async def _bounded(self, awaitable: Any) -> Any:
        timeout = self.settings.request_timeout_s
        try:
            return await asyncio.wait_for(awaitable, timeout)
        except TimeoutError:
            raise ApiError(408, "timeout", f"no result within {timeout:g} s; send fewer or "
                           "shorter texts, or raise the limit", limit="request_timeout_s",
                           maximum=timeout) from None

    async def atomic(self, task: str, body: AtomicRequest) -> JSONResponse:
        texts = check_texts(body.text, "text", self.settings)
        labels = check_labels(body.labels, "labels", self.settings)
        options = composite.options_of(body.threshold, body.options)
        self.require_model()
        try:
            results = await self._bounded(self.batcher.submit(task, texts, labels, options))
        except Overloaded:
            raise ApiError(429, "overloaded", "too many texts are waiting for the model; retry "
                           "shortly", limit="max_pending_texts",
                           maximum=self.settings.max_pending_texts,
                           headers={"Retry-After": "1"}) from None
        return JSONResponse({"model": self.model_name, "results": [
            {**result.to_dict(), "answer": result.to_seqgpt()} for result in results]})

    async def composite(self, task: composite.CompositeTask, body: Any) -> JSONResponse:
        for name in task.text_fields:
            check_texts(getattr(body, name), name, self.settings)
        for name in task.label_fields:
            if getattr(body, name, None) is not None:
                check_label_set(getattr(body, name), name.removesuffix("_"), self.settings)
        method = getattr(self.require_model(), task.name)
        arguments = task.arguments(body)
        result = await self.in_model_thread(lambda: method(**arguments))
        return JSONResponse({"model": self.model_name, "result": _plain(result)})


def check_texts(value: Any, field: str, settings: Settings) -> list[str]:
    single = isinstance(value, str)
    texts = [value] if single else list(value)
    if not texts:
        raise ApiError(422, "invalid_input", f"{field} is an empty list; give at least one text",
                       field=field)
    if len(texts) > settings.max_texts:
        raise limit_error(field, "max_texts", settings.max_texts, f"{field} has {len(texts)} texts")
    for i, text in enumerate(texts):
        name = field if single else f"{field}[{i}]"
        try:
            prompt.check_text(text, name)
        except SeqGPTError as error:
            raise ApiError(422, "invalid_input", str(error), field=name) from None
        if len(text) > settings.max_text_chars:
            raise limit_error(name, "max_text_chars", settings.max_text_chars,
                              f"{name} has {len(text)} characters")
    return texts


def check_labels(value: Any, field: str, settings: Settings) -> list[str]:
    try:
        labels = prompt.check_labels(value)
    except SeqGPTError as error:
        raise errors.input_error(error) from None
    _check_label_limits(labels, field, settings)
    return labels


def check_label_set(value: Any, field: str, settings: Settings) -> None:
    """Limits on a composite task's labels: a comma string, or every string (keys included)
    in a list or map of them (a schema, relation signatures, questions per context)."""
    if isinstance(value, str):
        labels = prompt.split_labels(value)
    else:
        labels = list(_strings(value))
    _check_label_limits(labels, field, settings)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def _plain(value: Any) -> Any:
    """A task result as JSON values: typed results by their ``to_dict``, lists item by item."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _check_label_limits(labels: list[str], field: str, settings: Settings) -> None:
    if len(labels) > settings.max_labels:
        raise limit_error(field, "max_labels", settings.max_labels,
                          f"{field} has {len(labels)} labels")
    for i, label in enumerate(labels):
        if len(label) > settings.max_label_chars:
            raise limit_error(f"{field}[{i}]", "max_label_chars", settings.max_label_chars,
                              f"{field}[{i}] has {len(label)} characters")


def create_app(settings: Settings | None = None, *, model: Model | None = None,
               loader: Callable[[], Model] | None = None,
               on_load_error: Callable[[BaseException], None] | None = None) -> FastAPI:
    """The application. Give ``model`` to serve it at once; otherwise ``loader`` (default:
    ``seqgpt.load(settings.model)``) runs in the model thread at startup, and ``/readyz``
    answers 503 until it is done (``on_load_error`` hears of a failure)."""
    from seqgpt import __version__

    settings = settings or Settings.from_env()
    service = Service(settings, model, loader, on_load_error)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        loading = None
        if service.model is None and service.load_error is None:
            loading = asyncio.create_task(service.load())
        yield
        if loading is not None:
            loading.cancel()
        service.close()

    app = FastAPI(
        title="seqgpt", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
        description="Open-domain NLU: extract labelled spans from texts, or classify texts, for "
                    "any label set. With `SEQGPT_API_KEY` set, `/v1/*` and `/metrics` need the "
                    "header `Authorization: Bearer <key>` (or `X-API-Key: <key>`). Every error "
                    "is `{\"error\": {\"code\", \"message\", \"field\", \"limit\", \"max\"}}`.")
    app.state.service = service
    app.add_exception_handler(ApiError, errors.on_api_error)
    app.add_exception_handler(SeqGPTError, errors.on_seqgpt_error)
    app.add_exception_handler(HTTPException, errors.on_http_error)
    app.add_exception_handler(RequestValidationError, errors.on_validation_error)
    app.add_exception_handler(Exception, _on_crash)

    @app.post("/v1/extract", response_model=ExtractResponse, responses=_ERRORS, tags=["atomic"],
              summary="Find the spans of each text that answer each label")
    async def extract(body: AtomicRequest) -> JSONResponse:
        return await service.atomic("extract", body)

    @app.post("/v1/classify", response_model=ClassifyResponse, responses=_ERRORS,
              tags=["atomic"], summary="Choose the labels that apply to each text")
    async def classify(body: AtomicRequest) -> JSONResponse:
        return await service.atomic("classify", body)

    # Routes are fixed before a lazily loaded model exists; every model is a ``Model``.
    tasks = composite.available(type(model) if model is not None else Model)
    for task in tasks:
        app.add_api_route(f"/v1/{task.name}", _composite_endpoint(service, task),
                          methods=["POST"], responses=_ERRORS, tags=["composite"],
                          summary=task.summary, name=task.name)

    @app.get("/v1/tasks", tags=["service"], summary="The tasks this server offers")
    async def list_tasks() -> dict[str, Any]:
        return {"tasks": [{"name": name, "fields": ["text", "labels"]}
                          for name in ("extract", "classify")] + [
            {"name": t.name, "fields": [f.alias or n for n, f in t.body.model_fields.items()
                                        if n not in ("threshold", "options")]}
            for t in tasks]}

    @app.get("/v1/limits", tags=["service"], summary="The limits requests must respect")
    async def limits() -> dict[str, Any]:
        return settings.limits()

    @app.get("/healthz", tags=["service"], summary="The process is up")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["service"], summary="The model is loaded",
             responses={503: {"description": "loading, or the load failed"}})
    async def readyz() -> JSONResponse:
        if service.model is not None:
            return JSONResponse({"status": "ready", "model": service.model_name})
        if service.load_error:
            return JSONResponse({"status": "failed", "error": service.load_error}, 503)
        return JSONResponse({"status": "loading"}, 503)

    @app.get("/metrics", tags=["service"], response_class=PlainTextResponse,
             summary="Prometheus metrics")
    async def metrics() -> PlainTextResponse:
        return PlainTextResponse(service.metrics.render(), media_type=CONTENT_TYPE)

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers=_PAGE_HEADERS)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _mount_docs(app)
    # Added last = outermost: metrics see every response, auth runs before the body is read.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(ApiKey, key=settings.api_key)
    app.add_middleware(RequestMetrics, metrics=service.metrics,
                       routes={r.path for r in app.routes if hasattr(r, "methods")})
    return app


def _composite_endpoint(service: Service, task: composite.CompositeTask) -> Callable[..., Any]:
    async def endpoint(body: Any) -> JSONResponse:
        return await service.composite(task, body)

    # The body type is only known here; FastAPI reads it from the signature.
    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("body", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=task.body)])
    return endpoint


def _mount_docs(app: FastAPI) -> None:
    """``/docs``: Swagger UI from the ``swagger-ui-bundle`` package (a dependency of the serve
    extra), so the API reference works offline; without the package, from FastAPI's CDN."""
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:
        swagger_ui_path = None
    assets = {}
    if swagger_ui_path is not None:
        app.mount(DOCS_ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")
        assets = {"swagger_js_url": f"{DOCS_ASSETS}/swagger-ui-bundle.js",
                  "swagger_css_url": f"{DOCS_ASSETS}/swagger-ui.css",
                  "swagger_favicon_url": f"{DOCS_ASSETS}/favicon-32x32.png"}

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=app.openapi_url or "/openapi.json",
                                   title="seqgpt API", **assets)


async def _on_crash(_: Any, error: Exception) -> JSONResponse:
    log.exception("seqgpt serve: internal error", exc_info=error)
    return ApiError(500, "internal_error", f"internal error ({type(error).__name__}); see the "
                    "server log").response()


class BodyLimit:
    """Refuse bodies over ``max_bytes`` with 413, whether declared or streamed (chunked)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        replay: list[Message] = [{"type": "http.request", "body": b"".join(chunks),
                                  "more_body": False}]

        async def replayed() -> Message:
            return replay.pop() if replay else await receive()

        await self.app(scope, replayed, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        error = limit_error("body", "max_body_bytes", self.max_bytes,
                            "the request body is too large", status=413)
        await error.response()(scope, receive, send)


class ApiKey:
    """With a key configured, ``/v1/*`` and ``/metrics`` need it (health probes and the page
    do not: the page holds no data and asks for the key when the API says 401)."""

    def __init__(self, app: ASGIApp, key: str | None) -> None:
        self.app = app
        self.key = key.encode() if key else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (self.key is None or scope["type"] != "http"
                or not (path.startswith("/v1/") or path == "/metrics")):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        given = headers.get(b"x-api-key") or b""
        authorization = headers.get(b"authorization", b"")
        if authorization[:7].lower() == b"bearer ":
            given = authorization[7:].strip()
        if given and hmac.compare_digest(given, self.key):
            await self.app(scope, receive, send)
            return
        error = ApiError(401, "unauthorized", "missing or wrong API key: send the header "
                         "'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
                         headers={"WWW-Authenticate": "Bearer"})
        await error.response()(scope, receive, send)


class RequestMetrics:
    """Count requests and time them by route; unknown paths share one label (bounded series)."""

    def __init__(self, app: ASGIApp, metrics: Metrics, routes: set[str]) -> None:
        self.app, self.metrics, self.routes = app, metrics, routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        mount = next((m for m in ("/static", DOCS_ASSETS) if path.startswith(m + "/")), "other")
        route = path if path in self.routes else mount
        status = 500
        started = time.perf_counter()

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            self.metrics.requests.inc(route, str(status))
            self.metrics.latency.observe(time.perf_counter() - started, route)
