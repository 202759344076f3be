"""The HTTP service: ``create_app()`` builds the FastAPI application ``seqgpt serve`` runs.

This file is the routes: ``/v1/extract`` and ``/v1/classify``, one route per composite task,
the service probes, the page and the docs. What they call lives elsewhere: the service and its
model thread (``service.py``), request limits (``validation.py``), composite requests
(``runner.py``), the middlewares (``middleware.py``), the error shape (``errors.py``).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from seqgpt.api import Model
from seqgpt.serve import composite, errors
from seqgpt.serve.docs import mount_docs
from seqgpt.serve.errors import ApiError
from seqgpt.serve.metrics import CONTENT_TYPE
from seqgpt.serve.middleware import AllowedHosts, ApiKey, BodyLimit, RequestMetrics
from seqgpt.serve.schemas import AtomicRequest, ClassifyResponse, ErrorResponse, ExtractResponse
from seqgpt.serve.service import Service
from seqgpt.serve.settings import Settings
from seqgpt.types import SeqGPTError

STATIC = Path(__file__).parent / "static"
log = logging.getLogger("seqgpt.serve")

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": text} for status, text in (
        (400, "the body is not valid JSON, or the Host is not allowed"),
        (401, "missing or wrong API key"),
        (408, "no result within request_timeout_s"), (413, "body over max_body_bytes"),
        (422, "a field has the wrong type or exceeds a limit"),
        (429, "over capacity: max_pending_texts or max_composite_requests (see Retry-After)"),
        (503, "the model is not loaded"))}

# The page loads nothing from elsewhere; say so to the browser too.
_PAGE_HEADERS = {"Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                                            "base-uri 'none'; form-action 'none'; "
                                            "frame-ancestors 'none'",
                 "X-Content-Type-Options": "nosniff"}


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
    async def extract(body: AtomicRequest, request: Request) -> JSONResponse:
        return JSONResponse(await service.atomic("extract", body, request))

    @app.post("/v1/classify", response_model=ClassifyResponse, responses=_ERRORS,
              tags=["atomic"], summary="Choose the labels that apply to each text")
    async def classify(body: AtomicRequest, request: Request) -> JSONResponse:
        return JSONResponse(await service.atomic("classify", body, request))

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
    mount_docs(app)
    # Added last = outermost: metrics see every response, the Host and the key are checked
    # before the body is read.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(ApiKey, key=settings.api_key)
    app.add_middleware(AllowedHosts, names=settings.host_names())
    app.add_middleware(RequestMetrics, metrics=service.metrics,
                       routes={str(getattr(r, "path", "")) for r in app.routes
                               if hasattr(r, "methods")})
    return app


def _composite_endpoint(service: Service, task: composite.CompositeTask) -> Callable[..., Any]:
    async def endpoint(body: Any, request: Request) -> JSONResponse:
        return JSONResponse(await service.composite(task, body, request))

    # The body type is only known here; FastAPI reads it from the signature.
    endpoint.__signature__ = inspect.Signature([  # type: ignore[attr-defined]
        inspect.Parameter("body", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=task.body),
        inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                          annotation=Request)])
    return endpoint


async def _on_crash(_: Any, error: Exception) -> JSONResponse:
    log.exception("seqgpt serve: internal error", exc_info=error)
    return ApiError(500, "internal_error", f"internal error ({type(error).__name__}); see the "
                    "server log").response()
