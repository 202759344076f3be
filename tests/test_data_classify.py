"""Readers and catalogue of the classification, NLI, relation and reading-comprehension data.

(a) every instance of every split of every dataset in ``catalog_classify`` keeps its invariants
and the counts match MANIFEST.md (differences are the documented skips and choices);
(b) each format on tiny literal files: exact texts, labels, gold, offsets, and a
``DataFormatError`` naming file and line for each kind of malformed input.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from shared_data import ROOT, needs_data

from seqgpt import prompt
from seqgpt.data import (
    brat,
    duie,
    fewrel,
    finre,
    joint_json,
    pairs,
    readkit,
    semeval,
    squad,
    textcls,
)
from seqgpt.data import catalog_classify as cat
from seqgpt.data.instance import AtomicInstance, DataFormatError
from seqgpt.data.registry import DatasetSpec, Reader
from seqgpt.types import Span

# Examples per split as MANIFEST.md states them.
MANIFEST = {
    ("clinc150", "train"): 15000, ("clinc150", "val"): 3000, ("clinc150", "test"): 4500,
    ("clinc150", "oos_train"): 100, ("clinc150", "oos_val"): 100, ("clinc150", "oos_test"): 1000,
    ("trec", "train"): 5452, ("trec", "test"): 500,
    ("sst2_sentence", "train"): 6920, ("sst2_sentence", "dev"): 872,
    ("sst2_sentence", "test"): 1821,
    ("sst5_sentence", "train"): 8544, ("sst5_sentence", "dev"): 1101,
    ("sst5_sentence", "test"): 2210,
    ("mr_polarity", "all"): 5331 + 5331, ("subj", "all"): 5000 + 5000,
    ("cr_custrev", "all"): 2405 + 1366, ("mpqa", "all"): 3311 + 7292,
    ("agnews", "test"): 7600,
    ("emotion_yin2019", "train"): 34667, ("emotion_yin2019", "test"): 16000,
    ("situation_yin2019", "dev"): 2431, ("situation_yin2019", "test"): 3525,
    ("situation_yin2019", "train_pu_half_v0"): 2848,
    ("situation_yin2019", "train_pu_half_v1"): 2073,
    ("goemotions", "train"): 43410, ("goemotions", "dev"): 5426, ("goemotions", "test"): 5427,
    **{(f"ssl_text_cls_powerfulpromptft/{name}", split): 1000
       for name in ("yahoo_answers", "yelp_review", "amazon_review") for split in ("dev", "test")},
    ("fewclue/tnews", "train"): 1185, ("fewclue/tnews", "dev"): 1098,
    ("fewclue/tnews", "test"): 2010,
    ("fewclue/iflytek", "train"): 3024, ("fewclue/iflytek", "dev"): 1373,
    ("fewclue/iflytek", "test"): 1749,
    ("fewclue/eprstmt", "train"): 160, ("fewclue/eprstmt", "dev"): 160,
    ("fewclue/eprstmt", "test"): 610,
    ("fewclue/csldcp", "train"): 2036, ("fewclue/csldcp", "dev"): 2068,
    ("fewclue/csldcp", "test"): 1784,
    ("fewclue/bustm", "train"): 160, ("fewclue/bustm", "dev"): 160,
    ("fewclue/bustm", "test"): 1772,
    ("fewclue/csl", "train"): 160, ("fewclue/csl", "dev"): 160,
    ("fewclue/cluewsc", "train"): 160, ("fewclue/cluewsc", "dev"): 159,
    ("fewclue/cluewsc", "test"): 976,
    ("chnsenticorp_htl_all", "all"): 7766, ("waimai_10k", "all"): 11987,
    ("online_shopping_10_cats", "all"): 18567,
    ("glue_subsets_powerfulpromptft/RTE", "train"): 2240,
    ("glue_subsets_powerfulpromptft/RTE", "dev"): 249,
    ("glue_subsets_powerfulpromptft/RTE", "glue_dev_as_test"): 277,
    ("glue_subsets_powerfulpromptft/MNLI", "train"): 8999,
    ("glue_subsets_powerfulpromptft/MNLI", "dev"): 1000,
    ("glue_subsets_powerfulpromptft/SNLI", "train"): 8999,
    ("glue_subsets_powerfulpromptft/SNLI", "dev"): 1000,
    ("glue_subsets_powerfulpromptft/QNLI", "dev"): 1000,
    ("sick2014", "train"): 4500, ("sick2014", "trial"): 500, ("sick2014", "test"): 4927,
    ("mrpc", "train"): 3576, ("mrpc", "val"): 500, ("mrpc", "test"): 1725,
    ("ocnli", "train"): 10000, ("ocnli", "dev"): 3000,
    ("semeval2010_task8", "train"): 8000, ("semeval2010_task8", "test"): 2717,
    ("conll04_re", "train"): 922, ("conll04_re", "valid"): 231, ("conll04_re", "test"): 288,
    ("ade_re", "train"): 3178, ("ade_re", "valid"): 560, ("ade_re", "test"): 415,
    ("fewrel", "val_wiki"): 11200, ("fewrel", "val_pubmed"): 1000, ("fewrel", "val_nyt"): 2500,
    ("finre", "valid"): 1489, ("finre", "test"): 3727,
    ("chinese_literature_ner_re/relation_extraction", "validation"): 1347,  # relations
    ("chinese_literature_ner_re/relation_extraction", "test"): 1675,
    ("duie2_sample", "train"): 5000,
    ("duie2_more", "train"): 4393, ("duie2_more", "dev"): 1999,
    ("cmrc2018", "dev"): 3219, ("cmrc2018", "trial"): 1002,
    ("drcd", "dev"): 3524, ("drcd", "test"): 3493,
    ("xquad/en", "all"): 1190, ("xquad/zh", "all"): 1190,
    ("subjqa", "dev"): 265 + 261 + 228 + 278 + 285 + 240, ("subjqa", "test"): 718 + 533,
}

# Examples the readers drop on purpose (documented in catalog_classify's docstring).
SKIPPED = {
    ("chnsenticorp_htl_all", "all"): 1,  # empty review
    ("online_shopping_10_cats", "all"): 1,  # empty review
    ("ocnli", "train"): 15, ("ocnli", "dev"): 50,  # label "-": no gold
    ("cmrc2018", "trial"): 2,  # empty questions
    ("subjqa", "dev"): 20, ("subjqa", "test"): 8,  # answer not found in the review
    # the same relation annotated twice between the same two mentions
    ("chinese_literature_ner_re/relation_extraction", "validation"): 1,
    ("chinese_literature_ner_re/relation_extraction", "test"): 4,
}

# (classify, extract) instances per split: a regression guard on what the readers make.
INSTANCES = {
    ("trec", "train"): (10904, 0), ("trec", "test"): (1000, 0),  # coarse + fine facets
    ("online_shopping_10_cats", "all"): (37132, 0),  # category + sentiment facets
    ("semeval2010_task8", "train"): (8000, 0), ("semeval2010_task8", "test"): (2717, 0),
    ("conll04_re", "train"): (2555, 922), ("conll04_re", "valid"): (687, 231),
    ("conll04_re", "test"): (842, 288),
    ("ade_re", "train"): (7039, 3178), ("ade_re", "valid"): (1225, 560),
    ("ade_re", "test"): (872, 415),
    ("finre", "valid"): (1353, 0), ("finre", "test"): (3359, 0),  # grouped (sentence, pair)
    ("chinese_literature_ner_re/relation_extraction", "validation"): (5782, 2904),
    ("chinese_literature_ner_re/relation_extraction", "test"): (7858, 4072),
    ("duie2_sample", "train"): (12088, 5000),
    ("duie2_more", "train"): (10779, 4393), ("duie2_more", "dev"): (4937, 1999),
}


def _examples(spec: DatasetSpec, counted: Counter[str]) -> int:
    """What MANIFEST counts, from the counters the invariant test keeps."""
    if spec.name == "finre":
        return counted["source lines"]
    if spec.name.startswith("chinese_literature") or spec.kind == "mrc":
        return counted["relations"] if spec.kind == "re" else counted["extract"]
    if counted["extract"]:
        return counted["extract"]  # sentences of joint NER + RE data
    return counted["first facet"]


@needs_data
def test_every_instance_of_every_dataset() -> None:
    assert ROOT is not None
    names = [spec.name for spec in cat.SPECS]
    assert len(names) == len(set(names)) and set(MANIFEST) == {
        (spec.name, split) for spec in cat.SPECS for split in spec.splits}
    checked_label_sets: set[tuple[str, ...]] = set()
    for spec in cat.SPECS:
        for split in spec.splits:
            counted: Counter[str] = Counter()
            for inst in spec.reader(spec, ROOT, split):
                inst.check()
                assert (inst.dataset, inst.split, inst.language) == (spec.name, split,
                                                                     spec.language)
                key = tuple(inst.labels)
                if key not in checked_label_sets:
                    assert prompt.check_labels(inst.labels) == inst.labels, key
                    checked_label_sets.add(key)
                _count(spec, inst, counted)
            where = (spec.name, split)
            assert _examples(spec, counted) + SKIPPED.get(where, 0) == MANIFEST[where], where
            if where in INSTANCES:
                assert (counted["classify"], counted["extract"]) == INSTANCES[where], where


def _count(spec: DatasetSpec, inst: AtomicInstance, counted: Counter[str]) -> None:
    counted[inst.task] += 1
    if spec.kind == "mrc":
        assert inst.task == "extract" and len(inst.labels) == 1
        if spec.name != "subjqa":  # SubjQA's answer strings are tokenised; see read_subjqa
            assert {s.text for s in inst.spans} <= set(inst.meta["answers"])
        return
    if inst.task == "extract":
        assert spec.kind == "re"
        return
    if spec.kind == "re":
        counted["source lines"] += len(inst.meta.get("lines", []))
        if not inst.meta.get("negative"):
            counted["relations"] += len(inst.gold)
        head, tail = inst.meta["head"], inst.meta["tail"]
        assert inst.text.endswith(f"\n{head} -> {tail}")
        sentence = inst.text[:-len(f"\n{head} -> {tail}")]
        assert sentence[inst.meta["head_start"]:inst.meta["head_end"]] == head
        assert sentence[inst.meta["tail_start"]:inst.meta["tail_end"]] == tail
    else:
        assert inst.gold, "classification data always has a gold label"
    if not inst.multi_label:
        assert len(inst.gold) <= 1
    facets = spec.options.get("facets")
    first = next(iter(facets)) if isinstance(facets, dict) else None
    if inst.meta.get("facet", first) == first:
        counted["first facet"] += 1


@needs_data
def test_label_tables_agree_with_the_label_files() -> None:
    assert ROOT is not None
    rows = [json.loads(line) for line in
            (ROOT / "fewclue/tnews/label_index2en2zh.json").read_text("utf-8").splitlines()]
    assert {row["label_desc"]: row["label_zh"] for row in rows} == cat.TNEWS
    for split in ("train_few_all", "dev_few_all", "test_public"):
        # split on "\n" only: some app descriptions hold U+2028, a line end for splitlines()
        for line in (ROOT / f"fewclue/iflytek/{split}.json").read_text("utf-8").split("\n"):
            if line.strip():
                record = json.loads(line)
                assert cat.IFLYTEK[str(record["label"])] == record["label_des"]
    assert list(cat.CSLDCP) == (ROOT / "fewclue/csldcp/labels_all.txt").read_text(
        "utf-8").split()
    names = json.loads((ROOT / "fewrel/pid2name.json").read_text("utf-8"))
    assert all(names[pid][0] == word for pid, word in cat.FEWREL_WIKI.items())
    relation_ids = (ROOT / "finre/relation2id.txt").read_text("utf-8").split()[::2]
    assert set(relation_ids) == set(cat.FINRE) | {"unknown"}
    schema = json.loads((ROOT / "duie2_sample/duie_schema.json").read_text("utf-8"))
    assert {s["predicate"] for s in schema} == set(cat.DUIE_PREDICATES)
    types = {s["subject_type"] for s in schema} | {
        t for s in schema for t in s["object_type"].values()}
    assert types == set(cat.DUIE_TYPES)
    emotions = (ROOT / "goemotions/emotions.txt").read_text("utf-8").split()
    assert list(cat.GOEMOTIONS.values()) == emotions
    classes = (ROOT / "emotion_yin2019/classes.txt").read_text("utf-8").splitlines()
    assert list(cat.EMOTION.values()) == [c.strip() for c in classes if c.strip()]
    intents = {i for pairs_ in json.loads((ROOT / "clinc150/data_full.json").read_text(
        "utf-8")).values() for _, i in pairs_}
    assert intents == set(cat.CLINC150)


def test_catalogue_tables_are_prompt_safe() -> None:
    for spec in cat.SPECS:
        facets = spec.options.get("facets")
        for facet in (facets if isinstance(facets, dict) else ["label"]):
            words = readkit.LabelSet(spec, facet).words
            if spec.kind != "mrc":
                assert prompt.check_labels(words) == words
                assert len(words) == len(readkit.facet_tags(spec, facet)), (spec.name, facet)
    assert {s.name for s in cat.SPECS} >= {"fewclue/iflytek", "xquad/en", "xquad/zh",
                                           "glue_subsets_powerfulpromptft/RTE"}
    assert cat.CLINC150["oos"] == "out of scope" and len(cat.CLINC150) == 151
    assert len(cat.IFLYTEK) == 119 and len(cat.TREC_FINE) == 50 and len(cat.CSLDCP) == 67


# --- (b) literal files --------------------------------------------------------------------

def _spec(reader: Reader, labels: Mapping[str, str], files: Mapping[str, tuple[str, ...]],
          language: str = "en", kind: str = "cls", **options: Any) -> DatasetSpec:
    return DatasetSpec("tiny", language, kind, files, reader, dict(labels), options)


def _write(folder: Path, name: str, content: str | bytes) -> str:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return name


def _read(spec: DatasetSpec, root: Path, split: str = "s") -> list[AtomicInstance]:
    return list(spec.reader(spec, root, split))


def _fails(spec: DatasetSpec, root: Path, file: str, line: int | None,
           words: str) -> None:
    with pytest.raises(DataFormatError) as info:
        _read(spec, root)
    assert info.value.path == str(root / file) and info.value.line == line, str(info.value)
    assert words in str(info.value)


def _simple(instances: list[AtomicInstance]) -> list[tuple[str, list[str]]]:
    return [(inst.text, inst.gold) for inst in instances]


def test_delimited_tab_space_and_multilabel(tmp_path: Path) -> None:
    f = _write(tmp_path, "a.txt", "1\tgood film\n\n0\tbad\tfilm\n")
    spec = _spec(textcls.read_delimited, {"1": "positive", "0": "negative"}, {"s": (f,)})
    out = _read(spec, tmp_path)
    assert _simple(out) == [("good film", ["positive"]), ("bad\tfilm", ["negative"])]
    assert out[0].labels == ["positive", "negative"] and out[0].task == "classify"

    f = _write(tmp_path, "b.txt", "0 a sad , slow film\n")
    spec = _spec(textcls.read_delimited, {"0": "negative", "1": "positive"}, {"s": (f,)}, sep=" ")
    assert _simple(_read(spec, tmp_path)) == [("a sad , slow film", ["negative"])]

    f = _write(tmp_path, "c.txt", "med water med\tsend help\n")
    spec = _spec(textcls.read_delimited, {"water": "water supply", "med": "medical"},
                 {"s": (f,)}, label_sep=" ", multi_label=True)
    [inst] = _read(spec, tmp_path)
    assert inst.gold == ["medical", "water supply"] and inst.multi_label

    f = _write(tmp_path, "d.tsv", "so happy\t17,0\tab1\n")
    spec = _spec(textcls.read_delimited, {"0": "admiration", "17": "joy"}, {"s": (f,)},
                 columns=3, text_col=0, label_col=1, label_sep=",", multi_label=True)
    assert _simple(_read(spec, tmp_path)) == [("so happy", ["joy", "admiration"])]


def test_delimited_errors_name_file_and_line(tmp_path: Path) -> None:
    labels = {"1": "positive", "0": "negative"}
    f = _write(tmp_path, "a.txt", "1\tok\n0 no tab here\n")
    _fails(_spec(textcls.read_delimited, labels, {"s": (f,)}), tmp_path, f, 2, "2 fields")
    f = _write(tmp_path, "b.txt", "1\tok\n\n7\twhat\n")
    _fails(_spec(textcls.read_delimited, labels, {"s": (f,)}), tmp_path, f, 3, "unknown label '7'")
    f = _write(tmp_path, "c.txt", "1\t   \n")
    _fails(_spec(textcls.read_delimited, labels, {"s": (f,)}), tmp_path, f, 1, "empty text")
    f = _write(tmp_path, "d.txt", b"1\tok\n0\tcaf\xe9\n")
    _fails(_spec(textcls.read_delimited, labels, {"s": (f,)}), tmp_path, f, 2, "utf-8")


def test_trec_facets_and_latin1(tmp_path: Path) -> None:
    f = _write(tmp_path, "TREC", b"NUM:date When was Pel\xe9 born ?\nHUM:ind Who ?\n")
    spec = _spec(textcls.read_trec, cat.TREC_COARSE | cat.TREC_FINE, {"s": (f,)},
                 encoding="cp1252",
                 facets={"coarse": tuple(cat.TREC_COARSE), "fine": tuple(cat.TREC_FINE)})
    out = _read(spec, tmp_path)
    assert [(i.text, i.gold, i.meta["facet"]) for i in out] == [
        ("When was Pelé born ?", ["number"], "coarse"), ("When was Pelé born ?", ["date"], "fine"),
        ("Who ?", ["human"], "coarse"), ("Who ?", ["individual"], "fine")]
    assert len(out[1].labels) == 50 and len(out[0].labels) == 6
    f = _write(tmp_path, "bad", "NUM:date ok ?\nNUMdate broken\n")
    spec = _spec(textcls.read_trec, cat.TREC_COARSE | cat.TREC_FINE, {"s": (f,)},
                 facets={"coarse": tuple(cat.TREC_COARSE), "fine": tuple(cat.TREC_FINE)})
    _fails(spec, tmp_path, f, 2, "COARSE:fine")


def test_file_labelled_cp1252_keeps_nel_byte_inside_the_line(tmp_path: Path) -> None:
    pos = _write(tmp_path, "rt.pos", b"a gem \x85 truly \x93great\x94\n\nfine\n")
    neg = _write(tmp_path, "rt.neg", b"dull\n")
    spec = _spec(textcls.read_file_labelled, {"pos": "positive", "neg": "negative"},
                 {"s": (pos, neg)}, encoding="cp1252")
    assert _simple(_read(spec, tmp_path)) == [
        ("a gem … truly “great”", ["positive"]), ("fine", ["positive"]), ("dull", ["negative"])]
    other = _write(tmp_path, "rt.neutral", "meh\n")
    spec = _spec(textcls.read_file_labelled, {"pos": "positive"}, {"s": (other,)})
    _fails(spec, tmp_path, other, 1, "unknown label 'neutral'")


def test_csv_bom_facets_and_empty_text(tmp_path: Path) -> None:
    f = _write(tmp_path, "a.csv", 'cat,label,review\n书籍,1,\ufeff好书\n酒店,0,"吵,脏"\n酒店,1,\n')
    spec = _spec(textcls.read_csv, {"书籍": "书籍", "酒店": "酒店", "1": "正面", "0": "负面"},
                 {"s": (f,)}, language="zh", text_field="review",
                 label_fields={"category": "cat", "sentiment": "label"}, skip_empty_text=True,
                 facets={"category": ("书籍", "酒店"), "sentiment": ("1", "0")})
    out = _read(spec, tmp_path)
    assert [(i.text, i.gold, i.labels, i.meta["facet"]) for i in out] == [
        ("好书", ["书籍"], ["书籍", "酒店"], "category"),
        ("好书", ["正面"], ["正面", "负面"], "sentiment"),
        ("吵,脏", ["酒店"], ["书籍", "酒店"], "category"),
        ("吵,脏", ["负面"], ["正面", "负面"], "sentiment")]
    strict = _spec(textcls.read_csv, {"1": "正面", "0": "负面"}, {"s": (f,)},
                   text_field="review", label_fields={"label": "label"})
    _fails(strict, tmp_path, f, 4, "empty text")
    g = _write(tmp_path, "b.csv", "label,review\n1,ok\n0,too,many\n")
    spec = _spec(textcls.read_csv, {"1": "正面", "0": "负面"}, {"s": (g,)}, text_field="review")
    _fails(spec, tmp_path, g, 3, "expected 2 fields")
    h = _write(tmp_path, "c.csv", "lab,review\n1,ok\n")
    _fails(_spec(textcls.read_csv, {"1": "正面"}, {"s": (h,)}, text_field="review"), tmp_path, h,
           1, "header")


def test_json_texts_layouts(tmp_path: Path) -> None:
    f = _write(tmp_path, "a.json", '{"label": 1, "sentence": "开车", "id": 7}\n\n'
                                   '{"label": 0, "sentence": "看书"}\n')
    spec = _spec(textcls.read_json_texts, {"0": "阅读", "1": "出行"}, {"s": (f,)},
                 text_key="sentence")
    out = _read(spec, tmp_path)
    assert _simple(out) == [("开车", ["出行"]), ("看书", ["阅读"])] and out[0].meta == {"id": 7}

    g = _write(tmp_path, "b.json", json.dumps({"0": {"ori": "Q?\\nbody", "label": "1"}}))
    spec = _spec(textcls.read_json_texts, {"1": "health"}, {"s": (g,)}, layout="dict",
                 text_key="ori", literal_newlines=True)
    assert _simple(_read(spec, tmp_path)) == [("Q?\nbody", ["health"])]

    h = _write(tmp_path, "c.json", json.dumps({"train": [["hi there", "greeting"]], "val": []}))
    spec = _spec(textcls.read_json_texts, {"greeting": "greeting"}, {"train": (h,), "val": (h,)},
                 layout="splits")
    assert _simple(_read(spec, tmp_path, "train")) == [("hi there", ["greeting"])]
    assert _read(spec, tmp_path, "val") == []


def test_json_texts_errors(tmp_path: Path) -> None:
    f = _write(tmp_path, "a.json", '{"label": "1", "text": "ok"}\n{"label": "1", "text": \n')
    _fails(_spec(textcls.read_json_texts, {"1": "x"}, {"s": (f,)}), tmp_path, f, 2,
           "not valid JSON")
    g = _write(tmp_path, "b.json", '{"label": "1", "text": "ok"}\n{"text": "no label"}\n')
    _fails(_spec(textcls.read_json_texts, {"1": "x"}, {"s": (g,)}), tmp_path, g, 2,
           "missing field 'label'")
    h = _write(tmp_path, "c.json", json.dumps({"9": {"ori": 5, "label": "1"}}))
    _fails(_spec(textcls.read_json_texts, {"1": "x"}, {"s": (h,)}, layout="dict",
                 text_key="ori"), tmp_path, h, None, "record '9': field 'ori' should be str")
    k = _write(tmp_path, "d.json", json.dumps({"train": [["only text"]]}))
    _fails(_spec(textcls.read_json_texts, {"1": "x"}, {"s": (k,)}, layout="splits"),
           tmp_path, k, None, "expected an object with a list under 's'")


def test_pairs_json_tsv_and_no_gold(tmp_path: Path) -> None:
    nli = {"entailment": "蕴含", "neutral": "中立", "contradiction": "矛盾"}
    f = _write(tmp_path, "a.json",
               '{"sentence1": "他在跑步", "sentence2": "他在运动", "label": "entailment",'
               ' "id": 1}\n'
               '{"sentence1": "甲", "sentence2": "乙", "label": "-", "id": 2}\n')
    spec = _spec(pairs.read_pairs, nli, {"s": (f,)}, language="zh", kind="nli",
                 json_fields=("sentence1", "sentence2", "label"), no_gold="-")
    [inst] = _read(spec, tmp_path)
    assert (inst.text, inst.gold, inst.labels, inst.meta) == (
        "他在跑步\n他在运动", ["蕴含"], ["蕴含", "中立", "矛盾"], {"id": 1})

    g = _write(tmp_path, "b.tsv", "\ufeffQuality\t#1 ID\t#2 ID\t#1 String\t#2 String\n"
                                  '1\t11\t12\tHe said "yes".\tHe agreed.\r\n')
    spec = _spec(pairs.read_pairs, {"1": "paraphrase", "0": "not paraphrase"}, {"s": (g,)},
                 tsv_columns=("#1 String", "#2 String", "Quality"))
    [inst] = _read(spec, tmp_path)
    # Quality (the label) is the first column, so there is no record id.
    assert (inst.text, inst.gold, inst.meta) == ('He said "yes".\nHe agreed.', ["paraphrase"], {})
    h = _write(tmp_path, "c.json", '{"abst": "摘要", "keyword": ["甲", "乙"], "label": "1"}\n')
    spec = _spec(pairs.read_pairs, {"1": "关键词正确", "0": "关键词错误"}, {"s": (h,)},
                 json_fields=("abst", "keyword", "label"), join="，")
    assert _simple(_read(spec, tmp_path)) == [("摘要\n甲，乙", ["关键词正确"])]
    k = _write(tmp_path, "d.json", json.dumps({"0": {"text_a": "A", "text_b": "B",
                                                      "label": "not_entailment"}}))
    spec = _spec(pairs.read_pairs, cat._NLI_BINARY, {"s": (k,)}, layout="dict")
    assert _simple(_read(spec, tmp_path)) == [("A\nB", ["not entailment"])]


def test_pairs_errors(tmp_path: Path) -> None:
    f = _write(tmp_path, "a.tsv", "id\ts1\ts2\tlab\n1\ta\tb\tyes\n2\ta\tb\n")
    spec = _spec(pairs.read_pairs, {"yes": "yes"}, {"s": (f,)}, tsv_columns=("s1", "s2", "lab"))
    _fails(spec, tmp_path, f, 3, "expected 4 tab-separated fields")
    g = _write(tmp_path, "b.json", '{"text_a": "a", "text_b": " ", "label": "yes"}\n')
    _fails(_spec(pairs.read_pairs, {"yes": "yes"}, {"s": (g,)}), tmp_path, g, 1, "empty sentence")
    h = _write(tmp_path, "c.tsv", "id\ts1\tlab\n")
    spec = _spec(pairs.read_pairs, {"yes": "yes"}, {"s": (h,)}, tsv_columns=("s1", "s2", "lab"))
    _fails(spec, tmp_path, h, 1, "header")


def test_wsc(tmp_path: Path) -> None:
    record = {"target": {"span1_text": "小明", "span1_index": 0, "span2_text": "他",
                         "span2_index": 4}, "idx": 3, "label": "true", "text": "小明说，他饿了"}
    f = _write(tmp_path, "a.json", json.dumps(record, ensure_ascii=False) + "\n")
    spec = _spec(pairs.read_wsc, {"true": "指代相同", "false": "指代不同"}, {"s": (f,)})
    [inst] = _read(spec, tmp_path)
    assert inst.text == "小明说，他饿了\n他 -> 小明" and inst.gold == ["指代相同"]
    assert (inst.meta["head_start"], inst.meta["tail_start"]) == (4, 0)
    record["target"]["span2_index"] = 5  # type: ignore[index]
    g = _write(tmp_path, "b.json", json.dumps(record, ensure_ascii=False) + "\n")
    _fails(_spec(pairs.read_wsc, {"true": "指代相同"}, {"s": (g,)}), tmp_path, g, 1,
           "span2_text '他' is not at span2_index 5")


SEMEVAL_FILE = (
    '1\t"The <e1>author</e1> of a keygen uses a <e2>disassembler</e2>."\n'
    "Instrument-Agency(e2,e1)\nComment:\n\n"
    '2\t"The <e1>child</e1> was put in the <e2>cradle</e2>."\nOther\nComment: none\n\n')


def test_semeval_direction_and_other(tmp_path: Path) -> None:
    f = _write(tmp_path, "TRAIN.TXT", SEMEVAL_FILE)
    spec = _spec(semeval.read_marked_pairs, cat.SEMEVAL, {"s": (f,)}, kind="re",
                 no_relation="Other")
    first, second = _read(spec, tmp_path)
    assert first.text == "The author of a keygen uses a disassembler.\ndisassembler -> author"
    assert first.gold == ["instrument and agency"] and len(first.labels) == 9
    assert {k: first.meta[k] for k in ("head_start", "head_end", "tail_start", "tail_end")} == {
        "head_start": 30, "head_end": 42, "tail_start": 4, "tail_end": 10}
    assert second.text.endswith("\nchild -> cradle") and second.gold == []


def test_semeval_errors(tmp_path: Path) -> None:
    spec_args: dict[str, Any] = {"kind": "re", "no_relation": "Other"}
    f = _write(tmp_path, "a.TXT", '1\t"The <e1>author</e1> of a keygen."\nOther\nComment:\n')
    _fails(_spec(semeval.read_marked_pairs, cat.SEMEVAL, {"s": (f,)}, **spec_args), tmp_path,
           f, 1, "<e2>")
    g = _write(tmp_path, "b.TXT", SEMEVAL_FILE.replace("Instrument-Agency(e2,e1)", "Uses(x)"))
    _fails(_spec(semeval.read_marked_pairs, cat.SEMEVAL, {"s": (g,)}, **spec_args), tmp_path,
           g, 2, "expected a relation like")
    h = _write(tmp_path, "c.TXT", SEMEVAL_FILE.replace("Comment: none", "oops"))
    _fails(_spec(semeval.read_marked_pairs, cat.SEMEVAL, {"s": (h,)}, **spec_args), tmp_path,
           h, 7, "Comment")


def _joint_spec(f: str, **options: Any) -> DatasetSpec:
    return _spec(joint_json.read_joint_json, cat.CONLL04_ENTITIES | cat.CONLL04_RELATIONS,
                 {"s": (f,)}, kind="re",
                 facets={"entity": tuple(cat.CONLL04_ENTITIES),
                         "relation": tuple(cat.CONLL04_RELATIONS)}, **options)


def test_joint_json_entities_pairs_and_negatives(tmp_path: Path) -> None:
    record = {"tokens": ["John", "Smith", "of", "Acme", "met", "Ann", "in", "Rome", "."],
              "entities": [[0, 2, "Peop"], [3, 4, "Org"], [5, 6, "Peop"], [7, 8, "Loc"]],
              "relations": [[0, 2, 3, 4, "Work_For"]]}
    f = _write(tmp_path, "a.json", json.dumps([record]))
    out = _read(_joint_spec(f), tmp_path)
    extract, related, *negatives = out
    assert extract.text == "John Smith of Acme met Ann in Rome ." and extract.task == "extract"
    assert extract.spans == [Span("person", "John Smith", 0, 10), Span("organization", "Acme",
                             14, 18), Span("person", "Ann", 23, 26), Span("location", "Rome", 30,
                                                                          34)]
    assert extract.labels == ["person", "location", "organization", "other"]
    assert related.text == "John Smith of Acme met Ann in Rome .\nJohn Smith -> Acme"
    assert related.gold == ["works for"] and related.meta["head_type"] == "person"
    assert len(negatives) == 2 and all(n.gold == [] and n.meta["negative"] for n in negatives)
    pairs_ = {(n.meta["head"], n.meta["tail"]) for n in negatives}
    assert ("Acme", "John Smith") not in pairs_  # the reverse of a related pair
    again = [i.text for i in _read(_joint_spec(f), tmp_path)]
    assert again == [i.text for i in out]  # the negative sample is deterministic
    assert len(_read(_joint_spec(f, negatives=0), tmp_path)) == 2


def test_joint_json_errors(tmp_path: Path) -> None:
    bad = {"tokens": ["a", "b"], "entities": [[0, 1, "Peop"]], "relations": [[0, 1, 1, 2, "Kill"]]}
    f = _write(tmp_path, "a.json", json.dumps([bad]))
    _fails(_joint_spec(f), tmp_path, f, None, "sentence 0: relation [0, 1, 1, 2, 'Kill'] does "
                                              "not join two listed entities")
    g = _write(tmp_path, "b.json", json.dumps([{"tokens": ["a"], "entities": [[0, 3, "Peop"]],
                                                "relations": []}]))
    _fails(_joint_spec(g), tmp_path, g, None, "0 <= start < end <= 1")
    h = _write(tmp_path, "c.json", json.dumps([{"tokens": ["a"], "entities": [[0, 1, "Pet"]],
                                                "relations": []}]))
    _fails(_joint_spec(h), tmp_path, h, None, "unknown entity 'Pet'")


def test_fewrel(tmp_path: Path) -> None:
    data = {"P26": [{"tokens": ["Ann", "married", "Bob", "Lee"], "h": ["ann", "Q1", [[0]]],
                     "t": ["bob lee", "Q2", [[2, 3]]]}],
            "P40": [{"tokens": ["Cy", "is", "Di", "'s", "son"], "h": ["di", "Q3", [[2]]],
                     "t": ["cy", "Q4", [[0]]]}]}
    f = _write(tmp_path, "val.json", json.dumps(data))
    spec = _spec(fewrel.read_fewrel, cat.FEWREL_WIKI, {"s": (f,)}, kind="re")
    first, second = _read(spec, tmp_path)
    assert first.text == "Ann married Bob Lee\nAnn -> Bob Lee" and first.gold == ["spouse"]
    assert first.labels == ["spouse", "child"] and second.gold == ["child"]
    assert (second.meta["head"], second.meta["head_start"]) == ("Di", 6)
    data["P26"][0]["t"] = ["bob lee", "Q2", [[1, 3]]]
    g = _write(tmp_path, "bad.json", json.dumps(data))
    _fails(_spec(fewrel.read_fewrel, cat.FEWREL_WIKI, {"s": (g,)}), tmp_path, g, None,
           "P26[0]: 't' token indices [1, 3] are not a contiguous range")


def test_finre_groups_records_of_one_pair(tmp_path: Path) -> None:
    f = _write(tmp_path, "valid.txt", "甲公司\t乙公司\t持股\t甲公司增持乙公司股份\n\n"
                                      "乙公司\t甲公司\tunknown\t甲公司增持乙公司股份\n\n"
                                      "甲公司\t乙公司\t增持\t甲公司增持乙公司股份\n")
    spec = _spec(finre.read_finre, cat.FINRE, {"s": (f,)}, language="zh", kind="re",
                 no_relation="unknown", multi_label=True)
    first, second = _read(spec, tmp_path)
    assert first.text == "甲公司增持乙公司股份\n甲公司 -> 乙公司"
    assert (first.gold, first.meta["lines"]) == (["持股", "增持"], [1, 5])
    assert (second.gold, second.meta["tail_start"]) == ([], 0)
    g = _write(tmp_path, "bad.txt", "甲\t丙\t持股\t甲和乙\n")
    _fails(_spec(finre.read_finre, cat.FINRE, {"s": (g,)}), tmp_path, g, 1,
           "tail '丙' is not in the sentence")
    h = _write(tmp_path, "bad2.txt", "甲\t乙\t甲和乙\n")
    _fails(_spec(finre.read_finre, cat.FINRE, {"s": (h,)}), tmp_path, h, 1,
           "head<TAB>tail")


def _duie_spec(f: str) -> DatasetSpec:
    return _spec(duie.read_duie, cat.DUIE_TYPES | cat.DUIE_PREDICATES, {"s": (f,)},
                 language="zh", kind="re", multi_label=True, negatives=1,
                 facets={"entity": tuple(cat.DUIE_TYPES), "relation": tuple(cat.DUIE_PREDICATES)})


def test_duie_locates_entity_strings(tmp_path: Path) -> None:
    spo = [{"predicate": "导演", "subject": "英雄", "subject_type": "影视作品",
            "object": {"@value": "张艺谋"}, "object_type": {"@value": "人物"}},
           {"predicate": "饰演", "subject": "李连杰", "subject_type": "娱乐人物",
            "object": {"@value": "无名", "inWork": "英雄"},
            "object_type": {"@value": "人物", "inWork": "影视作品"}},
           {"predicate": "作者", "subject": "不在文中", "subject_type": "图书作品",
            "object": {"@value": "张艺谋"}, "object_type": {"@value": "人物"}}]
    record = {"text": "《英雄》由张艺谋执导，李连杰饰演无名", "spo_list": spo}
    f = _write(tmp_path, "train.json", json.dumps(record, ensure_ascii=False) + "\n")
    extract, directed, plays, negative = _read(_duie_spec(f), tmp_path)
    assert extract.spans == [Span("影视作品", "英雄", 1, 3), Span("人物", "张艺谋", 5, 8),
                             Span("娱乐人物", "李连杰", 11, 14), Span("人物", "无名", 16, 18)]
    assert directed.text.endswith("\n英雄 -> 张艺谋") and directed.gold == ["导演"]
    assert plays.gold == ["饰演"] and plays.meta["inWork"] == "英雄"
    assert negative.gold == [] and negative.meta["negative"]
    spo[0]["object_type"] = {"@value": "导演"}
    g = _write(tmp_path, "bad.json", json.dumps(record, ensure_ascii=False) + "\n")
    _fails(_duie_spec(g), tmp_path, g, 1, "unknown entity '导演'")


def _brat_spec(folder: str) -> DatasetSpec:
    return _spec(brat.read_brat, cat.LITERATURE_ENTITIES | cat.LITERATURE_RELATIONS,
                 {"s": (folder,)}, language="zh", kind="re", negatives=1,
                 facets={"entity": tuple(cat.LITERATURE_ENTITIES),
                         "relation": tuple(cat.LITERATURE_RELATIONS)})


def test_brat_unwraps_lines_and_keeps_offsets(tmp_path: Path) -> None:
    # PDF-wrapped text: breaks inside 江|山 and 小|河; the clean text has none.
    _write(tmp_path, "doc/1.txt", "我的老家在江\n山。门前有一条小\n河，河边是我家。")
    _write(tmp_path, "doc/1.ann", "T1\tLocation-Nominal 2 4\t老家\n"
                                  "T2\tLocation-Name 5 6;7 8\t江 山\n"
                                  "R1\tLocated Arg1:T1 Arg2:T2\t\n"
                                  "T3\tPerson-Pronoun 0 1\t我\n"
                                  "T4\tThing-Nominal 12 17\t一条小\n河\n"
                                  "T5\tLocation-Nominal 18 20\t河边\n"
                                  "R2\tNear Arg1:T5 Arg2:T2\n"
                                  "*\tCoreference T4 T5\n")
    first, related, negative, second, negative2, across = _read(_brat_spec("doc"), tmp_path)
    assert first.text == "我的老家在江山。" and first.task == "extract"
    assert first.spans == [Span("人称代词", "我", 0, 1), Span("地点", "老家", 2, 4),
                           Span("地名", "江山", 5, 7)]
    assert related.text == "我的老家在江山。\n老家 -> 江山" and related.gold == ["位于"]
    assert negative.gold == [] and negative.meta["sentence"] == 0
    assert second.text == "门前有一条小河，河边是我家。"
    assert second.spans == [Span("事物", "一条小河", 3, 7), Span("地点", "河边", 8, 10)]
    assert negative2.gold == [] and {negative2.meta["head"], negative2.meta["tail"]} == {
        "一条小河", "河边"}
    assert across.text == "我的老家在江山。门前有一条小河，河边是我家。\n河边 -> 江山"
    assert across.gold == ["邻近"] and across.meta["sentences"] == [0, 1]
    assert (across.meta["head_start"], across.meta["tail_start"]) == (16, 5)


def test_brat_accepts_punctuation_changed_after_annotation(tmp_path: Path) -> None:
    _write(tmp_path, "doc/7.txt", "一座小楼、两间房。")
    _write(tmp_path, "doc/7.ann", "T1\tThing-Nominal 0 5\t一座小楼;\n")
    [extract] = _read(_brat_spec("doc"), tmp_path)
    assert extract.spans == [Span("事物", "一座小楼、", 0, 5)]  # the document's text wins


def test_brat_errors(tmp_path: Path) -> None:
    _write(tmp_path, "a/1.txt", "我的老家。")
    _write(tmp_path, "a/1.ann", "T1\tLocation-Nominal 2 4\t老家\nR1\tLocated Arg1:T1 Arg2:T9\n")
    _fails(_brat_spec("a"), tmp_path, "a/1.ann", 2, "relation R1 names an entity")
    _write(tmp_path, "b/1.txt", "我的老家。")
    _write(tmp_path, "b/1.ann", "T1\tLocation-Nominal 1 3\t老家\n")
    _fails(_brat_spec("b"), tmp_path, "b/1.ann", 1, "text '老家' is not at 1 3")
    _write(tmp_path, "c/1.txt", "我的老家。")
    _write(tmp_path, "c/1.ann", "E1\tEvent:T1\n")
    _fails(_brat_spec("c"), tmp_path, "c/1.ann", 1, "expected a T, R or *")
    (tmp_path / "d").mkdir()
    _fails(_brat_spec("d"), tmp_path, "d", None, "expected brat .ann files")


def _squad_file(tmp_path: Path, answers: list[dict[str, Any]], question: str = "Who, where?",
                name: str = "dev.json") -> str:
    data = {"version": "1.1", "data": [{"title": "T", "paragraphs": [{
        "context": "Tim Cook visited the Beijing office.",
        "qas": [{"id": "q1", "question": question, "answers": answers}]}]}]}
    return _write(tmp_path, name, json.dumps(data))


def test_squad_distinct_answers(tmp_path: Path) -> None:
    f = _squad_file(tmp_path, [{"text": "Tim Cook", "answer_start": 0},
                               {"text": "Tim Cook", "answer_start": 0},
                               {"text": "Cook", "answer_start": 4}])
    [inst] = _read(_spec(squad.read_squad, {}, {"s": (f,)}, kind="mrc"), tmp_path)
    assert inst.labels == ["Who; where?"] and inst.task == "extract"
    assert inst.spans == [Span("Who; where?", "Tim Cook", 0, 8), Span("Who; where?", "Cook", 4, 8)]
    assert inst.meta == {"id": "q1", "answers": ["Tim Cook", "Cook"]}


def test_squad_mismatch_strict_and_tolerated(tmp_path: Path) -> None:
    f = _squad_file(tmp_path, [{"text": "Beijing", "answer_start": 20}])
    strict = _spec(squad.read_squad, {}, {"s": (f,)})
    _fails(strict, tmp_path, f, None, "data[0].paragraphs[0].qas[0]: answer 'Beijing' is not at "
                                      "answer_start 20")
    lenient = _spec(squad.read_squad, {}, {"s": (f,)}, relocate_answers=True)
    assert _read(lenient, tmp_path)[0].spans == [Span("Who; where?", "Beijing", 21, 28)]
    g = _squad_file(tmp_path, [{"text": "Shanghai", "answer_start": -1}], name="g.json")
    assert _read(_spec(squad.read_squad, {}, {"s": (g,)}, skip_unlocated=True), tmp_path) == []
    h = _squad_file(tmp_path, [{"text": "Tim", "answer_start": 0}], question=" ", name="h.json")
    _fails(_spec(squad.read_squad, {}, {"s": (h,)}), tmp_path, h, None, "empty question")


SUBJQA_HEADER = "item_id,question,review,human_ans_spans,human_ans_indices,q_review_id\n"


def test_subjqa(tmp_path: Path) -> None:
    review = "Fantastic service! Slow, slow, slow kitchen though."
    rows = [f'1,How is the service?,"{review} ANSWERNOTFOUND",Fantastic service !,"(0, 18)",a\n',
            f'2,Is it fast?,"{review} ANSWERNOTFOUND",slow slow slow,"(19, 35)",b\n',
            f'3,Is it clean?,"{review} ANSWERNOTFOUND",ANSWERNOTFOUND,"(52, 66)",c\n',
            f'4,Parking?,"{review} ANSWERNOTFOUND",valet parking,"(0, 5)",d\n']
    f = _write(tmp_path, "books/dev.csv", SUBJQA_HEADER + "".join(rows))
    spec = _spec(squad.read_subjqa, {}, {"s": (f,)}, kind="mrc", skip_unlocated=True)
    service, fast, clean = _read(spec, tmp_path)
    assert service.text == review
    assert service.spans == [Span("How is the service?", "Fantastic service!", 0, 18)]
    assert fast.spans == [Span("Is it fast?", "Slow, slow, slow", 19, 35)]
    assert clean.spans == [] and clean.meta == {"domain": "books", "id": "c", "answers": []}
    strict = _spec(squad.read_subjqa, {}, {"s": (f,)})
    _fails(strict, tmp_path, f, 5, "no answer of ['valet parking'] is in the context")
    g = _write(tmp_path, "x/dev.csv", SUBJQA_HEADER + '1,Q?,"ok ANSWERNOTFOUND",ok,"0-2",a\n')
    _fails(_spec(squad.read_subjqa, {}, {"s": (g,)}), tmp_path, g, 2, "human_ans_indices")


def test_readers_stream_lazily(tmp_path: Path) -> None:
    f = _write(tmp_path, "a.txt", "1\tfine\n0 broken\n")
    spec = _spec(textcls.read_delimited, {"1": "positive", "0": "negative"}, {"s": (f,)})
    stream: Iterator[AtomicInstance] = spec.reader(spec, tmp_path, "s")
    assert next(stream).text == "fine"  # the error on line 2 comes only when it is reached
    with pytest.raises(DataFormatError):
        next(stream)
