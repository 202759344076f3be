"""The text report of a ``seqgpt bench`` run."""

from __future__ import annotations

from typing import Any

_ROW_NAMES = {
    "extract": "seqgpt extract",
    "extract_no_hits": "  extract, no pair over the threshold",
    "extract_forward": "  span model forward (encoder + heads)",
    "extract_floor": "  bare encoder forward (floor)",
    "extract_bf16": "  extract, bfloat16 option",
    "classify": "seqgpt classify",
    "classify_floor": "  bare encoder forwards (floor; + sentence encoder)",
    "classify_bf16": "  classify, bfloat16 option",
    "deberta": "DeBERTa-v3-base forward (GLiNER-M)",
    "deberta_bf16": "  DeBERTa-v3-base forward, bfloat16 autocast",
    "bloom": "BLOOM-560M generate (SeqGPT-560M)",
}


def format_report(result: dict[str, Any]) -> str:
    tokens, candidates = result["encoder_tokens_per_text"], result["candidates_per_text"]
    bloom = result["bloom"]
    lines = [
        f"model: {result['model']}",
        f"{result['texts']} English texts ({result['words_per_text']:.1f} words each, seed "
        f"{result['seed']}), batch {result['batch_size']}, {result['threads']} torch threads, "
        f"CPU{', quick run' if result['quick'] else ''}",
        f"encoder tokens per text (labels + text): {tokens['5']:.1f} with 5 labels, "
        f"{tokens['20']:.1f} with 20",
        "",
        f"{'':50}{'texts/s':>10}{'ms/text':>11}",
    ]
    for key, row in result["rows"].items():
        kind, n = key.rsplit("_", 1)
        lines.append(f"{_ROW_NAMES[kind] + f', {n} labels':50}"
                     f"{row['texts_per_s']:>10.2f}{row['ms_per_text']:>11.2f}")
    lines += [
        "",
        f"extract decodes {candidates['5']:.0f} (5 labels) and {candidates['20']:.0f} (20 labels) "
        "(span, label) pairs over the threshold per text: about half of all pairs with untrained "
        "heads, a few with trained ones. 'no pair over the threshold' (threshold 1) is extract "
        "without that decoding: a trained model lies between the two.",
        f"BLOOM-560M: random weights, upstream prompt and decoding (4 beams, no sampling), one "
        f"text per call, {bloom['texts']} text(s). Random weights never emit EOS, so each "
        f"answer is forced to its gold answer's length (min_new_tokens = max_new_tokens = "
        f"{bloom['new_tokens']} tokens; prompts {bloom['prompt_tokens']} tokens). BLOOM's "
        "tokenizer is not available offline: the counts come from the e5/XLM-R tokenizer "
        "(250k vocabulary, like BLOOM's). Its ratio divides by extract timed between BLOOM's "
        "texts, under the same load.",
        "DeBERTa-v3-base: random weights, the same label+text token counts as ours; the "
        "encoder alone, a lower bound on GLiNER-M.",
        "bfloat16 rows: the `bfloat16=True` option (autocast); it can pay off only on CPUs "
        "with AVX512-BF16 or AMX instructions, and not on all of them.",
        "",
        f"{'ratio of ms/text':50}{'value':>10}{'target':>11}",
    ]
    for key, ratio in result["ratios"].items():
        lines.append(f"{key:50}{ratio['value']:>9.2f}x{ratio['target'] + 'x':>11}  "
                     f"{'met' if ratio['met'] else 'NOT met'}")
    lines.append("")
    cold = result["cold_start"]
    if cold:
        lines.append(f"cold start, fresh process: import seqgpt + load {cold['import_load_s']:.2f}"
                     f" s, first extract {cold['first_extract_s']:.2f} s, whole process "
                     f"{cold['process_s']:.2f} s; its peak RSS {cold['peak_rss_mb']:.0f} MiB"
                     + (f" (the median of {len(cold['load_s_runs'])} starts: load "
                        f"{', '.join(f'{x:.2f}' for x in cold['load_s_runs'])} s)"
                        if "load_s_runs" in cold else ""))
    rss = result["peak_rss_mb"]
    lines.append(f"peak RSS of this process: {rss['after_ours']:.0f} MiB after measuring ours, "
                 f"{rss['end']:.0f} MiB with the references")
    others = result["others_cpu_share"]
    if others is not None:
        lines.append(f"other processes used {100 * others:.0f}% of this machine's CPU during the "
                     "run" + (": absolute numbers are slower than on idle cores" if others > 0.05
                              else ""))
    return "\n".join(lines)

