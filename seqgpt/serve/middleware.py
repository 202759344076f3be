"""The ASGI middlewares every request passes through before a route: the Host check, the API
key, the body size limit, and the request metrics. Each answers a refusal itself, in the
error shape of ``errors.py``, before the body is read (the key, the Host) or while it streams
(the size).
"""

from __future__ import annotations

import hmac
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from seqgpt.serve.errors import ApiError, limit_error
from seqgpt.serve.metrics import Metrics

#: Mounted folders, each one metrics label: their paths are unbounded.
MOUNTS = ("/static", "/docs-assets")


class AllowedHosts:
    """Refuse a request whose ``Host`` is not one of ``names`` (400): a web page on another
    site that rebinds its DNS name to 127.0.0.1 cannot then reach a keyless local server.
    A request without a Host header (HTTP/1.0) passes; ``names=None`` lets every host in."""

    def __init__(self, app: ASGIApp, names: frozenset[str] | None) -> None:
        self.app, self.names = app, names

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.names is None or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = dict(scope["headers"]).get(b"host")
        host = host_name(raw.decode("latin-1")) if raw is not None else None
        if host is None or host in self.names:
            await self.app(scope, receive, send)
            return
        error = ApiError(400, "host_not_allowed", f"the Host header {host!r} is not one this "
                         "server answers to; add it to allowed_hosts (--allowed-hosts, "
                         "SEQGPT_SERVE_ALLOWED_HOSTS)", field="Host", limit="allowed_hosts")
        await error.response()(scope, receive, send)


def host_name(header: str) -> str:
    """``example.org:8000`` -> ``example.org``; ``[::1]:8000`` -> ``::1``; lower case."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].partition("]")[0]
    if header.count(":") == 1:
        return header.partition(":")[0]
    return header


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
        mount = next((m for m in MOUNTS if path.startswith(m + "/")), "other")
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
