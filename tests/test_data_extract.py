"""Extraction-side dataset readers: every instance of every registered split, and one literal
small file per format (expected text, offsets, labels, and the errors of malformed input)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from shared_data import ROOT, needs_data

from seqgpt import prompt
from seqgpt.data import catalog_extract, conll, dialogue, events, slots, spanjson
from seqgpt.data.instance import AtomicInstance, DataFormatError
from seqgpt.data.registry import DatasetSpec, Reader
from seqgpt.types import Span

_BIOMED = "biomed_ner_mtl2016"
#: Records (sentences, utterances, turns, messages) per split as MANIFEST.md states them.
EXPECTED: dict[tuple[str, str], int] = {
    ("conll2003", "train"): 14041, ("conll2003", "dev"): 3250, ("conll2003", "test"): 3453,
    ("wnut17", "train"): 3394, ("wnut17", "dev"): 1009, ("wnut17", "test"): 1287,
    ("wikigold", "all"): 1696,
    ("btc", "a"): 1000, ("btc", "b"): 2000, ("btc", "e"): 200, ("btc", "f"): 2000,
    ("btc", "g"): 2138,
    # MANIFEST counts 2001 blank-line blocks; one block is a single blank token (no text).
    ("btc", "h"): 2000,
    ("re3d", "train"): 765, ("re3d", "test"): 200,
    ("sec_filings", "train"): 1164, ("sec_filings", "test"): 303,
    ("anem", "train"): 2815, ("anem", "test"): 1882,
    ("gum", "train"): 2495, ("gum", "test"): 1000,
    (f"{_BIOMED}/BC5CDR-IOB", "train"): 4560, (f"{_BIOMED}/BC5CDR-IOB", "dev"): 4581,
    (f"{_BIOMED}/BC5CDR-IOB", "test"): 4797,
    (f"{_BIOMED}/NCBI-disease-IOB", "train"): 5424, (f"{_BIOMED}/NCBI-disease-IOB", "dev"): 923,
    (f"{_BIOMED}/NCBI-disease-IOB", "test"): 940,
    (f"{_BIOMED}/BC2GM-IOB", "dev"): 2519, (f"{_BIOMED}/BC2GM-IOB", "test"): 5038,
    (f"{_BIOMED}/JNLPBA", "dev"): 1739, (f"{_BIOMED}/JNLPBA", "test"): 3856,
    (f"{_BIOMED}/linnaeus-IOB", "dev"): 4078, (f"{_BIOMED}/linnaeus-IOB", "test"): 7142,
    (f"{_BIOMED}/AnatEM-IOB", "train"): 5861, (f"{_BIOMED}/AnatEM-IOB", "dev"): 2118,
    (f"{_BIOMED}/AnatEM-IOB", "test"): 3830,
    (f"{_BIOMED}/BioNLP13CG-IOB", "train"): 3033, (f"{_BIOMED}/BioNLP13CG-IOB", "dev"): 1003,
    (f"{_BIOMED}/BioNLP13CG-IOB", "test"): 1906,
    (f"{_BIOMED}/BioNLP13PC-IOB", "train"): 2499, (f"{_BIOMED}/BioNLP13PC-IOB", "dev"): 857,
    (f"{_BIOMED}/BioNLP13PC-IOB", "test"): 1695,
    ("fewnerd_inter_devtest", "dev"): 18817, ("fewnerd_inter_devtest", "test"): 14007,
    # mentions; 29 train mentions have no type and are skipped (MANIFEST counts 1,995)
    ("ufet_crowd", "train"): 1966, ("ufet_crowd", "train_dev"): 1996,
    ("ufet_crowd", "test"): 1998,
    ("pilener_subset", "all"): 878,  # passages (MANIFEST: 1,312 pairs over 878 passages)
    ("cluener2020", "train"): 10748, ("cluener2020", "dev"): 1343,
    ("resume_ner", "train"): 3821, ("resume_ner", "dev"): 463, ("resume_ner", "test"): 477,
    ("msra_ner", "test"): 4631,
    ("peoples_daily_ner", "dev"): 2318, ("peoples_daily_ner", "test"): 4636,
    ("chinese_literature_ner_re/ner", "dev"): 1895, ("chinese_literature_ner_re/ner", "test"): 2837,
    ("slu_sz128/snips", "train"): 13084, ("slu_sz128/snips", "dev"): 700,
    ("slu_sz128/snips", "test"): 700,
    ("slu_sz128/atis-2", "train"): 4478, ("slu_sz128/atis-2", "dev"): 500,
    ("slu_sz128/atis-2", "test"): 893,
    ("slu_sz128/multilingual_task_oriented_data_en", "train"): 30521,
    ("slu_sz128/multilingual_task_oriented_data_en", "dev"): 4181,
    ("slu_sz128/multilingual_task_oriented_data_en", "test"): 8621,
    ("slu_sz128/ECSA", "train"): 22402, ("slu_sz128/ECSA", "dev"): 2490,
    ("slu_sz128/ECSA", "test"): 2723,
    ("restaurant8k", "train"): 8198, ("restaurant8k", "test"): 3731,
    ("dstc8_span/Buses_1", "train"): 1133, ("dstc8_span/Buses_1", "test"): 377,
    ("dstc8_span/Events_1", "train"): 1498, ("dstc8_span/Events_1", "test"): 521,
    ("dstc8_span/Homes_1", "train"): 2064, ("dstc8_span/Homes_1", "test"): 587,
    ("dstc8_span/RentalCars_1", "train"): 874, ("dstc8_span/RentalCars_1", "test"): 328,
    ("hwu64_nlu_eval", "train"): 9960, ("hwu64_nlu_eval", "test"): 1076,
    ("slurp", "dev"): 2031, ("slurp", "test"): 2972,
    ("smp2019_ecdt_nlu", "train"): 2579,
    ("sgd", "train"): 24604, ("sgd", "dev"): 6954,
    ("crosswoz", "dev"): 8458, ("crosswoz", "test"): 8476,
    ("fewfc", "train_base"): 2732, ("fewfc", "train_trans"): 820, ("fewfc", "dev_trans"): 730,
    ("phee", "train"): 2898, ("phee", "dev"): 961, ("phee", "test"): 968,
}
#: Annotated mentions per split where MANIFEST.md states them.
EXPECTED_SPANS: dict[tuple[str, str], int] = {
    ("fewnerd_inter_devtest", "dev"): 34830, ("fewnerd_inter_devtest", "test"): 28342,
    ("hwu64_nlu_eval", "train"): 8253, ("hwu64_nlu_eval", "test"): 880,
    ("slurp", "dev"): 2019, ("slurp", "test"): 2821,  # 4,840 slot mentions in MANIFEST
    # 32,407 mention-type pairs in MANIFEST
    ("ufet_crowd", "train"): 10881, ("ufet_crowd", "train_dev"): 10793,
    ("ufet_crowd", "test"): 10733,
    ("smp2019_ecdt_nlu", "train"): 3327,
    ("sgd", "train"): 16189, ("sgd", "dev"): 4604,
}
#: NLU++ has no fixed split; MANIFEST gives the total of its 20 folds per domain.
NLUPP_TOTALS = {"nlupp/banking": 2071, "nlupp/hotels": 1009}

SPLITS = [(spec, split) for spec in catalog_extract.SPECS for split in spec.splits]


def test_every_registered_split_has_an_expected_count() -> None:
    named = {(spec.name, split) for spec, split in SPLITS if not spec.name.startswith("nlupp/")}
    assert named == set(EXPECTED)
    assert {spec.name for spec in catalog_extract.SPECS if spec.name.startswith("nlupp/")} \
        == set(NLUPP_TOTALS)


def _scan(spec: DatasetSpec, split: str) -> tuple[int, int]:
    """Check every instance of one split; return (records, spans of the record-level task)."""
    assert ROOT is not None
    records: set[str] = set()
    spans = 0
    checked_labels: set[tuple[str, ...]] = set()
    for inst in spec.reader(spec, ROOT, split):
        inst.check()
        assert (inst.dataset, inst.split, inst.language) == (spec.name, split, spec.language)
        key = tuple(inst.labels)
        if key not in checked_labels:  # every label set must be usable in the upstream prompt
            assert prompt.check_labels(inst.labels) == inst.labels
            checked_labels.add(key)
        if inst.task == "classify":
            assert inst.gold and (inst.multi_label or len(inst.gold) == 1)
        else:
            assert [(s.start, s.end) for s in inst.spans] == sorted((s.start, s.end)
                                                                   for s in inst.spans)
            if inst.meta.get("task") != "arguments":
                spans += len(inst.spans)
        records.add(inst.meta["source"])  # one per sentence / utterance / turn / message
    return len(records), spans


@needs_data
@pytest.mark.parametrize(("spec", "split"), SPLITS, ids=[f"{s.name}:{sp}" for s, sp in SPLITS])
def test_every_instance_is_valid_and_counts_match(spec: DatasetSpec, split: str) -> None:
    records, spans = _scan(spec, split)
    if (spec.name, split) in EXPECTED:
        assert records == EXPECTED[spec.name, split]
    if (spec.name, split) in EXPECTED_SPANS:
        assert spans == EXPECTED_SPANS[spec.name, split]


@needs_data
@pytest.mark.parametrize("name", sorted(NLUPP_TOTALS))
def test_nlupp_folds_add_up(name: str) -> None:
    spec = next(s for s in catalog_extract.SPECS if s.name == name)
    assert sum(_scan(spec, split)[0] for split in spec.splits) == NLUPP_TOTALS[name]


# --- literal small files --------------------------------------------------------------------


def _spec(reader: Reader, files: dict[str, tuple[str, ...]], labels: dict[str, str],
          language: str = "en", **options: object) -> DatasetSpec:
    return DatasetSpec("tiny", language, "ner", files, reader, labels, options)


def _write(root: Path, name: str, content: str | bytes) -> str:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return name


def _read(spec: DatasetSpec, root: Path, split: str = "s") -> list[AtomicInstance]:
    instances = list(spec.reader(spec, root, split))
    for inst in instances:
        inst.check()
    return instances


def _spans(inst: AtomicInstance) -> list[tuple[str, str, int, int]]:
    return [(s.label, s.text, s.start, s.end) for s in inst.spans]


def test_conll_bio_joins_english_like_a_user_and_skips_docstart(tmp_path: Path) -> None:
    name = _write(tmp_path, "a.txt", "-DOCSTART-\tO\n\nEU\tB-ORG\nrejects\tO\nGerman\tB-MISC\n"
                  "call\tO\n(\tO\nit\tO\n's\tO\nBritish\tB-MISC\nlamb\tI-MISC\n)\tO\n.\tO\n\n"
                  "Peter\tB-PER\nBlackburn\tI-PER\n")
    spec = _spec(conll.read_conll, {"s": (name,)}, {"ORG": "organization", "MISC": "misc",
                                                     "PER": "person"})
    first, second = _read(spec, tmp_path)
    assert first.text == "EU rejects German call (it's British lamb)."
    assert _spans(first) == [("organization", "EU", 0, 2), ("misc", "German", 11, 17),
                             ("misc", "British lamb", 29, 41)]
    assert first.labels == ["organization", "misc", "person"]
    assert first.task == "extract" and first.meta["source"] == "a.txt:3"
    assert second.text == "Peter Blackburn" and _spans(second) == [("person", second.text, 0, 15)]


def test_conll_iob1_four_columns_space_separated(tmp_path: Path) -> None:
    name = _write(tmp_path, "fin.txt", "-DOCSTART- -X- O O\n\nSilicium NNP - I-ORG\nde IN - I-ORG\n"
                  "Provence NNP - I-ORG\nand CC - O\nBank NNP - I-ORG\nA NNP - B-ORG\n")
    spec = _spec(conll.read_conll, {"s": (name,)}, {"ORG": "organization"}, sep=" ", columns=4,
                 scheme="iob1")
    (inst,) = _read(spec, tmp_path)
    assert inst.text == "Silicium de Provence and Bank A"
    assert _spans(inst) == [("organization", "Silicium de Provence", 0, 20),
                            ("organization", "Bank", 25, 29), ("organization", "A", 30, 31)]


def test_conll_handles_join_their_name_and_are_not_entities(tmp_path: Path) -> None:
    # BTC's layout: the handle split in two, both halves tagged as the entity.
    name = _write(tmp_path, "btc.conll", "@\tB-PER\ncolgo\tB-PER\nmet\tO\nAnna\tB-PER\n"
                  "at\tO\n@\tB-ORG\nGWS_Giants\tB-ORG\nHQ\tI-ORG\n@\tO\n")
    labels = {"PER": "person", "ORG": "organization"}
    (plain,) = _read(_spec(conll.read_conll, {"s": (name,)}, labels), tmp_path)
    assert plain.text.startswith("@ colgo") and ("person", "@", 0, 1) in _spans(plain)
    spec = _spec(conll.read_conll, {"s": (name,)}, labels, handles=True)
    (inst,) = _read(spec, tmp_path)
    assert inst.text == "@colgo met Anna at @GWS_Giants HQ @"
    assert _spans(inst) == [("person", "Anna", 11, 15), ("organization", "HQ", 31, 33)]


def test_conll_bmes_chinese_characters_join_without_spaces(tmp_path: Path) -> None:
    name = _write(tmp_path, "r.bmes", "高 B-NAME\n勇 E-NAME\n： O\n中 B-CONT\n国 M-CONT\n"
                  "籍 E-CONT\n， O\n汉 S-RACE\n")
    labels = {"NAME": "人名", "CONT": "国籍", "RACE": "民族"}
    spec = _spec(conll.read_conll, {"s": (name,)}, labels, language="zh", sep=" ", scheme="bmes")
    (inst,) = _read(spec, tmp_path)
    assert inst.text == "高勇：中国籍，汉"
    assert _spans(inst) == [("人名", "高勇", 0, 2), ("国籍", "中国籍", 3, 6), ("民族", "汉", 7, 8)]


def test_conll_underscore_tags_and_bare_io_types(tmp_path: Path) -> None:
    lit = _write(tmp_path, "lit.txt", "清 B_Time\n明 I_Time\n是 O\n他 B_Person\n")
    spec = _spec(conll.read_conll, {"s": (lit,)}, {"Time": "时间", "Person": "人物"},
                 language="zh", sep=" ", tag_sep="_")
    assert _spans(_read(spec, tmp_path)[0]) == [("时间", "清明", 0, 2), ("人物", "他", 3, 4)]
    nerd = _write(tmp_path, "nerd.txt", "Hoch\tbuilding-other\nAuditorium\tbuilding-other\nin\tO\n"
                  "China\tO\n")
    spec = _spec(conll.read_conll, {"dev": (nerd,)}, {"building-other": "building",
                                                       "art-music": "musical work"},
                 scheme="io", facets={"dev": ("building-other",), "test": ("art-music",)})
    (inst,) = _read(spec, tmp_path, "dev")
    assert inst.labels == ["building"]  # a partially annotated split offers its own types only
    assert _spans(inst) == [("building", "Hoch Auditorium", 0, 15)]


def test_conll_offsets_rebuild_source_spacing(tmp_path: Path) -> None:
    name = _write(tmp_path, "AnEM.x", "[\t100\t101\tO\nrectal\t101\t107\tB-Pathological_formation\n"
                  "carcinoma\t108\t117\tI-Pathological_formation\n]\t117\t118\tO\n.\t118\t119\tO\n")
    spec = _spec(conll.read_conll, {"s": (name,)}, {"Pathological_formation": "pathology"},
                 columns=4, offsets=True)
    (inst,) = _read(spec, tmp_path)
    assert inst.text == "[rectal carcinoma]."
    assert _spans(inst) == [("pathology", "rectal carcinoma", 1, 17)]


def test_conll_blank_token_tagged_o_is_dropped(tmp_path: Path) -> None:
    name = _write(tmp_path, "b.conll", "hi\tO\n\tO\nParis\tB-LOC\n\n\tO\n")
    spec = _spec(conll.read_conll, {"s": (name,)}, {"LOC": "location"})
    (inst,) = _read(spec, tmp_path)  # the second block holds no text at all
    assert inst.text == "hi Paris" and _spans(inst) == [("location", "Paris", 3, 8)]


@pytest.mark.parametrize(("content", "line", "problem"), [
    ("EU\tB-ORG\nrejects\tO\textra\n", 2, "expected 2 tab-separated columns"),
    ("EU\tB-ORG\n\nrejects\tX-ORG\n", 3, "expected O or B/I-<type>"),
    ("EU\tB-ORG\nrejects\tB-FOO\n", 2, "unknown label 'FOO'"),
    ("EU\tB-ORG\n\tB-ORG\n", 2, "blank token tagged 'B-ORG'"),
])
def test_conll_malformed_lines_name_file_and_line(tmp_path: Path, content: str, line: int,
                                                  problem: str) -> None:
    name = _write(tmp_path, "bad.txt", content)
    spec = _spec(conll.read_conll, {"s": (name,)}, {"ORG": "organization"})
    with pytest.raises(DataFormatError, match=rf"bad\.txt:{line}: .*{problem}"):
        _read(spec, tmp_path)


def test_conll_offsets_that_do_not_fit_the_token(tmp_path: Path) -> None:
    name = _write(tmp_path, "bad.x", "rectal\t0\t6\tO\ncarcinoma\t7\t9\tO\n")
    spec = _spec(conll.read_conll, {"s": (name,)}, {}, columns=4, offsets=True)
    with pytest.raises(DataFormatError, match=r"bad\.x:2: offsets 7-9 do not fit"):
        _read(spec, tmp_path)


def test_cluener_inclusive_end_offsets(tmp_path: Path) -> None:
    record = {"text": "浙商银行叶老桂博士", "label": {"name": {"叶老桂": [[4, 6]]},
                                                 "company": {"浙商银行": [[0, 3]]}}}
    name = _write(tmp_path, "c.json", json.dumps(record, ensure_ascii=False) + "\n")
    spec = _spec(spanjson.read_cluener, {"s": (name,)}, {"name": "人名", "company": "公司"},
                 language="zh")
    (inst,) = _read(spec, tmp_path)
    assert inst.labels == ["人名", "公司"]
    assert _spans(inst) == [("公司", "浙商银行", 0, 4), ("人名", "叶老桂", 4, 7)]
    record["label"]["name"] = {"叶老桂": [[3, 5]]}
    _write(tmp_path, "c.json", '\n' + json.dumps(record, ensure_ascii=False) + "\n")
    with pytest.raises(DataFormatError, match=r"c\.json:2: offsets \[3, 6\) give '行叶老'"):
        _read(spec, tmp_path)


def test_polyai_missing_start_index_means_zero_and_spaces_are_trimmed(tmp_path: Path) -> None:
    records = [{"userInput": {"text": "5 adults at 7pm "}, "context": {"requestedSlots": ["time"]},
                "labels": [{"slot": "people", "valueSpan": {"endIndex": 8}},
                           {"slot": "time", "valueSpan": {"startIndex": 12, "endIndex": 16}}]},
               {"userInput": {"text": "thanks"}}]
    name = _write(tmp_path, "p.json", json.dumps(records))
    spec = _spec(spanjson.read_polyai, {"s": (name,)}, {"people": "number of people",
                                                         "time": "time"})
    first, second = _read(spec, tmp_path)
    assert _spans(first) == [("number of people", "5 adults", 0, 8), ("time", "7pm", 12, 15)]
    assert first.meta["requested_slots"] == ["time"] and second.spans == []
    records[1]["labels"] = [{"slot": "time", "valueSpan": {"startIndex": 3, "endIndex": 30}}]
    _write(tmp_path, "p.json", json.dumps(records))
    with pytest.raises(DataFormatError, match=r"p\.json: record 1: span \[3, 30\) of 'time' is "
                                              "not inside the 6-character text"):
        _read(spec, tmp_path)


def test_nlupp_gives_slots_and_multi_label_intents(tmp_path: Path) -> None:
    records = [{"text": "How long to get a new pin?", "intents": ["how_long", "pin"]},
               {"text": "from 25 past 9", "slots": {"time_from": {"text": "25 past 9",
                                                                 "span": [5, 14]}}}]
    name = _write(tmp_path, "fold0.json", json.dumps(records))
    labels = {"time_from": "start time", "intent:how_long": "how long", "intent:pin": "PIN",
              "intent:card": "card"}
    spec = _spec(spanjson.read_nlupp, {"s": (name,)}, labels,
                 facets={"slot": ("time_from",), "intent": ("intent:how_long", "intent:pin",
                                                            "intent:card")})
    slots1, intents1, slots2 = _read(spec, tmp_path)  # no intents -> no classify instance
    assert slots1.spans == [] and slots1.labels == ["start time"]
    assert intents1.task == "classify" and intents1.multi_label
    assert intents1.labels == ["how long", "PIN", "card"] and intents1.gold == ["how long", "PIN"]
    assert _spans(slots2) == [("start time", "25 past 9", 5, 14)]
    records[1]["slots"]["time_from"]["text"] = "26 past 9"
    _write(tmp_path, "fold0.json", json.dumps(records))
    with pytest.raises(DataFormatError, match="record 1: offsets .* the file says '26 past 9'"):
        _read(spec, tmp_path)


def _sz_spec(name: str, **options: object) -> DatasetSpec:
    labels = {"fromloc.city_name": "departure city", "depart_time.time": "departure time",
              "intent:atis_flight": "flight", "intent:atis_airfare": "airfare"}
    return _spec(slots.read_sz128, {"s": (name,)}, labels,
                 facets={"slot": ("fromloc.city_name", "depart_time.time"),
                         "intent": ("intent:atis_flight", "intent:atis_airfare")}, **options)


def test_sz128_splits_tokens_at_the_last_colon_and_reads_multi_intents(tmp_path: Path) -> None:
    name = _write(tmp_path, "train", "fares:O from:O new:B-fromloc.city_name "
                  "york:I-fromloc.city_name :O at:O 7:B-depart_time.time ::I-depart_time.time "
                  "30:I-depart_time.time <=> atis_flight;atis_airfare\n")
    extract, classify = _read(_sz_spec(name, multi_intent=True), tmp_path)
    assert extract.text == "fares from new york at 7: 30"
    assert _spans(extract) == [("departure city", "new york", 11, 19),
                               ("departure time", "7: 30", 23, 28)]
    assert extract.meta["task"] == "slots" and classify.meta["task"] == "intent"
    assert classify.gold == ["flight", "airfare"] and classify.multi_label
    assert classify.labels == ["flight", "airfare"]


@pytest.mark.parametrize(("line", "problem"), [
    ("from:O boston:B-fromloc.city_name atis_flight", "expected 'tok:TAG tok:TAG ... <=> INTENT'"),
    ("from:O boston <=> atis_flight", "token 'boston': expected token:TAG"),
    ("from:O boston:B-toloc.city_name <=> atis_flight", "unknown slot 'toloc.city_name'"),
    ("from:O boston:O <=> atis_meal", "unknown intent 'intent:atis_meal'"),
    ("from:O :B-fromloc.city_name <=> atis_flight", "empty token tagged"),
])
def test_sz128_malformed_lines(tmp_path: Path, line: str, problem: str) -> None:
    name = _write(tmp_path, "bad", "from:O boston:B-fromloc.city_name <=> atis_flight\n" + line)
    with pytest.raises(DataFormatError, match=rf"bad:2: .*{problem}"):
        _read(_sz_spec(name), tmp_path)


def test_sz128_without_intents_needs_null_intent(tmp_path: Path) -> None:
    name = _write(tmp_path, "e", "连:B-PINLEI 衣:I-PINLEI 裙:I-PINLEI <=> <NULL>\n好:O <=> 买\n")
    spec = _spec(slots.read_sz128, {"s": (name,)}, {"PINLEI": "品类"}, language="zh",
                 facets={"slot": ("PINLEI",)})
    with pytest.raises(DataFormatError, match=r"e:2: intent '买': tiny has no intent table"):
        _read(spec, tmp_path)
    _write(tmp_path, "e", "连:B-PINLEI 衣:I-PINLEI 裙:I-PINLEI <=> <NULL>\n")
    (inst,) = _read(spec, tmp_path)
    assert inst.text == "连衣裙" and _spans(inst) == [("品类", "连衣裙", 0, 3)]


_HWU_HEADER = "answerid;scenario;intent;answer_annotation;answer_from_anno;answer_from_user\n"


def _hwu_spec(name: str) -> DatasetSpec:
    labels = {"date": "date", "time": "time", "intent:alarm_set": "set alarm"}
    return _spec(slots.read_hwu64, {"s": (name,)}, labels,
                 facets={"slot": ("date", "time"), "intent": ("intent:alarm_set",)})


def test_hwu64_inline_markup_becomes_spans(tmp_path: Path) -> None:
    name = _write(tmp_path, "alarm_set.csv", _HWU_HEADER + '8737;alarm;set;"wake me [date : '
                  'tomorrow] at [time : 6:30 am]";"wake me tomorrow at 6:30 am";"Wake me"\n')
    extract, classify = _read(_hwu_spec(name), tmp_path)
    assert extract.text == "wake me tomorrow at 6:30 am"
    assert _spans(extract) == [("date", "tomorrow", 8, 16), ("time", "6:30 am", 20, 27)]
    assert classify.gold == ["set alarm"] and classify.meta["answer_id"] == "8737"


@pytest.mark.parametrize(("rows", "line", "problem"), [
    (_HWU_HEADER + '1;alarm;set;"at [time : six]";"at 6";"x"\n', 2, "should equal answer_from"),
    (_HWU_HEADER + '1;alarm;set;"at [time : six";"at [time : six";"x"\n', 2, "should equal"),
    (_HWU_HEADER + '1;alarm;set;"hi";"hi"\n', 2, "expected 6 ';'-separated fields"),
    ("id;scenario\n", 1, "expected the header"),
    (_HWU_HEADER + '1;alarm;query;"hi";"hi";"hi"\n', 2, "unknown intent"),
])
def test_hwu64_malformed_rows(tmp_path: Path, rows: str, line: int, problem: str) -> None:
    name = _write(tmp_path, "bad.csv", rows)
    with pytest.raises(DataFormatError, match=rf"bad\.csv:{line}: .*{problem}"):
        _read(_hwu_spec(name), tmp_path)


def _smp_spec(name: str) -> DatasetSpec:
    labels = {"endLoc_city": "目的城市", "endLoc_poi": "目的地点", "datetime_date": "日期",
              "intent:ROUTE": "查询路线", "domain:map": "地图", "domain:bus": "汽车票"}
    return _spec(slots.read_smp2019, {"s": (name,)}, labels, language="zh",
                 facets={"slot": ("endLoc_city", "endLoc_poi", "datetime_date"),
                         "intent": ("intent:ROUTE",), "domain": ("domain:map", "domain:bus")})


def test_smp2019_values_are_located_nested_and_inside_numbers(tmp_path: Path) -> None:
    records = [{"text": "12月18号导航到佛山大良汽车站", "domain": "map", "intent": "ROUTE",
                "slots": {"endLoc_city": "佛山", "endLoc_poi": "佛山大良汽车站",
                          "datetime_date": "2月18号"}}]
    name = _write(tmp_path, "train.json", json.dumps(records, ensure_ascii=False))
    extract, domain, intent = _read(_smp_spec(name), tmp_path)
    assert _spans(extract) == [("日期", "2月18号", 1, 6), ("目的城市", "佛山", 9, 11),
                               ("目的地点", "佛山大良汽车站", 9, 16)]
    assert domain.gold == ["地图"] and domain.labels == ["地图", "汽车票"]
    assert intent.gold == ["查询路线"] and intent.meta["task"] == "intent"
    records[0]["slots"]["endLoc_city"] = "广州"
    _write(tmp_path, "train.json", json.dumps(records, ensure_ascii=False))
    with pytest.raises(DataFormatError, match=r"train\.json: record 0: slot 'endLoc_city' value "
                                              "'广州' is not in the text"):
        _read(_smp_spec(name), tmp_path)


def test_find_value_does_not_cut_numbers() -> None:
    from seqgpt.data.spans import find_value
    assert find_value("评分4.5分，另一家5分", "5分", []) == 10
    assert find_value("电话010-1，门票0元", "0", []) == 10
    assert find_value("abcabc", "abc", [(0, 3)]) == 3
    assert find_value("abc", "abd", []) is None


def _sgd_files(root: Path, slot: str = "city_of_event") -> tuple[str, str]:
    schema = [{"service_name": "Events_1", "slots": [
        {"name": "city_of_event", "description": "City where event is happening",
         "is_categorical": False},
        {"name": "number_of_seats", "description": "Seats", "is_categorical": True}],
        "intents": [{"name": "BuyEventTickets"}, {"name": "FindEvents"}]}]
    turns = [{"speaker": "USER", "utterance": "Find events in Stanford.", "frames": [
        {"service": "Events_1", "slots": [{"slot": slot, "start": 15, "exclusive_end": 23}],
         "actions": [{"act": "INFORM_INTENT", "values": ["FindEvents"]}],
         "state": {"active_intent": "FindEvents"}}]},
        {"speaker": "SYSTEM", "utterance": "What date?", "frames": [
            {"service": "Events_1", "slots": [], "actions": []}]},
        {"speaker": "USER", "utterance": "Tomorrow, 3 seats.", "frames": [
            {"service": "Events_1", "slots": [], "actions": [{"act": "INFORM"}],
             "state": {"active_intent": "FindEvents"}}]}]
    return (_write(root, "sgd/schema.json", json.dumps(schema)),
            _write(root, "sgd/dialogues_001.json",
                   json.dumps([{"dialogue_id": "1_00000", "turns": turns}])))


def _sgd_spec(files: tuple[str, str]) -> DatasetSpec:
    labels = {"city_of_event": "event city", "intent:FindEvents": "find events",
              "intent:BuyEventTickets": "buy event tickets", "intent:AddAlarm": "add alarm"}
    return _spec(dialogue.read_sgd, {"s": files}, labels,
                 facets={"slot": ("city_of_event",),
                         "intent": ("intent:FindEvents", "intent:BuyEventTickets",
                                    "intent:AddAlarm")})


def test_sgd_frames_give_slot_spans_and_informed_intents(tmp_path: Path) -> None:
    instances = _read(_sgd_spec(_sgd_files(tmp_path)), tmp_path)
    assert [i.meta["task"] for i in instances] == ["slots", "intent", "slots", "slots"]
    first, intent, system, third = instances
    assert _spans(first) == [("event city", "Stanford", 15, 23)]
    assert first.labels == ["event city"]  # the categorical number_of_seats is not offered
    assert first.meta["slot_descriptions"] == {"event city": "City where event is happening"}
    assert intent.gold == ["find events"]
    assert intent.labels == ["find events", "buy event tickets"]  # intents of this schema
    assert system.meta["speaker"] == "SYSTEM" and third.spans == []


def test_sgd_unknown_slot_is_an_error(tmp_path: Path) -> None:
    spec = _sgd_spec(_sgd_files(tmp_path, slot="number_of_seats"))
    with pytest.raises(DataFormatError, match=r"dialogues_001\.json: dialogue 1_00000 turn 0: "
                                              "slot 'number_of_seats' is not a non-categorical"):
        _read(spec, tmp_path)


def _crosswoz_spec(root: Path, messages: list[dict[str, object]]) -> DatasetSpec:
    with zipfile.ZipFile(root / "val.json.zip", "w") as archive:
        archive.writestr("val.json", json.dumps({"1": {"messages": messages}},
                                                ensure_ascii=False))
    labels = {"景点+评分": "评分", "景点+名称": "景点名称", "酒店+名称": "酒店名称",
              "act:greet": "问候", "act:Inform": "告知需求", "act:Request": "询问信息"}
    return _spec(dialogue.read_crosswoz, {"s": ("val.json.zip",)}, labels, language="zh",
                 facets={"slot": ("景点+评分", "景点+名称", "酒店+名称"),
                         "act": ("act:greet", "act:Inform", "act:Request")})


def test_crosswoz_values_are_string_matched(tmp_path: Path) -> None:
    messages = [
        {"role": "usr", "content": "你好，找个评分4.5分以上的景点，电话多少？", "dialog_act": [
            ["General", "greet", "none", "none"], ["Inform", "景点", "评分", "5分"],
            ["Inform", "景点", "评分", "4.5分以上"], ["Request", "景点", "电话", ""]]},
        {"role": "sys", "content": "推荐故宫，它家有叫醒服务。", "dialog_act": [
            ["Inform", "景点", "名称", "故宫"], ["Inform", "酒店", "酒店设施-叫醒服务", "是"],
            ["Inform", "酒店", "名称", "北京饭店"]]}]
    spec = _crosswoz_spec(tmp_path, messages)
    first, acts, second = _read(spec, tmp_path)
    assert _spans(first) == [("评分", "4.5分以上", 7, 13)]  # "5分" must not match inside "4.5分"
    assert first.meta["unmatched_values"] == [["评分", "5分"]]
    assert acts.gold == ["问候", "告知需求", "询问信息"] and acts.multi_label
    assert _spans(second) == [("景点名称", "故宫", 2, 4)]
    assert second.meta["unmatched_values"] == [["酒店名称", "北京饭店"]]
    messages[1]["dialog_act"] = [["Inform", "餐馆", "名称", "故宫"]]
    spec = _crosswoz_spec(tmp_path, messages)
    with pytest.raises(DataFormatError, match=r"val\.json\.zip: unknown slot '餐馆\+名称'"):
        _read(spec, tmp_path)


def _fewfc_spec(name: str) -> DatasetSpec:
    labels = {"质押": "质押", "质押:sub-org": "质押方机构", "质押:number": "质押股数",
              "质押:date": "时间"}
    return _spec(events.read_fewfc, {"train_base": (name,)}, labels, language="zh",
                 facets={"train_base": ("质押",)})


def test_fewfc_trigger_and_argument_instances(tmp_path: Path) -> None:
    record = {"id": "x", "content": "兴发集团将2000万股进行质押。", "events": [{"type": "质押",
              "mentions": [{"word": "质押", "span": [13, 15], "role": "trigger"},
                           {"word": "兴发集团", "span": [0, 4], "role": "sub-org"},
                           {"word": "2000万", "span": [5, 10], "role": "number"}]}]}
    name = _write(tmp_path, "f.json", json.dumps(record, ensure_ascii=False) + "\n")
    trigger, arguments = _read(_fewfc_spec(name), tmp_path, "train_base")
    assert trigger.labels == ["质押"] and _spans(trigger) == [("质押", "质押", 13, 15)]
    assert arguments.text == "兴发集团将2000万股进行质押。\n质押: 质押"
    assert arguments.labels == ["质押方机构", "质押股数", "时间"]
    assert _spans(arguments) == [("质押方机构", "兴发集团", 0, 4), ("质押股数", "2000万", 5, 10)]
    assert arguments.meta["trigger"] == [13, 15] and arguments.meta["task"] == "arguments"
    record["events"][0]["mentions"][0]["role"] = "obj-per"
    _write(tmp_path, "f.json", json.dumps(record, ensure_ascii=False) + "\n")
    with pytest.raises(DataFormatError, match=r"f\.json:1: unknown role 'obj-per' of event type "
                                              "'质押'"):
        _read(_fewfc_spec(name), tmp_path, "train_base")


def _phee_spec(name: str) -> DatasetSpec:
    roles = {"Treatment": "treatment", "Treatment.Drug": "drug", "Effect": "effect"}
    labels = {"Adverse_event": "adverse event",
              **{f"Adverse_event:{role}": words for role, words in roles.items()}}
    return _spec(events.read_phee, {"s": (name,)}, labels, facets={"type": ("Adverse_event",)})


def test_phee_nested_arguments_fragments_and_attributes(tmp_path: Path) -> None:
    text = "Serotonin syndrome caused by paroxetine and fentanyl."
    event = {"event_id": "E1", "event_type": "Adverse_event",
             "Trigger": {"text": [["caused"]], "start": [[19]]},
             "Treatment": {"text": [["paroxetine", "fentanyl"]], "start": [[29, 44]],
                           "Drug": {"text": [["paroxetine"], ["fentanyl"]],
                                    "start": [[29], [44]]},
                           "Combination": [{"event_type": "Combination"}]},
             "Effect": {"text": [["Serotonin syndrome"]], "start": [[0]]},
             "Severity": {"text": [["syndrome"]], "start": [[10]], "value": "High"}}
    record = {"id": "1", "context": text, "annotations": [{"events": [event]}]}
    name = _write(tmp_path, "p.json", json.dumps(record) + "\n")
    trigger, arguments = _read(_phee_spec(name), tmp_path)
    assert _spans(trigger) == [("adverse event", "caused", 19, 25)]
    assert arguments.text == text + "\nadverse event: caused"
    assert _spans(arguments) == [
        ("effect", "Serotonin syndrome", 0, 18), ("drug", "paroxetine", 29, 39),
        ("treatment", "paroxetine", 29, 39), ("drug", "fentanyl", 44, 52),
        ("treatment", "fentanyl", 44, 52)]
    assert arguments.meta["severity"] == "High"
    event["Cause"] = {"text": [["x"]], "start": [[0]]}
    _write(tmp_path, "p.json", json.dumps(record) + "\n")
    with pytest.raises(DataFormatError, match=r"p\.json:1: unexpected event fields \['Cause'\]"):
        _read(_phee_spec(name), tmp_path)


def test_make_span_trims_and_rejects() -> None:
    from seqgpt.data.spans import make_span
    assert make_span(" a b ", "x", 0, 4, Path("f"), 3) == Span("x", "a b", 1, 4)
    with pytest.raises(DataFormatError, match=r"f:3: span \[1, 2\) of 'x' is blank"):
        make_span("a b", "x", 1, 2, Path("f"), 3)


def test_every_dataset_labels_are_named_for_users() -> None:
    """No raw tag shape leaks into the label words (B-/I- prefixes, underscores, id numbers)."""
    for spec in catalog_extract.SPECS:
        for tag, words in spec.label_names.items():
            assert words == words.strip() and "_" not in words and words[:2] not in ("B-", "I-")
            assert not any(ch.isdigit() for ch in words), (spec.name, tag, words)
