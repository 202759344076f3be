"""Load time, CPU throughput, size and tokenisation of the offline pretrained encoders.

    python benchmarks/encoders.py                 # both encoders, batch 32, ~1 minute on 2 cores
    python benchmarks/encoders.py --batches 10    # longer timing
    python benchmarks/encoders.py --encoders all-MiniLM-L6-v2   # one encoder, first in process

Every encoder runs on the same English and Chinese texts (about 25 words each).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch

ENGLISH = [
    "The city council approved a new budget on Tuesday that doubles spending on public "
    "transport and adds three bus lines to the northern suburbs next spring.",
    "After a slow start, the home team scored twice in the final ten minutes and moved "
    "to second place in the league table before the winter break.",
    "Researchers at the university reported that a cheap blood test can detect early "
    "signs of kidney disease in patients with diabetes and high blood pressure.",
    "Please book a table for four people at an Italian restaurant near the station "
    "tomorrow evening around seven, preferably somewhere quiet with vegetarian options.",
    "The company said its quarterly revenue rose eight percent, helped by strong demand "
    "for cloud services in Europe, while profit margins narrowed slightly.",
    "Heavy snow closed several mountain roads overnight, and the weather service warned "
    "drivers to expect delays and icy conditions until Thursday afternoon.",
    "My new laptop keeps losing its wireless connection whenever it wakes from sleep, "
    "even after I updated the drivers and reset the router twice.",
    "The museum will open an exhibition of early photographs next month, showing street "
    "life in Paris and London during the second half of the nineteenth century.",
]
CHINESE = [
    "市议会周二批准了新的预算，将公共交通支出增加一倍，并计划明年春天在北部郊区新增三条公交线路。",
    "主队开局缓慢，但在最后十分钟内连进两球，冬歇期前升至联赛积分榜第二位。",
    "大学研究人员报告说，一种廉价的血液检测可以在糖尿病和高血压患者中发现肾病的早期迹象。",
    "请帮我预订明天晚上七点左右车站附近一家意大利餐厅的四人桌，最好安静一些并且有素食选择。",
    "该公司表示，受欧洲云服务强劲需求推动，季度收入增长百分之八，但利润率略有收窄。",
    "大雪导致多条山区道路在夜间关闭，气象部门提醒司机周四下午之前注意延误和道路结冰。",
    "我的新笔记本电脑每次从睡眠中唤醒都会断开无线网络，即使更新了驱动并重启了两次路由器。",
    "博物馆下个月将举办早期摄影展，展示十九世纪下半叶巴黎和伦敦的街头生活。",
]


def _batch(texts: list[str], size: int) -> list[str]:
    return [texts[i % len(texts)] for i in range(size)]


def _throughput(model: torch.nn.Module, encoded: dict[str, torch.Tensor], batches: int) -> float:
    """Texts per second for a forward pass over one pre-tokenised batch (median of runs)."""
    with torch.inference_mode():
        model(**encoded)  # warm-up: first call allocates and picks kernels
        seconds = []
        for _ in range(batches):
            start = time.perf_counter()
            model(**encoded)
            seconds.append(time.perf_counter() - start)
    return encoded["input_ids"].shape[0] / statistics.median(seconds)


def bench(name: str, batch_size: int, batches: int) -> dict[str, float]:
    from seqgpt.encoders import load_encoder

    start = time.perf_counter()
    model, tokenizer = load_encoder(name)
    first_load = time.perf_counter() - start
    del model, tokenizer
    start = time.perf_counter()
    model, tokenizer = load_encoder(name)
    second_load = time.perf_counter() - start

    embedding = sum(p.numel() for p in model.embeddings.parameters())
    row = {"load 1st (s)": first_load, "load 2nd (s)": second_load,
           "params embeddings (M)": embedding / 1e6,
           "params rest (M)": (sum(p.numel() for p in model.parameters()) - embedding) / 1e6}
    for lang, texts in (("en", ENGLISH), ("zh", CHINESE)):
        prefix = "query: " if name == "multilingual-e5-small" else ""
        ids = [tokenizer(prefix + t)["input_ids"] for t in texts]
        row[f"tokens/text {lang}"] = statistics.mean(len(x) for x in ids)
        row[f"[UNK]/text {lang}"] = statistics.mean(x.count(tokenizer.unk_token_id) for x in ids)
        encoded = tokenizer(_batch([prefix + t for t in texts], batch_size), padding=True,
                            return_tensors="pt")
        row[f"texts/s {lang}"] = _throughput(model, encoded, batches)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--batches", type=int, default=5, help="timed batches per language")
    parser.add_argument("--encoders", nargs="+", help="names and order (default: all)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    start = time.perf_counter()
    from seqgpt.encoders import ENCODERS  # imports transformers: timed apart from the loads

    print(f"import seqgpt.encoders: {time.perf_counter() - start:.2f} s; torch threads "
          f"{torch.get_num_threads()}; batch {args.batch_size}; CPU")
    print(f"words/text en {statistics.mean(len(t.split()) for t in ENGLISH):.1f}; "
          f"chars/text zh {statistics.mean(len(t) for t in CHINESE):.1f}")
    print("load 1st includes one-time lazy imports, paid by the encoder that loads first")
    names = args.encoders or list(ENCODERS)
    rows = {name: bench(name, args.batch_size, args.batches) for name in names}
    width = max(len(key) for row in rows.values() for key in row)
    print(f"{'':{width}}" + "".join(f"{name:>24}" for name in rows))
    for key in next(iter(rows.values())):
        print(f"{key:{width}}" + "".join(f"{row[key]:>24.2f}" for row in rows.values()))


if __name__ == "__main__":
    main()
