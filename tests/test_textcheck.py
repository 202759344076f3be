"""Text that is not valid Unicode, over arbitrary code points (hypothesis): every entry point
either takes the text or says which field and which position is at fault, never a traceback."""

from __future__ import annotations

import io
import json
import sys
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import seqgpt
from seqgpt import inputs, textcheck
from seqgpt.types import SeqGPTError

# Every code point, surrogates included (the default alphabet leaves them out).
ANY_TEXT = st.text(st.characters(codec=None, categories=None), max_size=40)
FAST = settings(max_examples=200, deadline=None)


def _surrogate(text: str) -> int | None:
    return next((i for i, c in enumerate(text) if 0xD800 <= ord(c) <= 0xDFFF), None)


@FAST
@given(ANY_TEXT)
def test_check_names_the_first_lone_surrogate_and_replace_keeps_offsets(text: str) -> None:
    bad = _surrogate(text)
    assert textcheck.first_invalid(text) == bad
    if bad is None:
        assert textcheck.check(text, "text[3]") is text
    else:
        with pytest.raises(textcheck.TextEncodingError, match=rf"^text\[3\] has .* at "
                                                              rf"position {bad}\b"):
            textcheck.check(text, "text[3]")
    fixed = textcheck.replace(text)
    assert len(fixed) == len(text) and textcheck.first_invalid(fixed) is None
    fixed.encode("utf-8")
    assert all(a == b or b == textcheck.REPLACEMENT for a, b in zip(text, fixed, strict=True))


def test_argv_bytes_are_named_as_bytes() -> None:
    argv = b"Tim \xff Cook".decode("utf-8", "surrogateescape")  # what sys.argv holds
    with pytest.raises(SeqGPTError, match="undecodable byte 0xff .* at position 4"):
        textcheck.check(argv)


@FAST
@given(st.lists(st.binary(max_size=12).map(lambda b: b.replace(b"\n", b"")), min_size=1,
                max_size=5))
def test_stdin_bytes_decode_or_name_the_line(lines: list[bytes]) -> None:
    data = b"\n".join(lines) + b"\n"
    stdin = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
    old, sys.stdin = sys.stdin, stdin
    try:
        first_bad = next((n for n, line in enumerate(lines, 1) if not _decodes(line)), None)
        if first_bad is not None:
            with pytest.raises(SeqGPTError, match=rf"^stdin line {first_bad} is not UTF-8"):
                inputs.read("-")
            return
        texts = [line.decode().rstrip("\r") for line in lines]
        kept = [(n, t) for n, t in enumerate(texts, 1) if t.strip()]
        if not kept:
            with pytest.raises(SeqGPTError, match="no text given"):
                inputs.read("-")
            return
        assert [(i.where, i.text) for i in inputs.read("-")] == [
            (f"stdin line {n}", t) for n, t in kept]
    finally:
        sys.stdin = old


def _decodes(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@cache
def _service():
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from seqgpt.serve.app import create_app
    from seqgpt.serve.settings import Settings

    return TestClient(create_app(Settings(), model=_default()), raise_server_exceptions=False)


@cache
def _default() -> seqgpt.Model:
    return seqgpt.load()


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(ANY_TEXT, st.sampled_from(["/v1/extract", "/v1/classify"]))
def test_the_service_answers_any_code_points_with_a_result_or_a_named_422(
        text: str, path: str) -> None:
    body = json.dumps({"text": ["fine", text], "labels": ["person", "city"]})
    response = _service().post(path, content=body, headers={"content-type": "application/json"})
    bad = _surrogate(text)
    if bad is not None:
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["field"] == "text[1]" and f"position {bad}" in error["message"]
    elif not text.strip():
        assert response.status_code == 422 and response.json()["error"]["field"] == "text[1]"
    else:
        assert response.status_code == 200, response.text
        result = response.json()["results"][1]
        for span in result.get("spans", []):
            assert text[span["start"]:span["end"]] == span["text"]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(ANY_TEXT)
def test_the_python_api_takes_any_code_points_or_raises_a_named_seqgpt_error(text: str) -> None:
    nlu = _default()
    for call in (nlu.extract, nlu.classify):
        try:
            result = call(text, ["person", "city"])
        except SeqGPTError as error:
            bad = _surrogate(text)
            assert (bad is not None and f"position {bad}" in str(error)) or not text.strip()
            continue
        assert _surrogate(text) is None
        for span in getattr(result, "spans", []):
            assert text[span.start:span.end] == span.text
