"""The open-type datasets (UFET, Pile-NER, SLURP, DuIE more), Few-NERD's shared splits, the
type-vocabulary negatives, label descriptions, and the relation readers' module split.

Each reader on the real shared files (skipped where the data folder is absent) and on a tiny
literal file."""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from shared_data import ROOT, needs_data

from seqgpt.data import (
    brat,
    descriptions,
    duie,
    fewrel,
    finre,
    joint_json,
    mixture,
    pilener,
    readkit,
    registry,
    relations,
    semeval,
    slots,
    ufet,
)
from seqgpt.data import catalog_classify as cat
from seqgpt.data.instance import AtomicInstance, DataFormatError
from seqgpt.data.registry import DatasetSpec, Reader
from seqgpt.data.spans import occurrences
from seqgpt.types import Span


def _read(name: str, split: str) -> list[AtomicInstance]:
    assert ROOT is not None
    instances = list(registry.read(name, split, ROOT))
    for inst in instances:
        inst.check()
    return instances


def _spec(reader: Reader, files: dict[str, tuple[str, ...]], labels: dict[str, str] | None = None,
          kind: str = "ner", language: str = "en", name: str = "tiny",
          **options: object) -> DatasetSpec:
    return DatasetSpec(name, language, kind, files, reader, labels or {}, options)


def _write(root: Path, name: str, content: str) -> str:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    return name


def _lines(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def _tiny(spec: DatasetSpec, root: Path, split: str = "s") -> list[AtomicInstance]:
    instances = list(spec.reader(spec, root, split))
    for inst in instances:
        inst.check()
    return instances


# --- UFET -----------------------------------------------------------------------------------

@needs_data
def test_ufet_real_mentions_types_and_partial_flag() -> None:
    train = _read("ufet_crowd", "train")
    first = train[0]
    assert first.text == ("The British Information Commissioner 's Office invites Web users to "
                          "locate its address using Google Maps .")
    assert first.labels == ["person", "citizen", "user"]
    assert {s.text for s in first.spans} == {"Web users"}
    assert first.meta["partial"] is True and first.meta["id"] == "APW_ENG_20101103.0611:12:2"
    every = train + _read("ufet_crowd", "train_dev") + _read("ufet_crowd", "test")
    assert sum(len(i.spans) for i in every) == 32407            # MANIFEST's mention-type pairs
    labels = {label for i in every for label in i.labels}
    assert len(labels) == 2512 and not any("_" in label for label in labels)
    assert "football player" in labels
    for inst in every:
        assert inst.meta["partial"] and {s.label for s in inst.spans} == set(inst.labels)
        assert len({(s.start, s.end) for s in inst.spans}) == 1     # one mention per sentence


@needs_data
def test_ufet_train_and_dev_are_training_data_test_is_evaluation() -> None:
    spec = registry.get("ufet_crowd")
    assert mixture.training_splits(spec) == ["train", "train_dev"]
    assert mixture.evaluation_split(spec) == "test"


def _ufet_spec(root: Path, records: list[dict[str, Any]]) -> DatasetSpec:
    _write(root, "types.txt", "person\nfootball_player\nathlete\nwoman\nman\nlake\n")
    f = _write(root, "train.json", _lines(records))
    return _spec(ufet.read_ufet, {"s": (f,)}, vocabulary="types.txt")


def _ufet_record(left: list[str], mention: str, right: list[str],
                 types: list[str]) -> dict[str, Any]:
    return {"annot_id": "a", "left_context_token": left, "mention_span": mention,
            "right_context_token": right, "y_str": types}


def test_ufet_offsets_types_and_untyped_mentions(tmp_path: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    spec = _ufet_spec(tmp_path, [
        _ufet_record(["Yesterday", ","], "Lionel Messi", ["scored", "."],
                     ["person", "football_player", "person"]),
        _ufet_record([], "She", ["won", "."], ["woman"]),
        _ufet_record(["It"], "rained", [], [])])
    with caplog.at_level(logging.INFO, logger="seqgpt.data"):
        messi, she = _tiny(spec, tmp_path)
    assert messi.text == "Yesterday , Lionel Messi scored ."
    assert messi.labels == ["person", "football player"]
    assert messi.spans == [Span("football player", "Lionel Messi", 12, 24),
                           Span("person", "Lionel Messi", 12, 24)]
    assert messi.meta["partial"] is True
    assert she.text == "She won ." and she.spans == [Span("woman", "She", 0, 3)]
    assert "skipped 1 record(s)" in caplog.text and "mentions without types" in caplog.text


def test_ufet_type_outside_the_vocabulary_is_an_error(tmp_path: Path) -> None:
    spec = _ufet_spec(tmp_path, [_ufet_record([], "He", [], ["wizard"])])
    with pytest.raises(DataFormatError, match=r"train\.json:1: type 'wizard' is not in the "
                                              "vocabulary"):
        _tiny(spec, tmp_path)
    spec = _ufet_spec(tmp_path, [_ufet_record([], " He", [], ["man"])])
    with pytest.raises(DataFormatError, match="mention_span"):
        _tiny(spec, tmp_path)


# --- type-vocabulary negatives in the mixture -----------------------------------------------

def _toy_ner(spec: DatasetSpec, root: Path, split: str):  # noqa: ANN202 - a reader
    label = str(spec.options["label"])
    for i in range(50):
        yield AtomicInstance(text=f"Rome {i}", task="extract", labels=[label],
                             dataset=spec.name, split=split, language="en",
                             spans=[Span(label, "Rome", 0, 4)])


def test_vocabulary_negatives_are_unrelated_types_and_stay_in_their_dataset(
        tmp_path: Path) -> None:
    vocabulary = ["person", "athlete", "football_player", "woman", "man", "lake", "river_bank",
                  "city_state", "painter", "legal_document"]
    _write(tmp_path, "types.txt", "\n".join(vocabulary) + "\n")
    records = [_ufet_record(["Yesterday"], f"Player{i}", ["scored"], ["person", "athlete"])
               for i in range(40)]
    _write(tmp_path, "train.json", _lines(records))
    typed = _spec(ufet.read_ufet, {"train": ("train.json",)}, name="toy_ufet",
                  vocabulary="types.txt")
    cities = _spec(_toy_ner, {"train": ("x",)}, name="toy_cities", label="capital")
    rivers = _spec(_toy_ner, {"train": ("x",)}, name="toy_rivers", label="stream")
    built = mixture.build([typed, cities, rivers], "finetune", root=tmp_path)
    words = {v.replace("_", " ") for v in vocabulary}
    drawn: Counter[str] = Counter()
    for inst in built.instances:
        negatives = inst.meta["negatives"]
        if inst.dataset == "toy_ufet":
            assert 1 <= len(negatives) <= 3 and set(negatives) <= words
            drawn.update(negatives)
        else:
            # the global pool still works, and UFET's per-mention types never feed it
            assert negatives == [{"toy_cities": "stream", "toy_rivers": "capital"}[inst.dataset]]
    assert set(drawn) <= words - {"person", "athlete"} and len(drawn) >= 4
    assert "football player" in drawn       # unrelated by words: a type the mention lacks


@needs_data
def test_real_ufet_mixture_draws_negatives_from_types_txt() -> None:
    assert ROOT is not None
    spec = registry.get("ufet_crowd")
    built = mixture.build([spec], "pretrain", seed=1)
    vocabulary = set(readkit.vocabulary(spec, ROOT).values())
    assert len(vocabulary) == 10331
    assert len(built.instances) == mixture.STAGES["pretrain"].per_dataset
    for inst in built.instances:
        inst.check()
        own = [label for label in inst.labels if label not in inst.meta["negatives"]]
        assert inst.meta["partial"] and set(inst.meta["negatives"]) <= vocabulary
        assert not any(mixture.related(n, o) for n in inst.meta["negatives"] for o in own)


# --- Pile-NER -------------------------------------------------------------------------------

@needs_data
def test_pilener_real_passages_labels_and_negatives() -> None:
    passages = _read("pilener_subset", "all")
    assert len(passages) == 878
    assert sum(len(p.meta["pairs"]) for p in passages) == 1312
    assert len({label for p in passages for label in p.labels}) == 384
    answered = sum(len({s.label for s in p.spans}) for p in passages)
    empty = sum(len(p.labels) - len({s.label for s in p.spans}) for p in passages)
    assert (answered, empty) == (713, 599)                      # MANIFEST's pairs
    assert len({p.meta["id"] for p in passages}) == 878
    assert not any(p.meta.get("partial") for p in passages)
    court = next(p for p in passages if p.meta["pairs"][0] == "42805:1")
    assert "court" in court.labels and court.text.startswith("196 Pa. Superior Ct. 138")
    held = [p for p in passages if mixture.held_out(p)]
    assert 50 <= len(held) <= 130                               # about 10 % of 878
    spec = registry.get("pilener_subset")
    assert mixture.single_split(spec) and mixture.training_splits(spec) == ["all"]


@needs_data
def test_pilener_definitions_are_one_sentence_each() -> None:
    described = descriptions.label_descriptions("pilener_subset")
    labels = {label for p in _read("pilener_subset", "all") for label in p.labels}
    assert len(described) == 423 and labels <= set(described)
    for label, (sentence, *more) in described.items():
        assert not more and sentence and "Guidelines" not in sentence, label
    # one definition in the source has no full stop: all of it is the sentence
    assert [label for label, (sentence,) in described.items() if not sentence.endswith(".")] \
        == ["pronoun"]
    assert described["person"] == ["'person' signifies individuals, including real or "
                                   "fictional people, and refers to specific human beings."]
    # cut off in the source after the definition (invalid JSON): still read
    assert described["event"][0].startswith("'event' refers to occurrences or happenings")


def _pair(pair: str, tag: str, passage: str, answers: list[str] | str) -> dict[str, Any]:
    output = answers if isinstance(answers, str) else json.dumps(answers)
    return {"doc_question_pairID": pair, "tagName": tag, "input": passage,
            "instruction": "Extract ...", "output": output}


def test_pilener_groups_pairs_by_passage_whole_words_only(tmp_path: Path,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    text = "The US sold USB sticks to the US Army. MUST read."
    f = _write(tmp_path, "pairs.jsonl", _lines([
        _pair("7:0", "country", text, ["US", "US"]),
        _pair("8:0", "animal", "A cat sat.", []),
        _pair("7:1", "device", text, [" USB sticks ", "floppy"]),
        _pair("7:2", "animal", text, "[]")]))
    spec = _spec(pilener.read_pilener, {"s": (f,)})
    with caplog.at_level(logging.INFO, logger="seqgpt.data"):
        first, cat_ = _tiny(spec, tmp_path)
    assert first.labels == ["country", "device", "animal"]      # every tagName asked of it
    assert first.spans == [Span("country", "US", 4, 6), Span("device", "USB sticks", 12, 22),
                           Span("country", "US", 30, 32)]       # not in "USB" nor "MUST"
    assert first.meta == {"id": "7", "source": f"{f}:1", "pairs": ["7:0", "7:1", "7:2"]}
    assert cat_.labels == ["animal"] and cat_.spans == []       # a genuine negative
    assert "skipped 1 record(s)" in caplog.text and "answer strings not in the passage" in \
        caplog.text


def test_pilener_malformed_pairs(tmp_path: Path) -> None:
    for n, (record, problem) in enumerate([
            (_pair("1:0", "a, b", "x", []), "tagName"),
            (_pair("1:0", "court", "x", "['x']"), "output is not a JSON list"),
            (_pair("1:0", "court", "x", "[1]"), "JSON list of strings")]):
        f = _write(tmp_path, f"bad{n}.jsonl", _lines([record]))
        with pytest.raises(DataFormatError, match=rf"bad{n}\.jsonl:1: .*{problem}"):
            _tiny(_spec(pilener.read_pilener, {"s": (f,)}), tmp_path)


def test_first_sentence() -> None:
    assert pilener.first_sentence("'x' means a (e.g., Mexican from Mexico) y. It is z.") == \
        "'x' means a (e.g., Mexican from Mexico) y."
    assert pilener.first_sentence("Tools, i.e. things, etc. used.\n  Avoid") == \
        "Tools, i.e. things, etc. used."
    assert pilener.first_sentence("no end") == "no end"


def test_occurrences_whole_words() -> None:
    assert occurrences("US USB MUST US.", "US", whole_words=True) == [0, 12]
    assert occurrences("US USB MUST US.", "US") == [0, 3, 8, 12]
    assert occurrences("a U.S.-based firm", "U.S.", whole_words=True) == [2]
    # Chinese has no spaces between words: whole_words is for alphabetic scripts
    assert occurrences("腾讯公司和腾讯", "腾讯", whole_words=True) == []
    assert occurrences("aaaa", "aa") == [0, 2] and occurrences("x", "") == []


# --- SLURP ----------------------------------------------------------------------------------

@needs_data
def test_slurp_real_slots_and_readable_intents() -> None:
    dev = _read("slurp", "dev")
    test = _read("slurp", "test")
    first_slots, first_intent = dev[0], dev[1]
    assert first_slots.text == "siri what is one american dollar in japanese yen"
    assert first_slots.spans == [Span("currency", "american dollar", 17, 32),
                                 Span("currency", "japanese yen", 36, 48)]
    assert first_intent.gold == ["currency question"]
    extract = [i for i in dev + test if i.task == "extract"]
    intents = [i for i in dev + test if i.task == "classify"]
    assert sum(len(i.spans) for i in extract) == 4840            # MANIFEST's slot mentions
    assert len({label for i in extract for label in i.labels}) == 55
    assert len({label for i in intents for label in i.labels}) == 60
    assert not any("_" in label for i in dev for label in i.labels)
    assert len(intents) == len(extract) - 1                     # one contradictory intent
    spec = registry.get("slurp")
    assert mixture.training_splits(spec) == ["dev"] and mixture.evaluation_split(spec) == "test"


def _slurp(sentence: str, tokens: list[str], entities: list[dict[str, Any]],
           intent: str = "calendar_set", scenario: str = "calendar",
           action: str = "set") -> dict[str, Any]:
    return {"slurp_id": 1, "sentence": sentence, "intent": intent, "scenario": scenario,
            "action": action, "tokens": [{"surface": t, "id": i} for i, t in enumerate(tokens)],
            "entities": entities, "recordings": []}


def _slurp_spec(f: str) -> DatasetSpec:
    table = {"date": "date", "place_name": "place name", "intent:calendar_set": "add event",
             "intent:weather_query": "query weather"}
    return _spec(slots.read_slurp, {"s": (f,)}, table, kind="slot",
                 facets={"slot": ("date", "place_name"),
                         "intent": ("intent:calendar_set", "intent:weather_query")})


def test_slurp_tokens_found_in_the_sentence_or_text_rebuilt(tmp_path: Path) -> None:
    f = _write(tmp_path, "devel.jsonl", _lines([
        _slurp("remind me of jean's party on friday", ["remind", "me", "of", "jean", "'s",
                                                       "party", "on", "Friday"],
               [{"type": "date", "span": [7]}]),
        _slurp("weather in hollywood", ["weather", "in", "hwood"],
               [{"type": "place_name", "span": [2]}], "query", "weather", "query"),
        _slurp("hi", ["hi"], [], "email_sendemail", "weather", "query")]))
    party, party_intent, weather, weather_intent, hi = _tiny(_slurp_spec(f), tmp_path)
    assert party.text == "remind me of jean's party on friday"  # the sentence's own casing
    assert party.spans == [Span("date", "friday", 29, 35)]
    assert party_intent.gold == ["add event"] and party_intent.labels == ["add event",
                                                                          "query weather"]
    assert weather.text == "weather in hwood"                  # the tokens carry the entity
    assert weather.spans == [Span("place name", "hwood", 11, 16)]
    assert weather_intent.gold == ["query weather"]             # intent field held the action
    assert hi.task == "extract"                                 # contradictory intent: none


def test_slurp_bad_entity_span(tmp_path: Path) -> None:
    f = _write(tmp_path, "bad.jsonl", _lines([_slurp("a b c", ["a", "b", "c"],
                                                     [{"type": "date", "span": [0, 2]}])]))
    with pytest.raises(DataFormatError, match=r"bad\.jsonl:1: entity span \[0, 2\]"):
        _tiny(_slurp_spec(f), tmp_path)


# --- DuIE: partial entity annotation --------------------------------------------------------

@needs_data
def test_duie_more_entities_are_partial() -> None:
    for split in ("train", "dev"):
        instances = _read("duie2_more", split)
        extract = [i for i in instances if i.task == "extract"]
        assert extract and all(i.meta["partial"] is True for i in extract)
        assert not any("partial" in i.meta for i in instances if i.task == "classify")
    spec = registry.get("duie2_more")
    assert mixture.training_splits(spec) == ["train"] and mixture.evaluation_split(spec) == "dev"


def test_duie_partial_entities_option(tmp_path: Path) -> None:
    record = {"text": "《英雄》由张艺谋执导", "spo_list": [
        {"predicate": "导演", "subject": "英雄", "subject_type": "影视作品",
         "object": {"@value": "张艺谋"}, "object_type": {"@value": "人物"}}]}
    f = _write(tmp_path, "d.json", _lines([record]))
    facets = {"entity": tuple(cat.DUIE_TYPES), "relation": tuple(cat.DUIE_PREDICATES)}
    for partial in (False, True):
        spec = _spec(duie.read_duie, {"s": (f,)}, cat.DUIE_TYPES | cat.DUIE_PREDICATES,
                     kind="re", language="zh", facets=facets, partial_entities=partial)
        extract, *pairs = _tiny(spec, tmp_path)
        assert extract.meta.get("partial", False) is partial
        assert extract.spans == [Span("影视作品", "英雄", 1, 3), Span("人物", "张艺谋", 5, 8)]
        assert pairs and not any("partial" in p.meta for p in pairs)


# --- Few-NERD: both files trained on, 10 % of each held out -----------------------------------

@needs_data
def test_fewnerd_both_files_train_with_a_held_out_tenth() -> None:
    spec = registry.get("fewnerd_inter_devtest")
    assert mixture.single_split(spec)
    assert mixture.training_splits(spec) == ["dev", "test"]
    assert mixture.evaluation_split(spec) == "test"
    for split in ("dev", "test"):
        every = _read("fewnerd_inter_devtest", split)
        held = sum(mixture.held_out(i) for i in every)
        assert 0.08 < held / len(every) < 0.12, split
    built = mixture.build([spec], "finetune", seed=0)
    assert {i.split for i in built.instances} == {"dev", "test"}
    assert not any(mixture.held_out(i) for i in built.instances)
    gold = {s.label for i in built.instances for s in i.spans}
    assert {"political party", "athlete", "government agency", "painting"} <= gold
    assert all(i.meta["negatives"] == [] for i in built.instances)   # still label-partial


# --- label descriptions ---------------------------------------------------------------------

@needs_data
def test_sgd_descriptions_by_label_words() -> None:
    described = descriptions.label_descriptions("sgd")
    spec = registry.get("sgd")
    words = set(readkit.LabelSet(spec, "slot").words) | set(readkit.LabelSet(spec, "intent").words)
    assert set(described) <= words and len(described) > 100
    assert "Origin city for journey" in described["departure city"]
    assert len(described["departure city"]) > 1                 # several raw slots, services
    assert described["check balance"][0] == "Check the amount of money in a user's bank account"
    assert all(texts and all(t.strip() == t and t for t in texts) for texts in described.values())
    assert descriptions.label_descriptions("conll2003") == {}
    assert descriptions.described() == ["pilener_subset", "sgd"]


# --- the relation readers' modules ----------------------------------------------------------

def test_relations_module_keeps_the_reader_names() -> None:
    assert relations.read_marked_pairs is semeval.read_marked_pairs
    assert relations.read_joint_json is joint_json.read_joint_json
    assert relations.read_fewrel is fewrel.read_fewrel
    assert relations.read_finre is finre.read_finre
    assert relations.read_duie is duie.read_duie
    assert relations.read_brat is brat.read_brat
    assert cat.SPECS and all(spec.reader.__module__ != "seqgpt.data.relations"
                             for spec in cat.SPECS)
