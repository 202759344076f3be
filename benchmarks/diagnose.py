"""Where extraction fails on unseen label sets: boundaries, typing, or the threshold.

    python benchmarks/diagnose.py                                  # the embedded default model
    python benchmarks/diagnose.py --model runs/x/best --limit 200 --thresholds 0.5,0.2

For each NER / slot dataset of the zero-shot dev set, on its *selection* split (never the
reported one, so reading this table cannot tune the reported numbers), it prints:

- label-blind boundary F1 (P / R): a predicted span counts if some gold span has its offsets;
- typed F1 (label and offsets);
- typing accuracy among correctly bounded spans (the share of boundary hits that got the
  gold label);
- recall of gold spans whose label name the training data has (``seen``) vs not (``unseen``);
- the most frequent confusions (gold label -> predicted label on the same offsets);
- for English sets, the form of the gold spans and the recall of each form: pronouns
  (``they``), phrases opening with a determiner (``the coalition``), lower-case phrases
  (``tactical units``) and names (the rest: some capital letter). It says how much of a set's
  gold follows an annotation convention a name-finder misses by design, whatever the labels;
- typed F1 with an opening determiner ignored on both sides (``the Defense Department`` and
  ``Defense Department`` count as the same span): how much of the gap to exact F1 is the
  annotation's extent convention (GUM and re3d mark whole noun phrases, CoNLL names only),
  not the model finding or typing the wrong thing.

"Seen" label names are those of the trainable NER / slot datasets' label tables (the names
the mixture shows the model), or of a mixture file given with ``--mixture``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import seqgpt
from seqgpt.data import registry
from seqgpt.data.instance import AtomicInstance
from seqgpt.evaluate.runner import sample
from seqgpt.train.devset import selection_split

NER_SETS = ("wnut17", "re3d", "gum", "resume_ner", "restaurant8k")
FORMS = ("pronoun", "determiner", "lower case", "name")
_PRONOUNS = frozenset("i me my mine myself you your yours yourself yourselves he him his himself "
                      "she her hers herself it its itself we us our ours ourselves they them "
                      "their theirs themselves who whom whose which what this that these those "
                      "one everyone someone anyone".split())
_DETERMINERS = frozenset("the a an this that these those my your his her its our their some any "
                         "each every all both no another such".split())


def span_form(text: str, language: str) -> str | None:
    """The form of an English gold span (one of FORMS); None for other languages."""
    if language != "en":
        return None
    words = text.lower().split()
    if len(words) == 1 and words[0] in _PRONOUNS:
        return "pronoun"
    if len(words) > 1 and words[0] in _DETERMINERS:
        return "determiner"
    return "name" if any(c.isupper() for c in text) else "lower case"


@dataclass
class Tally:
    gold: int = 0
    predicted: int = 0
    bounded: int = 0  # predicted spans whose offsets match a gold span
    typed: int = 0  # predicted spans whose offsets and label match a gold span
    typed_loose: int = 0  # the same with an opening determiner ignored on both sides
    gold_found: Counter[bool] = field(default_factory=Counter)  # seen? -> gold spans recalled
    gold_total: Counter[bool] = field(default_factory=Counter)
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)
    form_found: Counter[str] = field(default_factory=Counter)  # span_form -> gold spans recalled
    form_total: Counter[str] = field(default_factory=Counter)

    def row(self) -> dict[str, float]:
        def f1(hits: int) -> tuple[float, float, float]:
            p = hits / self.predicted if self.predicted else 0.0
            r = hits / self.gold if self.gold else 0.0
            return 100 * p, 100 * r, 200 * p * r / (p + r) if p + r else 0.0

        bp, br, bf = f1(self.bounded)
        _, _, tf = f1(self.typed)
        _, _, lf = f1(self.typed_loose)
        return {"boundary_p": bp, "boundary_r": br, "boundary_f1": bf, "typed_f1": tf,
                "typed_f1_no_determiner": lf,
                "typing_acc": 100 * self.typed / self.bounded if self.bounded else 0.0,
                "recall_seen": _ratio(self.gold_found[True], self.gold_total[True]),
                "recall_unseen": _ratio(self.gold_found[False], self.gold_total[False]),
                "gold_seen": self.gold_total[True], "gold_unseen": self.gold_total[False]}


def _ratio(a: int, b: int) -> float:
    return 100 * a / b if b else float("nan")


def without_determiner(text: str, start: int, end: int, language: str) -> tuple[int, int]:
    """``(start, end)`` past an opening English determiner word (``the``, ``a``, ...) and the
    space after it; unchanged for other spans and languages."""
    if language == "en":
        first, _, rest = text[start:end].partition(" ")
        if rest and first.lower() in _DETERMINERS:
            return end - len(rest.lstrip()), end
    return start, end


def seen_labels(mixture: str | None) -> set[str]:
    if mixture:
        names: set[str] = set()
        with open(mixture, encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                if record.get("task") == "extract":
                    names.update(x.lower() for x in record["labels"])
        return names
    specs = [registry.get(n) for n in registry.names()]
    return {name.lower() for spec in specs
            if spec.kind in ("ner", "slot") and not spec.zero_shot_dev
            for name in spec.label_names.values()}


def diagnose(model: seqgpt.Model, instances: Sequence[AtomicInstance], seen: set[str],
             threshold: float) -> Tally:
    tally = Tally()
    groups: dict[tuple[str, ...], list[AtomicInstance]] = {}
    for instance in instances:
        groups.setdefault(tuple(instance.labels), []).append(instance)
    for labels, group in groups.items():
        results = model.extract([x.text for x in group], list(labels), threshold=threshold)
        for instance, result in zip(group, results, strict=True):
            gold = {(s.start, s.end): s.label for s in instance.spans}
            gold_typed = {(s.start, s.end, s.label) for s in instance.spans}
            predicted = {(s.start, s.end, s.label) for s in result.spans}
            loose = {(*without_determiner(instance.text, s, e, instance.language), label)
                     for s, e, label in gold_typed}
            tally.typed_loose += sum(
                (*without_determiner(instance.text, s, e, instance.language), label) in loose
                for s, e, label in predicted)
            tally.gold += len(gold_typed)
            tally.predicted += len(predicted)
            for start, end, label in predicted:
                if (start, end) in gold:
                    tally.bounded += 1
                    if (start, end, label) in gold_typed:
                        tally.typed += 1
                    else:
                        tally.confusions[(gold[(start, end)], label)] += 1
            for start, end, label in gold_typed:
                known = label.lower() in seen
                tally.gold_total[known] += 1
                tally.gold_found[known] += (start, end, label) in predicted
                form = span_form(instance.text[start:end], instance.language)
                if form:
                    tally.form_total[form] += 1
                    tally.form_found[form] += (start, end, label) in predicted
    return tally


def load_selection(names: Iterable[str], limit: int, seed: int) -> dict[str, list[AtomicInstance]]:
    out = {}
    for name in names:
        split = selection_split(name)
        extract = [x for x in registry.read(name, split) if x.task == "extract"]
        out[name] = sample(extract, limit, seed, name)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=None, help="default: the embedded default model")
    parser.add_argument("--data", default=",".join(NER_SETS))
    parser.add_argument("--limit", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--thresholds", default="0.5,0.2")
    parser.add_argument("--mixture", default=None,
                        help="a training mixture (atomic JSONL) whose label names count as seen")
    parser.add_argument("--json", default=None, help="also write the numbers to this file")
    args = parser.parse_args()
    model = seqgpt.load(args.model)
    seen = seen_labels(args.mixture)
    data = load_selection([n for n in args.data.split(",") if n], args.limit, args.seed)
    report: dict[str, dict] = {}
    header = (f"{'dataset':14} {'thr':>4} {'bound P/R/F1':>17} {'typed F1':>8} {'type acc':>8} "
              f"{'R seen (n)':>12} {'R unseen (n)':>13} {'F1 no det':>9}")
    print(header)
    for threshold in (float(t) for t in args.thresholds.split(",")):
        for name, instances in data.items():
            tally = diagnose(model, instances, seen, threshold)
            row = tally.row()
            report[f"{name}@{threshold}"] = {
                **row, "confusions": [[g, p, n] for (g, p), n in tally.confusions.most_common(5)],
                "forms": {f: {"gold": tally.form_total[f],
                              "recall": _ratio(tally.form_found[f], tally.form_total[f])}
                          for f in FORMS if tally.form_total[f]}}
            print(f"{name:14} {threshold:4.2f} {row['boundary_p']:5.1f}/{row['boundary_r']:4.1f}/"
                  f"{row['boundary_f1']:4.1f} {row['typed_f1']:8.1f} {row['typing_acc']:8.1f} "
                  f"{row['recall_seen']:6.1f} ({row['gold_seen']:4d}) "
                  f"{row['recall_unseen']:6.1f} ({row['gold_unseen']:4d}) "
                  f"{row['typed_f1_no_determiner']:9.1f}", flush=True)
    print("\nmost frequent confusions (gold -> predicted, same offsets), lowest threshold:")
    lowest = min(float(t) for t in args.thresholds.split(","))
    for name in data:
        pairs = report[f"{name}@{lowest}"]["confusions"]
        print(f"  {name}: " + "; ".join(f"{g} -> {p} ({n})" for g, p, n in pairs))
    print("\nEnglish gold spans by form: share of the gold % / typed recall %, lowest threshold:")
    print(f"{'dataset':14} " + " ".join(f"{f:>17}" for f in FORMS))
    for name in data:
        forms = report[f"{name}@{lowest}"]["forms"]
        total = sum(v["gold"] for v in forms.values())
        if total:
            print(f"{name:14} " + " ".join(
                f"{100 * forms[f]['gold'] / total:8.1f} / {forms[f]['recall']:5.1f}"
                if f in forms else f"{'-':>17}" for f in FORMS))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump({"settings": vars(args), "rows": report}, out, indent=2,
                      ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
