"""``seqgpt serve``: the HTTP API and the web page (needs ``pip install -e ".[serve]"``)."""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
from dataclasses import fields, replace

from seqgpt.serve.settings import API_KEY_ENV, ENV_PREFIX, Settings
from seqgpt.types import SeqGPTError

_LIMIT_HELP = {
    "max_text_chars": "characters per text",
    "max_texts": "texts per request",
    "max_labels": "labels per request",
    "max_label_chars": "characters per label",
    "max_body_bytes": "request body size",
    "request_timeout_s": "seconds a request may wait for its results (then 408)",
    "batch_wait_ms": "how long a micro-batch waits for more requests",
    "max_batch_texts": "texts per model call",
    "max_pending_texts": "queued texts before new requests get 429",
    "max_expanded_texts": "texts one composite request may send to the model in all (its "
                          "texts, then relation pairs, event triggers ...; over it: 422)",
    "max_composite_requests": "composite requests running at once (more get 429)",
}
#: The names a loopback server answers to unless --allowed-hosts says otherwise.
LOOPBACK_NAMES = "localhost,127.0.0.1,::1"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    defaults = Settings()
    sub = subparsers.add_parser(
        "serve", help="run the HTTP API and the web page",
        description="Serve extract, classify and the composite tasks over HTTP (JSON API at "
                    "/v1/*, docs at /docs, a web page at /, /healthz, /readyz, /metrics). "
                    f"Set {API_KEY_ENV} to require a key. Every limit can also be set with "
                    f"{ENV_PREFIX}<NAME> (e.g. {ENV_PREFIX}MAX_TEXT_CHARS=5000).",
        epilog="example:\n  seqgpt serve --port 8000\n  curl -s localhost:8000/v1/extract "
               "-H 'content-type: application/json' \\\n"
               "    -d '{\"text\": \"Tim Cook visited Beijing.\", \"labels\": [\"person\", "
               "\"city\"]}'",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sub.add_argument("--model", default=os.environ.get("SEQGPT_MODEL"),
                     help="hub id or local folder (default: $SEQGPT_MODEL, else the embedded "
                          "default model)")
    sub.add_argument("--host", default=None,
                     help=f"address to bind (default {defaults.host}: this machine only)")
    sub.add_argument("--port", type=int, default=None, help=f"default {defaults.port}")
    for f in fields(Settings):
        if f.name in _LIMIT_HELP:
            kind = int if isinstance(getattr(defaults, f.name), int) else float
            sub.add_argument(f"--{f.name.replace('_', '-')}", type=kind, default=None,
                             help=f"{_LIMIT_HELP[f.name]} (default {getattr(defaults, f.name)})")
    sub.add_argument("--allowed-hosts", default=None, metavar="NAMES",
                     help="Host header names to answer, comma-separated, or '*' for any "
                          f"(default: {LOOPBACK_NAMES} when bound to a loopback address, "
                          "else any); guards a keyless local server against DNS rebinding")
    sub.add_argument("--no-batching", action="store_true",
                     help="one request per model call (to measure what micro-batching brings)")
    sub.add_argument("--log-level", default="info",
                     choices=["critical", "error", "warning", "info", "debug"])
    sub.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from seqgpt.serve.app import create_app
    except ModuleNotFoundError as error:
        raise SeqGPTError(f"seqgpt serve needs {error.name}: pip install -e '.[serve]' "
                          "(fastapi, uvicorn, httpx)") from None
    settings = settings_of(args)
    if not _loopback(settings.host) and not settings.api_key:
        print(f"seqgpt serve: warning: listening on {settings.host} without {API_KEY_ENV}; "
              "anyone who can reach this address can use the model", file=sys.stderr)
    failed: list[BaseException] = []
    server: uvicorn.Server | None = None

    def stop(error: BaseException) -> None:
        failed.append(error)
        if server is not None:
            server.should_exit = True

    app = create_app(settings, on_load_error=stop)
    server = uvicorn.Server(uvicorn.Config(app, host=settings.host, port=settings.port,
                                           log_level=args.log_level))
    server.run()
    if failed:
        raise SeqGPTError(f"could not load the model {settings.model or '(default)'}: "
                          f"{failed[0]}")
    return 0


def settings_of(args: argparse.Namespace) -> Settings:
    """Defaults, then the environment, then the flags; a loopback server answers only to
    loopback Host names unless told otherwise."""
    overrides = {name: getattr(args, name) for name in _LIMIT_HELP}
    settings = Settings.from_env(
        model=args.model, host=args.host, port=args.port, allowed_hosts=args.allowed_hosts,
        micro_batching=False if args.no_batching else None, **overrides)
    if settings.allowed_hosts is None and _loopback(settings.host):
        settings = replace(settings, allowed_hosts=f"{LOOPBACK_NAMES},{settings.host}")
    return settings


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
