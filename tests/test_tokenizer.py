"""Our tokenizers-only wrapper gives what Hugging Face's fast tokenizer gives on the same file."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from seqgpt.encoders import (
    _E5_TOKENIZER,
    _MINILM_DIR,
    E5_SMALL,
    MINILM,
    _package_file,
    e5_tokenizer,
    load_encoder,
)

TEXTS = [
    "Tim Cook visited Berlin on 3 May 2024.",
    "阿里巴巴集团的总部位于杭州。",
    "ＦＵＬＬ－ｗｉｄｔｈ text, emoji 🙂 and  double  spaces",
    "",
    " ",
    "a " * 700,  # longer than 512 tokens: truncation
]


@pytest.fixture(scope="module", params=[E5_SMALL, MINILM])
def pair(request):
    """Ours and Hugging Face's tokenizer of one encoder. MiniLM's file pads and truncates every
    text to 128 tokens by itself; both must leave that to the call's arguments."""
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    if request.param == MINILM:
        theirs = AutoTokenizer.from_pretrained(_package_file(*_MINILM_DIR, what="MiniLM"),
                                               model_max_length=512)
        return load_encoder(MINILM)[1], theirs
    theirs = PreTrainedTokenizerFast(
        tokenizer_file=str(_package_file(*_E5_TOKENIZER, what="tokenizer")), bos_token="<s>",
        eos_token="</s>", unk_token="<unk>", pad_token="<pad>", mask_token="<mask>",
        cls_token="<s>", sep_token="</s>", model_max_length=512)
    return e5_tokenizer(), theirs


def test_special_token_ids_and_vocabulary_match(pair) -> None:
    ours, theirs = pair
    assert len(ours) == len(theirs) and ours.get_vocab() == theirs.get_vocab()
    assert ours.tokenize(TEXTS[1]) == theirs.tokenize(TEXTS[1])
    for name in ("cls_token_id", "sep_token_id", "pad_token_id", "unk_token_id",
                 "mask_token_id"):
        assert getattr(ours, name) == getattr(theirs, name), name


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("specials", [True, False])
def test_single_text_ids_and_offsets_match(pair, text: str, specials: bool) -> None:
    ours, theirs = pair
    kwargs = dict(add_special_tokens=specials, return_offsets_mapping=True)
    mine, hf = ours(text, **kwargs), theirs(text, **kwargs)
    assert mine["input_ids"] == hf["input_ids"]
    assert mine["attention_mask"] == hf["attention_mask"]
    assert [tuple(o) for o in mine["offset_mapping"]] == [tuple(o) for o in hf["offset_mapping"]]


@pytest.mark.parametrize("max_length", [512, 8, 3])
def test_padded_truncated_batch_matches(pair, max_length: int) -> None:
    ours, theirs = pair
    kwargs = dict(padding=True, truncation=True, max_length=max_length, return_tensors="pt")
    mine, hf = ours(TEXTS, **kwargs), theirs(TEXTS, **kwargs)
    for key in ("input_ids", "attention_mask"):
        assert torch.equal(mine[key], hf[key]), key
    assert mine["input_ids"].shape[1] <= max_length


def test_unknown_tensor_type_is_refused(pair) -> None:
    with pytest.raises(ValueError, match="return_tensors"):
        pair[0](["a"], return_tensors="np")


def test_default_model_loads_without_transformers() -> None:
    # transformers costs ~0.8 s of every cold start; the default path must not import it
    code = ("import sys, seqgpt; seqgpt.load().extract('Tim Cook', ['person']); "
            "print('transformers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
