"""The two reference architectures, with random weights (weight values do not change their
cost): DeBERTa-v3-base (GLiNER-M's encoder) and BLOOM-560M (SeqGPT-560M's) generating the
upstream answer with upstream's beam search."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import torch

from seqgpt import prompt
from seqgpt.bench.samples import Sample
from seqgpt.errors import SeqGPTError

if TYPE_CHECKING:  # transformers is imported when a reference is built: a second of start-up
    from transformers import PreTrainedModel

M = TypeVar("M", bound="PreTrainedModel")


def deberta_v3_base_config() -> Any:
    """DeBERTa-v3-base's sizes (GLiNER-M's encoder)."""
    from transformers import DebertaV2Config

    config = DebertaV2Config(
        hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072,
        vocab_size=128100, relative_attention=True, max_relative_positions=-1,
        pos_att_type=["p2c", "c2p"], position_biased_input=False)
    # settings the model reads that are not in the config class's signature
    config.position_buckets = 256
    config.norm_rel_ebd = "layer_norm"
    config.share_att_key = True
    return config


def bloom_560m_config() -> Any:
    """BLOOM-560M's sizes (SeqGPT-560M's architecture)."""
    from transformers import BloomConfig

    return BloomConfig(hidden_size=1024, n_layer=24, n_head=16, vocab_size=250880)



def random_model(cls: type[M], config: Any, seed: int) -> M:
    """``cls(config)`` with N(0, 0.02) weights: one fill pass instead of transformers' slower
    per-module init (15 s for BLOOM-560M on 2 cores)."""
    from transformers.initialization import no_init_weights

    with no_init_weights():
        model = cls(config)
    model.tie_weights()
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.normal_(0.0, 0.02, generator=generator)
    return model.eval()


def bloom_generation(config: Any, tokenizer: Any, samples: list[Sample], labels: list[str],
                     seed: int = 0, alongside: Callable[[], object] | None = None
                     ) -> dict[str, Any]:
    """Per-text cost of upstream's decoding with a random BLOOM: beam search, 4 beams, one text
    per call. Random weights never choose EOS, so each answer is forced to the token length of
    the gold answer (``prompt.format_extraction`` of the sample's spans). ``alongside`` is
    timed right before each text (``alongside_s``): a comparison under the same machine load."""
    from transformers import BloomForCausalLM

    model = random_model(BloomForCausalLM, config, seed)

    def ids(text: str) -> torch.Tensor:
        raw = tokenizer(text, add_special_tokens=False)["input_ids"]
        return torch.tensor([raw]) % config.vocab_size

    def generate(input_ids: torch.Tensor, new_tokens: int) -> torch.Tensor:
        with torch.inference_mode():
            return model.generate(
                input_ids=input_ids, attention_mask=torch.ones_like(input_ids), num_beams=4,
                do_sample=False, min_new_tokens=new_tokens, max_new_tokens=new_tokens,
                pad_token_id=config.pad_token_id, eos_token_id=config.eos_token_id)

    generate(ids(samples[0].text)[:, :8], 2)  # warm-up on a short prompt: kernels, caches
    seconds, alongside_s, prompt_tokens, new_tokens = [], [], [], []
    for sample in samples:
        if alongside:
            start = time.perf_counter()
            alongside()
            alongside_s.append(time.perf_counter() - start)
        prompt_ids = ids(prompt.render(sample.text, labels, "extract"))
        answer = prompt.format_extraction({label: sample.spans.get(label, [])
                                           for label in labels})
        n = len(tokenizer(answer, add_special_tokens=False)["input_ids"])
        start = time.perf_counter()
        output = generate(prompt_ids, n)
        seconds.append(time.perf_counter() - start)
        if output.shape[1] != prompt_ids.shape[1] + n:
            raise SeqGPTError(f"BLOOM generated {output.shape[1] - prompt_ids.shape[1]} tokens, "
                              f"expected exactly {n} (min_new_tokens = max_new_tokens)")
        prompt_tokens.append(prompt_ids.shape[1])
        new_tokens.append(n)
    return {"texts": len(samples), "prompt_tokens": prompt_tokens, "new_tokens": new_tokens,
            "ms_per_text": 1000 * statistics.median(seconds),
            "texts_per_s": 1 / statistics.median(seconds), "alongside_s": alongside_s}
