"""A BERT encoder in plain PyTorch, for the compact models' base encoders.

Why not ``transformers.BertModel``: importing its modeling code costs seconds of every cold
start, and the default model needs nothing from it. Parameter names follow Hugging Face's
``BertModel`` (without the pooler), so its checkpoints and ours load into either.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F


@dataclass(frozen=True)
class BertConfig:
    vocab_size: int
    hidden_size: int = 384
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 1536
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12
    dropout: float = 0.1  # hidden and attention dropout, as BERT's defaults


class _Embeddings(nn.Module):
    def __init__(self, config: BertConfig, words: torch.Tensor | None) -> None:
        super().__init__()
        if words is None:
            self.word_embeddings = nn.Embedding(config.vocab_size, config.hidden_size)
        else:
            self.word_embeddings = nn.Embedding.from_pretrained(words, freeze=False)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings,
                                                config.hidden_size)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(input_ids.size(1), device=input_ids.device)
        # Every input is one segment (token type 0), as in E5 and sentence-transformers.
        x = (self.word_embeddings(input_ids) + self.position_embeddings(positions)
             + self.token_type_embeddings.weight[0])
        return self.dropout(self.LayerNorm(x))


class _Projection(nn.Module):
    """Dense + dropout + residual LayerNorm (BERT's ``*Output`` blocks)."""

    def __init__(self, size_in: int, size_out: int, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(size_in, size_out)
        self.LayerNorm = nn.LayerNorm(size_out, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dropout(self.dense(x)) + residual)


class _QKV(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.query = nn.Linear(config.hidden_size, config.hidden_size)
        self.key = nn.Linear(config.hidden_size, config.hidden_size)
        self.value = nn.Linear(config.hidden_size, config.hidden_size)


class _Attention(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.heads = config.num_attention_heads
        self.dropout = config.dropout
        # ``self`` and ``output`` mirror the Hugging Face parameter names.
        self.self = _QKV(config)
        self.output = _Projection(config.hidden_size, config.hidden_size, config)

    def forward(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        b, t, h = x.shape

        def split(layer: nn.Linear) -> torch.Tensor:
            return layer(x).view(b, t, self.heads, h // self.heads).transpose(1, 2)

        context = F.scaled_dot_product_attention(
            split(self.self.query), split(self.self.key), split(self.self.value),
            attn_mask=keep, dropout_p=self.dropout if self.training else 0.0)
        return self.output(context.transpose(1, 2).reshape(b, t, h), x)


class _Intermediate(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.gelu(self.dense(x))


class _Layer(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.attention = _Attention(config)
        self.intermediate = _Intermediate(config)
        self.output = _Projection(config.intermediate_size, config.hidden_size, config)

    def forward(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        x = self.attention(x, keep)
        return self.output(self.intermediate(x), x)


class _Stack(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.layer = nn.ModuleList(_Layer(config) for _ in range(config.num_hidden_layers))


class Bert(nn.Module):
    """Token states ``[batch, tokens, hidden]`` of a post-LayerNorm BERT encoder.

    ``word_embeddings``: a pretrained ``[vocab, hidden]`` matrix to use as is (not copied), so
    the largest tensor (96M values for XLM-R's vocabulary) is neither randomly initialised
    first nor duplicated between encoders that share it.
    """

    def __init__(self, config: BertConfig, word_embeddings: torch.Tensor | None = None) -> None:
        super().__init__()
        self.config = config
        self.embeddings = _Embeddings(config, word_embeddings)
        self.encoder = _Stack(config)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                frozen_below: int = 0) -> torch.Tensor:
        """``frozen_below``: the embeddings and the first N layers run without a graph (a
        trainer that trains only the layers above them saves their memory and backward)."""
        # Boolean mask broadcast over heads and query positions: padded keys are ignored.
        keep = attention_mask.bool()[:, None, None, :]
        layers = self.encoder.layer
        with torch.set_grad_enabled(torch.is_grad_enabled() and not frozen_below):
            x = self.embeddings(input_ids)
            for layer in layers[:frozen_below]:
                x = layer(x, keep)
        for layer in layers[frozen_below:]:
            x = layer(x, keep)
        return x

    def branch(self, shared: int) -> Bert:
        """A Bert that runs this one's embeddings and first ``shared`` layers (the same modules,
        not copies) under its own copies of the layers above: two models that fine-tuned only
        their top layers of one encoder hold its frozen trunk once."""
        twin = Bert(BertConfig(**{**self.config.__dict__, "num_hidden_layers": 0}),
                    self.embeddings.word_embeddings.weight)
        twin.config, twin.embeddings = self.config, self.embeddings
        layers = self.encoder.layer
        twin.encoder.layer = nn.ModuleList([*layers[:shared],
                                            *(copy.deepcopy(layer) for layer in layers[shared:])])
        return twin

    def truncate(self, layers: int) -> Bert:
        """Keep only the first ``layers`` layers (the compact default uses 5 of 12)."""
        self.encoder.layer = self.encoder.layer[:layers]
        self.config = BertConfig(**{**self.config.__dict__, "num_hidden_layers": layers})
        return self
