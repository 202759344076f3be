"""Any Hugging Face causal LM in the upstream SeqGPT format (SeqGPT-560M, BLOOMZ, fine-tunes).

Reproduces upstream's inference: left padding and left truncation to 1024 tokens, beam search
(4 beams, no sampling, 256 new tokens), decoding of the new tokens with special tokens skipped,
extraction labels chunked by six with every chunk in the same batched ``generate`` call.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from seqgpt import prompt
from seqgpt.errors import ModelNotFoundError
from seqgpt.types import Classification, Extraction, SeqGPTError


@dataclass(frozen=True)
class DecodingOptions:
    """Upstream's decoding settings; every one can be overridden per model or per call."""

    num_beams: int = 4
    do_sample: bool = False
    max_new_tokens: int = 256
    #: upstream's inference.py uses 2.0, its README / model card / ModelScope pipeline 1.0.
    repetition_penalty: float = 1.0
    max_length: int = 1024
    batch_size: int = 8

    def updated(self, options: dict[str, Any]) -> DecodingOptions:
        known = {f.name for f in fields(self)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise SeqGPTError(f"unknown option {unknown[0]!r} for the generative backend; "
                              f"known options: {', '.join(sorted(known))}")
        new = replace(self, **options)
        for name in ("num_beams", "max_new_tokens", "max_length", "batch_size"):
            if not isinstance(getattr(new, name), int) or getattr(new, name) < 1:
                raise SeqGPTError(f"option {name} must be a positive integer, "
                                  f"got {getattr(new, name)!r}")
        if not isinstance(new.repetition_penalty, (int, float)) or new.repetition_penalty <= 0:
            raise SeqGPTError("option repetition_penalty must be a positive number, "
                              f"got {new.repetition_penalty!r}")
        return new


class GenerativeBackend:
    """Generates upstream-format answers and maps them back to typed, offset-checked results."""

    def __init__(self, model: Any, tokenizer: Any, name: str,
                 options: DecodingOptions | None = None) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.name = name
        self.options = options or DecodingOptions()
        tokenizer.padding_side = "left"
        tokenizer.truncation_side = "left"
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token

    @classmethod
    def from_pretrained(cls, source: str | Path, device: str | None = None,
                        **options: Any) -> GenerativeBackend:
        """Load a local folder (``Path``) or a hub id (``str``) with transformers."""
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        decoding = DecodingOptions().updated(options)
        device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        dtype = torch.float16 if device.startswith("cuda") else torch.float32
        location = _resolve(source)
        try:
            tokenizer = AutoTokenizer.from_pretrained(location)
            model = AutoModelForCausalLM.from_pretrained(location, dtype=dtype)
        except (OSError, ValueError, json.JSONDecodeError, KeyError) as error:
            raise SeqGPTError(f"cannot load the model at {location}: {_first_line(error)} — "
                              "expected a transformers causal LM folder (config.json, weights, "
                              "tokenizer files)") from None
        # PreTrainedModel.to is decorated with functools.wraps, whose typeshed stub does not bind
        # self: mypy takes the device for the model argument.
        return cls(model.to(device), tokenizer, str(source), decoding)  # type: ignore[arg-type]

    def extract(self, texts: list[str], labels: list[str], **options: Any) -> list[Extraction]:
        chunks = prompt.chunk_labels(labels, "extract")
        requests = [(text, chunk) for text in texts for chunk in chunks]
        answers, truncated = self._generate(requests, "extract", options)
        results = []
        for i, text in enumerate(texts):
            mine = answers[i * len(chunks):(i + 1) * len(chunks)]
            result = Extraction(text=text, labels=list(labels), raw="\n".join(mine),
                                truncated=any(truncated[i * len(chunks):(i + 1) * len(chunks)]))
            for chunk, answer in zip(chunks, mine, strict=True):
                parsed = prompt.parse(answer, "extract", chunk)
                result.warnings.extend(parsed.warnings)
                for label, phrases in parsed.phrases.items():
                    located, unmatched = prompt.locate(text, label, phrases)
                    result.spans.extend(located)
                    result.unmatched.extend(unmatched)
            result.spans.sort(key=lambda s: (s.start, s.end, labels.index(s.label)))
            if result.truncated:
                result.warnings.append("the prompt was longer than max_length tokens; its "
                                       "beginning was cut off (left truncation, as upstream)")
            results.append(result)
        return results

    def classify(self, texts: list[str], labels: list[str],
                 **options: Any) -> list[Classification]:
        answers, truncated = self._generate([(t, labels) for t in texts], "classify", options)
        results = []
        for text, answer, cut in zip(texts, answers, truncated, strict=True):
            parsed = prompt.parse(answer, "classify", labels)
            warnings = list(parsed.warnings)
            if cut:
                warnings.append("the prompt was longer than max_length tokens; its beginning "
                                "was cut off (left truncation, as upstream)")
            # A generator gives no calibrated probability: chosen labels score 1, others 0.
            scores: dict[str, float | None] = {label: float(label in parsed.chosen)
                                               for label in labels}
            results.append(Classification(text=text, labels=parsed.chosen, scores=scores,
                                          raw=answer, warnings=warnings, truncated=cut))
        return results

    def _generate(self, requests: list[tuple[str, list[str]]], task: prompt.Task,
                  options: dict[str, Any]) -> tuple[list[str], list[bool]]:
        import torch

        opts = self.options.updated(options)
        prompts = [prompt.render(text, chunk, task) for text, chunk in requests]
        answers: list[str] = []
        truncated: list[bool] = []
        for start in range(0, len(prompts), opts.batch_size):
            batch = prompts[start:start + opts.batch_size]
            lengths = [len(ids) for ids in self.tokenizer(batch)["input_ids"]]
            truncated.extend(n > opts.max_length for n in lengths)
            inputs = self.tokenizer(batch, return_tensors="pt", padding=True, truncation=True,
                                    max_length=opts.max_length).to(self.model.device)
            with torch.inference_mode():
                output = self.model.generate(
                    **inputs, num_beams=opts.num_beams, do_sample=opts.do_sample,
                    max_new_tokens=opts.max_new_tokens,
                    repetition_penalty=opts.repetition_penalty,
                    pad_token_id=self.tokenizer.pad_token_id)
            new_tokens = output[:, inputs["input_ids"].shape[1]:]
            answers.extend(self.tokenizer.batch_decode(new_tokens, skip_special_tokens=True))
        return answers, truncated


def _resolve(source: str | Path) -> str:
    """A local folder as is; a hub id from the local cache first, then the network unless
    ``HF_HUB_OFFLINE`` is set. Raises :class:`ModelNotFoundError` saying where it looked."""
    if isinstance(source, Path):
        folder = source.expanduser()
        if not folder.is_dir():
            raise ModelNotFoundError(f"model folder {str(source)!r} does not exist; give a folder "
                                     "with config.json, the weights and the tokenizer files")
        if not (folder / "config.json").is_file():
            raise ModelNotFoundError(f"model folder {str(source)!r} has no config.json; is it a "
                                     "transformers model folder?")
        return str(folder)
    from huggingface_hub import constants, snapshot_download

    try:
        return snapshot_download(source, local_files_only=True)
    except Exception:  # noqa: BLE001 — any cache miss means: try the network below
        pass
    offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes", "on"}
    if not offline:
        try:
            return snapshot_download(source)
        except Exception as error:  # noqa: BLE001 — network errors come in many types
            reason = _first_line(error)
    else:
        reason = "HF_HUB_OFFLINE is set, so the hub was not asked"
    raise ModelNotFoundError(
        f"model {source!r} is neither in the Hugging Face cache ({constants.HF_HUB_CACHE}) nor "
        f"downloadable ({reason}). Download it where there is internet "
        f"(`huggingface-cli download {source}`) and copy the cache, or pass a local folder: "
        "seqgpt.load('path/to/folder')")


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]
