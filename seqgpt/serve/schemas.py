"""Request and response bodies; FastAPI builds the OpenAPI schema and the docs from these.

Types are checked here; limits (which the operator configures) are checked in ``app.py`` so
that a violation names the limit. Unknown fields are refused rather than ignored: a typo in
``threshhold`` should not silently fall back to the default.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

Text = str | list[str]
Labels = list[str] | str


class Options(BaseModel):
    """Per-call model options; those a backend does not know get a 422 naming the option."""

    model_config = ConfigDict(extra="forbid")

    nested: bool | None = Field(None, description="compact model: allow spans inside spans")
    symbol_spans: bool | None = Field(
        None, description="compact model, extract: also spans with no letter or digit")
    multi_label: bool | None = Field(
        None, description="compact model, classify: every label over the threshold")
    answer_questions: bool | None = Field(
        None, description="compact model, extract: a label ending with '?' is answered by the "
                          "answer reader (one span at most); false: found like any label")
    num_beams: int | None = Field(None, ge=1, le=8, description="generative model: beam width")
    max_new_tokens: int | None = Field(None, ge=1, le=512,
                                       description="generative model: answer length cap")
    repetition_penalty: float | None = Field(None, gt=0, le=10,
                                             description="generative model")


class AtomicRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"text": "Tim Cook visited Beijing.", "labels": ["person", "city"]}]})

    text: Text = Field(description="one text, or a list of texts (one result each, in order)")
    labels: Labels = Field(description="the label set: a list, or one string split on ',' / '，'")
    threshold: float | None = Field(None, ge=0, le=1,
                                    description="lowest score a span or label needs "
                                                "(compact model; default: the model's)")
    options: Options | None = None


class SpanOut(BaseModel):
    label: str
    text: str
    start: int | None
    end: int | None
    score: float | None


class ExtractionOut(BaseModel):
    text: str
    labels: list[str]
    spans: list[SpanOut]
    unmatched: list[SpanOut]
    raw: str | None
    warnings: list[str]
    truncated: bool
    answer: str = Field(description="the upstream SeqGPT answer text")


class ClassificationOut(BaseModel):
    text: str
    labels: list[str] = Field(description="the chosen labels")
    scores: dict[str, float | None]
    raw: str | None
    warnings: list[str]
    truncated: bool
    answer: str = Field(description="the upstream SeqGPT answer text")


class ExtractResponse(BaseModel):
    model: str
    results: list[ExtractionOut] = Field(description="one per text, in request order")


class ClassifyResponse(BaseModel):
    model: str
    results: list[ClassificationOut] = Field(description="one per text, in request order")


class ErrorBody(BaseModel):
    code: str = Field(description="machine-readable kind, e.g. limit_exceeded, invalid_request")
    message: str
    field: str | None = Field(None, description="the request field at fault, e.g. text[2]")
    limit: str | None = Field(None, description="the setting that was exceeded")
    max: float | None = Field(None, description="that setting's value")


class ErrorResponse(BaseModel):
    error: ErrorBody
