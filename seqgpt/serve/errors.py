"""Every error the service returns has one JSON shape: ``{"error": {code, message, field, ...}}``.

Validation errors from FastAPI/pydantic are rewritten into that shape so a client handles one
format; the field is written the way a user would point at it (``text[2]``, ``options.nested``).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from seqgpt.types import SeqGPTError


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, *, field: str | None = None,
                 limit: str | None = None, maximum: float | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.field, self.limit, self.maximum = field, limit, maximum
        self.headers = headers

    def response(self) -> JSONResponse:
        body: dict[str, Any] = {"code": self.code, "message": _printable(self.message)}
        if self.field is not None:
            body["field"] = _printable(self.field)
        if self.limit is not None:
            body["limit"], body["max"] = self.limit, self.maximum
        return JSONResponse({"error": body}, status_code=self.status, headers=self.headers)


def limit_error(field: str, limit: str, maximum: float, message: str,
                status: int = 422) -> ApiError:
    return ApiError(status, "limit_exceeded", f"{message}; the limit is {_n(maximum)} ({limit})",
                    field=field, limit=limit, maximum=maximum)


def input_error(error: SeqGPTError) -> ApiError:
    """A model/prompt validation error; its message starts with the field it names."""
    message = str(error)
    match = _FIELD.match(message)
    return ApiError(422, "invalid_input", message, field=match.group(0) if match else None)


_FIELD = re.compile(r"(text|labels|context|questions?|premise|hypothesis)(\[\d+\])?(?!\w)")
_HTTP_CODES = {401: "unauthorized", 404: "not_found", 405: "method_not_allowed",
               413: "body_too_large", 415: "unsupported_media_type"}


async def on_api_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ApiError)
    return error.response()


async def on_seqgpt_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, SeqGPTError)
    return input_error(error).response()


async def on_http_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    code = _HTTP_CODES.get(error.status_code, "http_error")
    headers = dict(error.headers) if error.headers else None
    return ApiError(error.status_code, code, str(error.detail), headers=headers).response()


async def on_validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    content_type = request.headers.get("content-type", "")
    return validation_error(error.errors(), request.url.path, content_type).response()


def validation_error(errors: Any, path: str, content_type: str = "application/json") -> ApiError:
    """The first field at fault, with every reason pydantic gave for it (a union has several).

    For a union (``text``: a string or a list) the deepest error is the one the client meant:
    ``["a", 5]`` is a list with a bad item, not a bad string.
    """
    errors = list(errors)
    if not errors:
        return ApiError(422, "invalid_request", f"invalid request to {path}")
    top = _field(errors[0].get("loc", ())[:2])
    first = max((e for e in errors if _field(e.get("loc", ())[:2]) == top),
                key=lambda e: len(e.get("loc", ())))
    if first.get("type") == "json_invalid":
        return ApiError(400, "invalid_json", "the request body is not valid JSON: "
                        f"{first.get('ctx', {}).get('error', first.get('msg'))}", field="body")
    field = _field(first.get("loc", ()))
    if field == "body" and "json" not in content_type:
        # FastAPI reads a body only when it is declared as JSON.
        return ApiError(415, "unsupported_media_type", "send the body as JSON with the header "
                        f"'Content-Type: application/json' (got {content_type or 'none'!r})",
                        field="body")
    if field == "body":
        return ApiError(422, "invalid_request",
                        "the request body must be a JSON object with the fields in /docs",
                        field="body")
    if first.get("type") == "extra_forbidden":
        return ApiError(422, "invalid_request", f"unknown field {field}; see /docs for the "
                        "fields this endpoint takes", field=field)
    reasons = []
    for item in errors:
        if _field(item.get("loc", ())) == field and item.get("msg") not in reasons:
            reasons.append(item.get("msg"))
    return ApiError(422, "invalid_request", f"{field}: {' or '.join(reasons)}", field=field)


def _field(loc: Any) -> str:
    parts = list(loc)
    if parts and parts[0] == "body":
        parts = parts[1:]
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif "[" in part or part in ("str", "int", "float", "bool", "list", "dict"):
            continue  # pydantic's name for a branch of a union, not a field
        else:
            out += f".{part}" if out else part
    return out or "body"


def _printable(text: str) -> str:
    """``text`` as valid Unicode: a lone surrogate from the request (in a field name, say)
    is written as its escape, ``\\udcff``, so the error itself can always be sent."""
    if text.isascii():
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _n(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
