"""A tiny random causal LM in a folder, built at test time: no hub, no big files."""

from __future__ import annotations

from pathlib import Path

_CORPUS = [
    "输入: Tim Cook visited Beijing.\n抽取: person，city\n输出: [GEN]"
    "person: Tim Cook\ncity: Beijing",
    "输入: 阿里巴巴集团于1999年在杭州成立。\n分类: 公司，城市\n输出: [GEN]公司",
    "The quick brown fox jumps over the lazy dog. None positive negative",
]


def build_tiny_causal_lm(folder: Path, arch: str = "bloom", seed: int = 0) -> Path:
    """Save a 2-layer random causal LM (``bloom`` or ``gpt2``) and a byte-level BPE tokenizer."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import AutoModelForCausalLM, BloomConfig, GPT2Config, PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=["<pad>", "</s>", "<unk>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(_CORPUS, trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>",
                                        unk_token="<unk>")
    size = dict(vocab_size=len(tokenizer), pad_token_id=0, eos_token_id=1, bos_token_id=1)
    if arch == "bloom":
        config = BloomConfig(hidden_size=32, n_layer=2, n_head=2, **size)
    else:
        config = GPT2Config(n_embd=32, n_layer=2, n_head=2, n_positions=1024, **size)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
