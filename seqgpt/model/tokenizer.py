"""The part of a Hugging Face fast tokenizer's call interface this project uses, on the
``tokenizers`` library alone.

``transformers`` takes about 0.8 s to import, a third of the default model's cold start, and
the compact model needs none of it: only ids, attention masks, character offsets, padding and
truncation. ``FastTokenizer`` gives exactly those, from the same ``tokenizer.json``, with the
same results as ``PreTrainedTokenizerFast`` (tests/test_tokenizer.py compares them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from tokenizers import Encoding, Tokenizer


class FastTokenizer:
    """``tokenizer(text_or_texts, add_special_tokens=..., padding=..., truncation=...,
    max_length=..., return_offsets_mapping=..., return_tensors="pt"|None)`` like Hugging
    Face's, the special-token ids (``cls_token_id``, ``pad_token_id``, ...), ``tokenize``,
    ``convert_ids_to_tokens``, ``get_vocab`` and ``len()``."""

    def __init__(self, path: str | Path, *, cls: str, sep: str, pad: str, unk: str,
                 mask: str, model_max_length: int) -> None:
        self._tokenizer = Tokenizer.from_file(str(path))
        # A file may carry its own padding and truncation (all-MiniLM-L6-v2's pads every text
        # to 128 tokens); as with Hugging Face's tokenizer, the call's arguments decide.
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()
        self.model_max_length = model_max_length
        found = {name: self._tokenizer.token_to_id(token)
                 for name, token in (("cls", cls), ("sep", sep), ("pad", pad), ("unk", unk),
                                     ("mask", mask))}
        missing = [name for name, value in found.items() if value is None]
        if missing:
            raise ValueError(f"{path}: special token(s) {missing} are not in the vocabulary")
        ids = {name: int(value) for name, value in found.items() if value is not None}
        self.cls_token_id: int = ids["cls"]
        self.sep_token_id: int = ids["sep"]
        self.pad_token_id: int = ids["pad"]
        self.unk_token_id: int = ids["unk"]
        self.mask_token_id: int = ids["mask"]
        self.unk_token = unk

    def tokenize(self, text: str) -> list[str]:
        """The text's pieces, without special tokens."""
        return self._tokenizer.encode(text, add_special_tokens=False).tokens

    def convert_ids_to_tokens(self, ids: list[int]) -> list[str]:
        return [self._tokenizer.id_to_token(i) or self.unk_token for i in ids]

    def get_vocab(self) -> dict[str, int]:
        return self._tokenizer.get_vocab()

    def __len__(self) -> int:
        """The vocabulary size, added tokens included."""
        return self._tokenizer.get_vocab_size(with_added_tokens=True)

    def __call__(self, text: str | list[str], *, add_special_tokens: bool = True,
                 padding: bool = False, truncation: bool = False, max_length: int | None = None,
                 return_offsets_mapping: bool = False,
                 return_tensors: str | None = None) -> dict[str, Any]:
        single = isinstance(text, str)
        texts: list[str] = [text] if isinstance(text, str) else list(text)
        encodings = [self._encode(t, add_special_tokens, truncation,
                                  max_length or self.model_max_length) for t in texts]
        width = max((len(e.ids) for e in encodings), default=0) if padding else 0
        out: dict[str, Any] = {"input_ids": [], "attention_mask": []}
        if return_offsets_mapping:
            out["offset_mapping"] = []
        for e in encodings:
            fill = width - len(e.ids) if width > len(e.ids) else 0
            out["input_ids"].append(e.ids + [self.pad_token_id] * fill)
            out["attention_mask"].append(e.attention_mask + [0] * fill)
            if return_offsets_mapping:
                out["offset_mapping"].append(e.offsets + [(0, 0)] * fill)
        if return_tensors == "pt":
            return {key: torch.tensor(value) for key, value in out.items()}
        if return_tensors is not None:
            raise ValueError(f"return_tensors must be 'pt' or None, got {return_tensors!r}")
        return {key: value[0] for key, value in out.items()} if single else out

    def _encode(self, text: str, add_special_tokens: bool, truncation: bool,
                max_length: int) -> Encoding:
        encoding = self._tokenizer.encode(text, add_special_tokens=False)
        if truncation:
            specials = self._tokenizer.num_special_tokens_to_add(False) if add_special_tokens \
                else 0
            if len(encoding.ids) + specials > max_length:
                encoding.truncate(max(0, max_length - specials))
        if add_special_tokens:
            encoding = self._tokenizer.post_process(encoding, add_special_tokens=True)
        return encoding
