"""Does a long document find what its sentences find alone?

    python benchmarks/long_text.py --data conll2003 --split dev --windows 0,48,64,96

Sentences of a dataset are joined into documents of ``--per-doc`` sentences; entity recall and
F1 on the documents are compared with the same sentences extracted one by one, for each
``text_window`` (text tokens per encoder window; 0: as many as fit beside the labels). Use a
split you may tune on (the default, conll2003 dev, is held-in training data's dev split).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

import seqgpt
from seqgpt.data import registry
from seqgpt.evaluate.runner import sample
from seqgpt.model.spans import Featurizer


def prf(found: set, gold: set) -> tuple[float, float]:
    hits = len(found & gold)
    p = hits / len(found) if found else 0.0
    r = hits / len(gold) if gold else 0.0
    return 100 * r, (200 * p * r / (p + r) if p + r else 0.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--data", default="conll2003")
    parser.add_argument("--split", default="dev")
    parser.add_argument("--limit", type=int, default=200)
    parser.add_argument("--per-doc", type=int, default=20)
    parser.add_argument("--windows", default="0,48,64,96")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    nlu = seqgpt.load(args.model)
    backend = nlu.backend
    instances = [x for x in registry.read(args.data, args.split) if x.task == "extract"]
    instances = sample(instances, args.limit, args.seed, args.data)
    labels = sorted({label for x in instances for label in x.labels})
    docs: list[tuple[str, set]] = []
    for start in range(0, len(instances), args.per_doc):
        text, gold, offset = "", set(), 0
        for x in instances[start:start + args.per_doc]:
            gold |= {(offset + s.start, offset + s.end, s.label) for s in x.spans}
            text += x.text + " "
            offset = len(text)
        docs.append((text.rstrip(), gold))
    sentence_gold = {(i, s.start, s.end, s.label) for i, x in enumerate(instances)
                     for s in x.spans}
    print(f"{len(instances)} sentences, {len(docs)} documents, labels {labels}")
    print(f"{'text_window':>11} {'sentences R/F1':>15} {'documents R/F1':>15}")
    for window in (int(w) for w in args.windows.split(",")):
        config = dataclasses.replace(backend.model.config, text_window=window)
        backend.featurizer = Featurizer(backend.featurizer.tokenizer, config)
        found = {(i, s.start, s.end, s.label) for i, r in
                 enumerate(nlu.extract([x.text for x in instances], labels)) for s in r.spans}
        sr, sf = prf(found, sentence_gold)
        doc_found, doc_gold = set(), set()
        for d, ((_, gold), result) in enumerate(zip(docs, nlu.extract([t for t, _ in docs],
                                                                      labels), strict=True)):
            doc_found |= {(d, s.start, s.end, s.label) for s in result.spans}
            doc_gold |= {(d, *g) for g in gold}
        dr, df = prf(doc_found, doc_gold)
        print(f"{window:11d} {sr:7.1f}/{sf:5.1f}   {dr:7.1f}/{df:5.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
