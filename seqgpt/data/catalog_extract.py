"""Catalogue of the shared extraction datasets: NER, slot filling (+ intent), dialogue, events.

Every dataset has one label table: raw tag -> the words a user would type. Extraction labels
(entity types, slots, event types) are keyed by their raw name; the other label sets of a
dataset use namespaced keys so raw names cannot collide: ``intent:<raw>``, ``domain:<raw>``
(SMP2019), ``act:<raw>`` (CrossWOZ) and ``<event type>:<role>`` for event roles.
``options["facets"]`` lists which keys form which label set (see ``readkit.LabelSet``).
Instances carry their dataset's full label set (or facet) in user words; the mixture builder
samples negatives later. A raw tag missing from the table is a ``DataFormatError``, so the
tables are complete for the data.

Splits are the files that exist, named train / dev / test where the files are such a split
(``devel``, ``valid``, ``validation`` and ``val`` files are ``dev``). No official split:
- ``wikigold``, ``pilener_subset``: one split ``all``;
- ``btc``: its sections ``a``, ``b``, ``e``, ``f``, ``g``, ``h`` (Twitter handles, which it
  splits into ``@`` + name and tags as entities, are read as one untagged token: see
  ``conll.merge_handles``);
- ``nlupp/banking``, ``nlupp/hotels``: the 20 folds ``fold0`` .. ``fold19`` (NLU++ is
  evaluated by cross-validation over them);
- ``fewfc``: ``train_base``, ``train_trans`` (train_trans_5_type.json), ``dev_trans``;
- ``sgd``: ``train`` and ``dev`` (the test folder holds only its schema, so there is no test);
- ``ufet_crowd``: ``train``, ``train_dev`` (the crowd dev file, trained on) and ``test``.
Partial annotation: ``fewnerd_inter_devtest`` labels each split with only the types that split
annotates (13 in dev, 17 in test; both files are trained on but for a held-out 10 %, see
``mixture.SHARED_SPLITS``); ``fewfc`` offers each file's own event types; ``ufet_crowd``
types one mention per sentence, so its instances carry ``meta["partial"]``.
Open label sets: ``ufet_crowd`` takes its types from its vocabulary file (``types.txt``),
``pilener_subset`` its labels as written (both have an empty table).
Label descriptions (``options["descriptions"]``, see ``descriptions.label_descriptions``):
``sgd`` (schema slot and intent descriptions), ``pilener_subset`` (definitions.json).

What one record yields, and deliberate omissions (see each reader's docstring):
- NER / column files: one extract instance per sentence;
- ``ufet_crowd``: an extract instance per typed mention (labels: its types; 29 train
  mentions without types are skipped);
- ``pilener_subset``: an extract instance per passage (labels: every tagName asked of it;
  an empty answer keeps its label with no span);
- ``slu_sz128/*``, ``hwu64_nlu_eval``, ``slurp``, ``nlupp/*``: an extract (slots) and a
  classify (intent) instance per utterance (``slu_sz128/ECSA`` has no intents; ATIS and
  NLU++ intents are multi-label; NLU++ utterances without intents give no classify instance;
  one SLURP test record whose intent contradicts its scenario and action gives none);
- ``smp2019_ecdt_nlu``: extract (slots) + classify (domain) + classify (intent);
- ``restaurant8k``, ``dstc8_span/*``, ``cluener2020``: extract only;
- ``sgd``: an extract instance per frame of every user and system turn (labels: the service's
  non-categorical slots) and a classify instance per user turn that informs an intent;
- ``crosswoz``: an extract instance per message (values string-matched; values not found are
  left out and listed in ``meta["unmatched_values"]``) and a multi-label classify instance of
  the user's dialogue acts per user message;
- ``fewfc``, ``phee``: a trigger instance per sentence and an argument instance per event.
"""

from __future__ import annotations

from collections.abc import Mapping

from seqgpt.data import conll, dialogue, events, pilener, slots, spanjson, ufet
from seqgpt.data.registry import DatasetSpec, Reader, add

#: Every dataset this module registers, in registration order.
SPECS: list[DatasetSpec] = []


def _add(name: str, language: str, kind: str, files: Mapping[str, str | tuple[str, ...]],
         reader: Reader, label_names: Mapping[str, str], **options: object) -> None:
    SPECS.append(add(name, language, kind, files, reader, label_names, **options))


def _spaced(*tags: str, **overrides: str) -> dict[str, str]:
    """Raw snake_case tags whose words are the tag with spaces, except the overrides."""
    return {tag: overrides.get(tag, tag.replace("_", " ")) for tag in tags}


def _namespace(space: str, table: Mapping[str, str]) -> dict[str, str]:
    return {f"{space}:{tag}": words for tag, words in table.items()}


def _slots_and_intents(slot_table: Mapping[str, str],
                       intent_table: Mapping[str, str]) -> tuple[dict[str, str], dict]:
    """A label table holding slots and namespaced intents, and the facets that split it."""
    intents = _namespace("intent", intent_table)
    return {**slot_table, **intents}, {"slot": tuple(slot_table), "intent": tuple(intents)}


# --- English NER ----------------------------------------------------------------------------

_PLO = {"PER": "person", "LOC": "location", "ORG": "organization"}
_PLOM = {**_PLO, "MISC": "miscellaneous"}

_add("conll2003", "en", "ner",
     {s: f"conll2003/{s}.txt" for s in ("train", "dev", "test")}, conll.read_conll,
     {"person": "person", "organisation": "organization", "location": "location",
      "misc": "miscellaneous"})
_add("wnut17", "en", "ner",
     {"train": "wnut17/wnut17train.conll", "dev": "wnut17/emerging.dev.conll",
      "test": "wnut17/emerging.test.annotated"}, conll.read_conll,
     {"person": "person", "location": "location", "corporation": "corporation",
      "product": "product", "creative-work": "creative work", "group": "group"})
_add("wikigold", "en", "ner", {"all": "wikigold/wikigold.conll.txt"}, conll.read_conll, _PLOM,
     sep=" ", scheme="iob1")
_add("btc", "en", "ner", {s: f"btc/{s}.conll" for s in "abefgh"}, conll.read_conll, _PLO,
     handles=True)
_add("re3d", "en", "ner",
     {"train": "re3d/re3d-train.conll", "test": "re3d/re3d-test.conll"}, conll.read_conll,
     {"Person": "person", "Organisation": "organization", "Location": "location",
      "Nationality": "nationality", "Temporal": "time", "Money": "money",
      "Quantity": "quantity", "Weapon": "weapon", "MilitaryPlatform": "military platform",
      "DocumentReference": "document reference"})
_add("sec_filings", "en", "ner",
     {"train": "sec_filings/FIN5.txt", "test": "sec_filings/FIN3.txt"}, conll.read_conll, _PLOM,
     sep=" ", columns=4, scheme="iob1")

_ANATOMY = _spaced("Anatomical_system", "Cell", "Cellular_component",
                   "Developing_anatomical_structure", "Immaterial_anatomical_entity",
                   "Multi-tissue_structure", "Organ", "Organism_subdivision",
                   "Organism_substance", "Pathological_formation", "Tissue")
_ANATOMY = {tag: words.lower() for tag, words in _ANATOMY.items()}
_add("anem", "en", "ner", {"train": "anem/AnEM.train", "test": "anem/AnEM.test"},
     conll.read_conll, _ANATOMY, columns=4, offsets=True)
_add("gum", "en", "ner", {"train": "gum/gum-train.conll", "test": "gum/gum-test.conll"},
     conll.read_conll,
     {**_spaced("person", "place", "organization", "time", "event", "object", "quantity",
                "substance", "animal", "plant"), "abstract": "abstract concept"})

_BIOMED = "biomed_ner_mtl2016"
_BIOMED_SETS: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "BC5CDR-IOB": (("train", "devel", "test"), {"Chemical": "chemical", "Disease": "disease"}),
    "NCBI-disease-IOB": (("train", "devel", "test"), {"Disease": "disease"}),
    "BC2GM-IOB": (("devel", "test"), {"GENE": "gene"}),
    "JNLPBA": (("devel", "test"), {"protein": "protein", "DNA": "DNA", "RNA": "RNA",
                                   "cell_line": "cell line", "cell_type": "cell type"}),
    "linnaeus-IOB": (("devel", "test"), {"Species": "species"}),
    "AnatEM-IOB": (("train", "devel", "test"), {"Anatomy": "anatomical entity"}),
    "BioNLP13CG-IOB": (("train", "devel", "test"), {
        **_ANATOMY, "Amino_acid": "amino acid", "Cancer": "cancer",
        "Gene_or_gene_product": "gene or gene product", "Organism": "organism",
        "Simple_chemical": "simple chemical"}),
    "BioNLP13PC-IOB": (("train", "devel", "test"), {
        "Cellular_component": "cellular component", "Complex": "protein complex",
        "Gene_or_gene_product": "gene or gene product", "Simple_chemical": "simple chemical"}),
}
for _name, (_files, _table) in _BIOMED_SETS.items():
    _add(f"{_BIOMED}/{_name}", "en", "ner",
         {("dev" if f == "devel" else f): f"{_BIOMED}/{_name}/{f}.tsv" for f in _files},
         conll.read_conll, _table)

# Few-NERD "-other" types hold what no sibling fine type covers ("other person" next to
# "scholar"), so their words say "other".
_FEWNERD_DEV = {
    "art-painting": "painting", "building-library": "library",
    "building-other": "other building",
    "event-other": "other event", "location-park": "park",
    "organization-religion": "religious organization",
    "organization-showorganization": "performing group", "other-chemicalthing": "chemical",
    "other-currency": "currency", "person-other": "other person", "person-scholar": "scholar",
    "product-game": "game", "product-train": "train",
}
_FEWNERD_TEST = {
    "art-music": "musical work", "art-writtenart": "written work", "building-hospital": "hospital",
    "building-theater": "theater", "event-election": "election",
    "event-sportsevent": "sports event", "location-bodiesofwater": "body of water",
    "location-other": "other location",
    "organization-government/governmentagency": "government agency",
    "organization-politicalparty": "political party",
    "other-educationaldegree": "educational degree", "other-livingthing": "living thing",
    "other-medical": "medical term", "person-actor": "actor", "person-athlete": "athlete",
    "product-car": "car", "product-weapon": "weapon",
}
_add("fewnerd_inter_devtest", "en", "ner",
     {"dev": "fewnerd_inter_devtest/dev.txt", "test": "fewnerd_inter_devtest/test.txt"},
     conll.read_conll, {**_FEWNERD_DEV, **_FEWNERD_TEST}, scheme="io",
     facets={"dev": tuple(_FEWNERD_DEV), "test": tuple(_FEWNERD_TEST)})

# --- open-type entity typing and NER (many label names) -----------------------------------

# UFET's types come from its 10k-type vocabulary file, not a table (readkit.vocabulary). The
# crowd dev file is training data too (the test file stays the evaluation split), hence its
# split name.
_add("ufet_crowd", "en", "ner",
     {"train": "ufet_crowd/train.json", "train_dev": "ufet_crowd/dev.json",
      "test": "ufet_crowd/test.json"}, ufet.read_ufet, {},
     vocabulary="ufet_crowd/types.txt")
# Pile-NER tagNames are already user words; one file, so a hash holds 10 % out (mixture).
_add("pilener_subset", "en", "ner", {"all": "pilener_subset/pairs.jsonl"}, pilener.read_pilener,
     {}, definitions="pilener_subset/definitions.json", descriptions=pilener.definitions)

# --- Chinese NER ----------------------------------------------------------------------------

_PLO_ZH = {"PER": "人名", "LOC": "地名", "ORG": "机构名"}

_add("cluener2020", "zh", "ner",
     {"train": "cluener2020/train.json", "dev": "cluener2020/dev.json"}, spanjson.read_cluener,
     {"address": "地址", "book": "书名", "company": "公司", "game": "游戏",
      "government": "政府机构", "movie": "电影", "name": "人名", "organization": "组织机构",
      "position": "职位", "scene": "景点"})
_add("resume_ner", "zh", "ner",
     {s: f"resume_ner/{s}.char.bmes" for s in ("train", "dev", "test")}, conll.read_conll,
     {"NAME": "人名", "CONT": "国籍", "RACE": "民族", "TITLE": "职称", "EDU": "学历",
      "ORG": "组织机构", "PRO": "专业", "LOC": "地名"}, sep=" ", scheme="bmes")
_add("msra_ner", "zh", "ner", {"test": "msra_ner/test_data"}, conll.read_conll, _PLO_ZH)
_add("peoples_daily_ner", "zh", "ner",
     {"dev": "peoples_daily_ner/example.dev", "test": "peoples_daily_ner/example.test"},
     conll.read_conll, _PLO_ZH, sep=" ")
_add("chinese_literature_ner_re/ner", "zh", "ner",
     {"dev": "chinese_literature_ner_re/ner/validation.txt",
      "test": "chinese_literature_ner_re/ner/test.txt"}, conll.read_conll,
     {"Thing": "事物", "Person": "人物", "Location": "地点", "Time": "时间",
      "Abstract": "抽象概念", "Metric": "数量", "Organization": "组织", "Physical": "物理实体",
      "Term": "术语"}, sep=" ", tag_sep="_")

# --- slot filling + intent ------------------------------------------------------------------

_SZ = "slu_sz128"


def _sz_files(folder: str) -> dict[str, str]:
    return {"train": f"{_SZ}/{folder}/train", "dev": f"{_SZ}/{folder}/valid",
            "test": f"{_SZ}/{folder}/test"}


_SNIPS_SLOTS = _spaced(
    "album", "artist", "best_rating", "city", "condition_description", "condition_temperature",
    "country", "cuisine", "current_location", "entity_name", "facility", "genre",
    "geographic_poi", "location_name", "movie_name", "movie_type", "music_item", "object_name",
    "object_location_type", "object_part_of_series_type", "object_select", "object_type",
    "party_size_description", "party_size_number", "playlist", "playlist_owner", "poi",
    "rating_unit", "rating_value", "restaurant_name", "restaurant_type", "served_dish",
    "service", "sort", "spatial_relation", "state", "timeRange", "track", "year",
    condition_description="weather condition", condition_temperature="temperature condition",
    entity_name="item to add", geographic_poi="landmark", location_name="cinema name",
    object_name="work title", object_location_type="venue type",
    object_part_of_series_type="series part type", object_select="selected item",
    object_type="work type", party_size_description="party members",
    party_size_number="party size", poi="point of interest", served_dish="dish",
    service="music service", sort="sort order", timeRange="time range")
_SNIPS_INTENTS = {
    "AddToPlaylist": "add to playlist", "BookRestaurant": "book restaurant",
    "GetWeather": "get weather", "PlayMusic": "play music", "RateBook": "rate book",
    "SearchCreativeWork": "search creative work", "SearchScreeningEvent": "search movie screening",
}
_table, _facets = _slots_and_intents(_SNIPS_SLOTS, _SNIPS_INTENTS)
_add(f"{_SZ}/snips", "en", "slot", _sz_files("snips"), slots.read_sz128, _table, facets=_facets)


_ATIS_SLOT_TAGS = (  # vocab.slot of the source, without the B-/I- prefixes
    "aircraft_code", "airline_code", "airline_name", "airport_code", "airport_name",
    "arrive_date.date_relative", "arrive_date.day_name", "arrive_date.day_number",
    "arrive_date.month_name", "arrive_date.today_relative", "arrive_time.end_time",
    "arrive_time.period_mod", "arrive_time.period_of_day", "arrive_time.start_time",
    "arrive_time.time", "arrive_time.time_relative", "booking_class", "city_name", "class_type",
    "compartment", "connect", "cost_relative", "day_name", "day_number", "days_code",
    "depart_date.date_relative", "depart_date.day_name", "depart_date.day_number",
    "depart_date.month_name", "depart_date.today_relative", "depart_date.year",
    "depart_time.end_time", "depart_time.period_mod", "depart_time.period_of_day",
    "depart_time.start_time", "depart_time.time", "depart_time.time_relative", "economy",
    "fare_amount", "fare_basis_code", "flight", "flight_days", "flight_mod", "flight_number",
    "flight_stop", "flight_time", "fromloc.airport_code", "fromloc.airport_name",
    "fromloc.city_name", "fromloc.state_code", "fromloc.state_name", "meal", "meal_code",
    "meal_description", "mod", "month_name", "or", "period_of_day", "restriction_code",
    "return_date.date_relative", "return_date.day_name", "return_date.day_number",
    "return_date.month_name", "return_date.today_relative", "return_time.period_mod",
    "return_time.period_of_day", "round_trip", "state_code", "state_name",
    "stoploc.airport_code", "stoploc.airport_name", "stoploc.city_name", "stoploc.state_code",
    "time", "time_relative", "today_relative", "toloc.airport_code", "toloc.airport_name",
    "toloc.city_name", "toloc.country_name", "toloc.state_code", "toloc.state_name",
    "transport_type")


def _atis_words(tag: str) -> str:
    """``fromloc.city_name`` -> "departure city", ``depart_date.day_name`` -> "departure
    weekday", ``cost_relative`` -> "cost relation" ..."""
    bare = {"city_name": "city", "country_name": "country", "connect": "connection",
            "cost_relative": "cost relation",
            "day_name": "weekday", "flight": "flight type", "flight_mod": "flight modifier",
            "mod": "modifier", "month_name": "month", "state_name": "state",
            "time_relative": "time relation", "today_relative": "day relative to today"}
    frame, dot, part = tag.rpartition(".")
    if not dot:
        return bare.get(tag, tag.replace("_", " "))
    places = {"fromloc": "departure", "toloc": "destination", "stoploc": "stopover"}
    if frame in places:
        return f"{places[frame]} {bare.get(part, part.replace('_', ' '))}"
    moment = {"depart": "departure", "arrive": "arrival", "return": "return"}[frame.split("_")[0]]
    pattern = {"date_relative": "relative {} date", "day_name": "{} weekday",
               "day_number": "{} day number", "month_name": "{} month",
               "today_relative": "{} day relative to today", "year": "{} year",
               "time": "{} time", "start_time": "{} time range start",
               "end_time": "{} time range end", "period_of_day": "{} period of day",
               "period_mod": "{} period modifier", "time_relative": "{} time relation"}[part]
    return pattern.format(moment)


_ATIS_INTENTS = {
    "atis_abbreviation": "abbreviation meaning", "atis_aircraft": "aircraft",
    "atis_airfare": "airfare", "atis_airline": "airline", "atis_airport": "airport",
    "atis_capacity": "capacity", "atis_cheapest": "cheapest fare", "atis_city": "city",
    "atis_day_name": "day of week", "atis_distance": "distance", "atis_flight": "flight",
    "atis_flight_no": "flight number", "atis_flight_time": "flight time",
    "atis_ground_fare": "ground transport fare", "atis_ground_service": "ground transport",
    "atis_meal": "meal", "atis_quantity": "quantity", "atis_restriction": "fare restriction",
}
_table, _facets = _slots_and_intents({tag: _atis_words(tag) for tag in _ATIS_SLOT_TAGS},
                                     _ATIS_INTENTS)
_add(f"{_SZ}/atis-2", "en", "slot", _sz_files("atis-2"), slots.read_sz128, _table,
     facets=_facets, multi_intent=True)

_TOD_SLOTS = {
    "alarm__alarm_modifier": "alarm modifier", "datetime": "date and time",
    "demonstrative_reference": "demonstrative reference", "location": "location",
    "negation": "negation", "news__type": "news type", "reminder__noun": "reminder word",
    "reminder__recurring_period": "recurring period", "reminder__reference": "reminder reference",
    "reminder__reminder_modifier": "reminder modifier", "reminder__todo": "reminder task",
    "timer__attributes": "timer attribute", "timer__noun": "timer word",
    "weather__attribute": "weather attribute", "weather__noun": "weather word",
    "weather__temperatureUnit": "temperature unit",
}
_TOD_INTENTS = {
    "alarm__cancel_alarm": "cancel alarm", "alarm__modify_alarm": "modify alarm",
    "alarm__set_alarm": "set alarm", "alarm__show_alarms": "show alarms",
    "alarm__snooze_alarm": "snooze alarm", "alarm__time_left_on_alarm": "time left on alarm",
    "reminder__cancel_reminder": "cancel reminder", "reminder__set_reminder": "set reminder",
    "reminder__show_reminders": "show reminders", "weather__checkSunrise": "check sunrise",
    "weather__checkSunset": "check sunset", "weather__find": "find weather",
}
_table, _facets = _slots_and_intents(_TOD_SLOTS, _TOD_INTENTS)
_add(f"{_SZ}/multilingual_task_oriented_data_en", "en", "slot",
     _sz_files("multilingual_task_oriented_data_en"), slots.read_sz128, _table, facets=_facets)

_ECSA_PROPERTIES = (
    "10142888_组合形式", "122216347_上市年份季节", "122216588_服装款式细节", "148886213_廓形",
    "1627207_颜色分类", "18551851_裙型", "196000000_是否正品", "196000001_是否新品",
    "196000002_季节", "196000003_性别", "196000005_价格档", "196000006_年龄", "196000009_服务词",
    "20000_品牌", "20021_材质", "20086_款式", "2046925_裙长", "20509_尺码", "20551_面料",
    "20603_图案", "20608_风格", "20661_袖长", "20663_领型", "20677_腰型", "2917380_袖型",
    "31611_衣门襟")
# A numeric property id precedes each Chinese property name; PK marks a property name itself.
_ECSA = {"PINLEI": "品类", "PK": "属性名",
         **{tag: tag.split("_", 1)[1] for tag in _ECSA_PROPERTIES}}
_add(f"{_SZ}/ECSA", "zh", "slot", _sz_files("ECSA"), slots.read_sz128, _ECSA,
     facets={"slot": tuple(_ECSA)})

_add("restaurant8k", "en", "slot",
     {"train": "restaurant8k/train_0.json", "test": "restaurant8k/test.json"},
     spanjson.read_polyai, {"date": "date", "time": "time", "people": "number of people",
                            "first_name": "first name", "last_name": "last name"})
_DSTC8 = {
    "Buses_1": {"from_location": "departure city", "to_location": "destination city",
                "leaving_date": "departure date"},
    "Events_1": {"city_of_event": "event city", "date": "date", "subcategory": "event subcategory",
                 "event_name": "event name"},
    "Homes_1": {"area": "area", "visit_date": "visit date"},
    "RentalCars_1": {"pickup_city": "pickup city", "pickup_date": "pickup date",
                     "pickup_time": "pickup time", "dropoff_date": "drop-off date"},
}
for _name, _table in _DSTC8.items():
    _add(f"dstc8_span/{_name}", "en", "slot",
         {s: f"dstc8_span/{_name}/{f}.json" for s, f in (("train", "train_0"), ("test", "test"))},
         spanjson.read_polyai, _table)

_NLUPP_GENERAL_INTENTS = _spaced(
    "affirm", "deny", "dont_know", "acknowledge", "greet", "end_call", "handoff", "thank",
    "repeat", "cancel_close_leave_freeze", "change", "make_open_apply_setup_get_activate",
    "request_info", "how", "why", "when", "how_much", "how_long", "wrong_notworking_notshowing",
    "lost_stolen", "more_higher_after", "less_lower_before", "new", "existing", "limits",
    "refund",
    dont_know="don't know", handoff="hand off to a human",
    cancel_close_leave_freeze="cancel/close/leave/freeze",
    make_open_apply_setup_get_activate="make/open/apply/set up/activate",
    request_info="request information", wrong_notworking_notshowing="wrong/not working/not showing",
    lost_stolen="lost or stolen", more_higher_after="more/higher/after",
    less_lower_before="less/lower/before")
_NLUPP_GENERAL_SLOTS = _spaced(
    "date", "date_period", "date_from", "date_to", "time", "time_from", "time_to", "time_period",
    "person_name", "number",
    date_from="start date", date_to="end date", time_from="start time", time_to="end time")
_NLUPP = {
    "banking": (_spaced(
        "savings", "current", "business", "credit", "debit", "contactless", "international",
        "account", "transfer_payment_deposit", "appointment", "arrival", "balance", "card",
        "cheque", "direct_debit", "standing_order", "fees_interests", "loan", "mortgage",
        "overdraft", "withdrawal", "pin",
        savings="savings account", current="current account", business="business account",
        transfer_payment_deposit="transfer/payment/deposit", fees_interests="fees or interest",
        pin="PIN"),
        _spaced("amount_of_money", "company_name", "shopping_category")),
    "hotels": (_spaced(
        "check_in", "check_out", "restaurant", "swimming_pool", "parking", "pets",
        "accesibility", "booking", "wifi", "gym", "spa", "room_ammenities", "housekeeping",
        "room_service",
        check_in="check-in", check_out="check-out", accesibility="accessibility",
        room_ammenities="room amenities"),
        {"kids": "number of kids", "adults": "number of adults", "people": "number of people",
         "rooms": "number of rooms"}),
}
for _name, (_intents, _slots) in _NLUPP.items():
    _table, _facets = _slots_and_intents({**_NLUPP_GENERAL_SLOTS, **_slots},
                                         {**_NLUPP_GENERAL_INTENTS, **_intents})
    _add(f"nlupp/{_name}", "en", "slot",
         {f"fold{i}": f"nlupp/{_name}/fold{i}.json" for i in range(20)}, spanjson.read_nlupp,
         _table, facets=_facets)

_HWU_INTENTS = {
    "alarm_query": "query alarms", "alarm_remove": "remove alarm", "alarm_set": "set alarm",
    "audio_volume_down": "volume down", "audio_volume_mute": "mute", "audio_volume_up": "volume up",
    "calendar_query": "query calendar", "calendar_remove": "remove calendar event",
    "calendar_set": "add calendar event", "cooking_recipe": "cooking recipe",
    "datetime_convert": "convert time or date", "datetime_query": "query date or time",
    "email_addcontact": "add email contact", "email_query": "query emails",
    "email_querycontact": "query contact", "email_sendemail": "send email",
    "general_affirm": "affirm", "general_commandstop": "stop", "general_confirm": "confirm",
    "general_dontcare": "don't care", "general_explain": "ask for explanation",
    "general_joke": "tell a joke", "general_negate": "negate", "general_praise": "praise",
    "general_quirky": "chit-chat", "general_repeat": "repeat",
    "iot_cleaning": "start cleaning", "iot_coffee": "make coffee",
    "iot_hue_lightchange": "change light color", "iot_hue_lightdim": "dim lights",
    "iot_hue_lightoff": "lights off", "iot_hue_lighton": "lights on",
    "iot_hue_lightup": "brighten lights", "iot_wemo_off": "smart plug off",
    "iot_wemo_on": "smart plug on", "lists_createoradd": "create or add to list",
    "lists_query": "query list", "lists_remove": "remove from list",
    "music_likeness": "music preference", "music_query": "query music",
    "music_settings": "music settings", "news_query": "query news",
    "play_audiobook": "play audiobook", "play_game": "play game", "play_music": "play music",
    "play_podcasts": "play podcast", "play_radio": "play radio", "qa_currency": "currency question",
    "qa_definition": "definition question", "qa_factoid": "factual question",
    "qa_maths": "math question", "qa_stock": "stock question",
    "recommendation_events": "recommend events", "recommendation_locations": "recommend places",
    "recommendation_movies": "recommend movies", "social_post": "social media post",
    "social_query": "social media query", "takeaway_order": "order takeaway",
    "takeaway_query": "query takeaway", "transport_query": "query transport",
    "transport_taxi": "book taxi", "transport_ticket": "book ticket",
    "transport_traffic": "query traffic", "weather_query": "query weather",
}
_HWU_SLOTS = _spaced(
    "alarm_type", "app_name", "artist_name", "audiobook_author", "audiobook_name",
    "business_name", "business_type", "change_amount", "coffee_type", "color_type",
    "cooking_type", "currency_name", "date", "definition_word", "device_type", "drink_type",
    "email_address", "email_folder", "event_name", "food_type", "game_name", "game_type",
    "general_frequency", "house_place", "ingredient", "joke_type", "list_name", "meal_type",
    "media_type", "movie_name", "movie_type", "music_album", "music_descriptor", "music_genre",
    "news_topic", "order_type", "person", "personal_info", "place_name", "player_setting",
    "playlist_name", "podcast_descriptor", "podcast_name", "radio_name", "relation",
    "song_name", "time", "time_zone", "timeofday", "transport_agency", "transport_descriptor",
    "transport_name", "transport_type", "weather_descriptor",
    color_type="color", cooking_type="cooking method", currency_name="currency",
    definition_word="word to define", general_frequency="frequency", house_place="room",
    personal_info="personal information", radio_name="radio station", relation="relationship",
    timeofday="time of day")
_table, _facets = _slots_and_intents(_HWU_SLOTS, _HWU_INTENTS)
_HWU = "hwu64_nlu_eval/KFold_1"
_add("hwu64_nlu_eval", "en", "slot",
     {"train": tuple(f"{_HWU}/trainset/{intent}.csv" for intent in _HWU_INTENTS),
      "test": tuple(f"{_HWU}/testset/{intent}.csv" for intent in _HWU_INTENTS)},
     slots.read_hwu64, _table, facets=_facets)

# SLURP comes from the same collection as HWU64: the same slot and intent names keep the
# same words, plus the few SLURP has on its own.
_SLURP_INTENTS = (
    "alarm_query", "alarm_remove", "alarm_set", "audio_volume_down", "audio_volume_mute",
    "audio_volume_other", "audio_volume_up", "calendar_query", "calendar_remove", "calendar_set",
    "cooking_query", "cooking_recipe", "datetime_convert", "datetime_query", "email_addcontact",
    "email_query", "email_querycontact", "email_sendemail", "general_greet", "general_joke",
    "general_quirky", "iot_cleaning", "iot_coffee", "iot_hue_lightchange", "iot_hue_lightdim",
    "iot_hue_lightoff", "iot_hue_lighton", "iot_hue_lightup", "iot_wemo_off", "iot_wemo_on",
    "lists_createoradd", "lists_query", "lists_remove", "music_dislikeness", "music_likeness",
    "music_query", "music_settings", "news_query", "play_audiobook", "play_game", "play_music",
    "play_podcasts", "play_radio", "qa_currency", "qa_definition", "qa_factoid", "qa_maths",
    "qa_stock", "recommendation_events", "recommendation_locations", "recommendation_movies",
    "social_post", "social_query", "takeaway_order", "takeaway_query", "transport_query",
    "transport_taxi", "transport_ticket", "transport_traffic", "weather_query")
_SLURP_OWN_INTENTS = {"audio_volume_other": "change volume settings",
                      "cooking_query": "cooking question", "general_greet": "greeting",
                      "music_dislikeness": "music dislike"}
_table, _facets = _slots_and_intents(
    {**_HWU_SLOTS, "sport_type": "sport"},
    {tag: _SLURP_OWN_INTENTS.get(tag) or _HWU_INTENTS[tag] for tag in _SLURP_INTENTS})
_add("slurp", "en", "slot", {"dev": "slurp/devel.jsonl", "test": "slurp/test.jsonl"},
     slots.read_slurp, _table, facets=_facets)

_SMP_SLOTS = {
    "Dest": "目的地", "Src": "出发地", "absIssue": "期号", "area": "地区", "artist": "艺人",
    "artistRole": "艺人角色", "author": "作者", "awayName": "客队", "category": "类别",
    "code": "编号", "content": "内容", "datetime_date": "日期", "datetime_time": "时间",
    "decade": "年代", "dishName": "菜名", "dynasty": "朝代", "endLoc_area": "目的区县",
    "endLoc_city": "目的城市", "endLoc_poi": "目的地点", "endLoc_province": "目的省份",
    "episode": "集数", "film": "电影名", "headNum": "号码前缀", "homeName": "主队",
    "ingredient": "食材", "keyword": "关键词", "location_area": "区县", "location_city": "城市",
    "location_country": "国家", "location_poi": "地点", "location_province": "省份",
    "media": "媒体", "name": "名称", "payment": "付费类型", "popularity": "热度",
    "queryField": "查询内容", "questionWord": "疑问词", "receiver": "接收人",
    "relIssue": "相对期号", "resolution": "清晰度", "scoreDescr": "评价描述", "season": "部",
    "song": "歌名", "startDate_date": "出发日期", "startDate_time": "出发时间",
    "startLoc_area": "出发区县", "startLoc_city": "出发城市", "startLoc_poi": "出发地点",
    "startLoc_province": "出发省份", "subfocus": "关注点", "tag": "标签", "target": "目标语言",
    "teleOperator": "运营商", "theatre": "影院", "timeDescr": "时间描述", "tvchannel": "电视频道",
    "type": "类型", "utensil": "厨具", "yesterday": "昨日",
}
_SMP_DOMAINS = {
    "app": "应用", "bus": "汽车票", "cinemas": "影院", "contacts": "联系人", "cookbook": "菜谱",
    "email": "邮件", "epg": "电视节目", "flight": "航班", "health": "健康", "joke": "笑话",
    "lottery": "彩票", "map": "地图", "match": "比赛", "message": "短信", "music": "音乐",
    "news": "新闻", "novel": "小说", "poetry": "诗词", "radio": "电台", "riddle": "谜语",
    "stock": "股票", "story": "故事", "telephone": "电话", "train": "火车", "translation": "翻译",
    "tvchannel": "电视频道", "video": "视频", "weather": "天气", "website": "网站",
}
_SMP_INTENTS = {
    "CLOSEPRICE_QUERY": "查询收盘价", "CREATE": "新建", "DATE_QUERY": "查询日期",
    "DEFAULT": "随机推荐", "DIAL": "拨打电话", "DOWNLOAD": "下载", "FORWARD": "转发",
    "LAUNCH": "启动", "LOOK_BACK": "回看", "NUMBER_QUERY": "查询号码", "OPEN": "打开",
    "PLAY": "播放", "POSITION": "查询位置", "QUERY": "查询", "REPLAY_ALL": "回复全部",
    "REPLY": "回复", "RISERATE_QUERY": "查询涨幅", "ROUTE": "查询路线", "SEARCH": "搜索",
    "SEND": "发送", "SENDCONTACTS": "发送联系人", "TRANSLATION": "翻译", "VIEW": "查看",
}
_SMP_DOMAIN_KEYS = _namespace("domain", _SMP_DOMAINS)
_table, _facets = _slots_and_intents(_SMP_SLOTS, _SMP_INTENTS)
_add("smp2019_ecdt_nlu", "zh", "slot", {"train": "smp2019_ecdt_nlu/train.json"},
     slots.read_smp2019, {**_table, **_SMP_DOMAIN_KEYS},
     facets={**_facets, "domain": tuple(_SMP_DOMAIN_KEYS)})

# --- dialogue -------------------------------------------------------------------------------

# SGD's non-categorical slots (the ones with character spans), across all services.
_SGD_SLOTS = _spaced(
    "account_balance", "actors", "address", "address_of_location", "aggregate_rating",
    "alarm_name", "alarm_time", "album", "amount", "appointment_date", "appointment_time",
    "approximate_ride_duration", "area", "artist", "attraction_name", "available_end_time",
    "available_start_time", "average_rating", "balance", "car_name", "cast", "category",
    "check_in_date", "check_out_date", "city", "city_of_event", "contact_name", "cuisine", "date",
    "date_of_journey", "dentist_name", "departure_date", "departure_time", "destination",
    "destination_airport", "destination_airport_name", "destination_city",
    "destination_station_name", "directed_by", "director", "doctor_name", "dropoff_date",
    "end_date", "event_date", "event_location", "event_name", "event_time", "fare", "from",
    "from_city", "from_location", "from_station", "genre", "hotel_name", "humidity",
    "inbound_arrival_time", "inbound_departure_time", "journey_start_time", "leaving_date",
    "leaving_time", "location", "movie_name", "movie_title", "new_alarm_name", "new_alarm_time",
    "number_of_days", "origin", "origin_airport", "origin_airport_name", "origin_city",
    "origin_station_name", "outbound_arrival_time", "outbound_departure_time", "percent_rating",
    "phone_number", "pickup_city", "pickup_date", "pickup_location", "pickup_time", "place_name",
    "precipitation", "price", "price_per_day", "price_per_night", "price_per_ticket",
    "property_name", "rating", "receiver", "recipient_account_name", "recipient_name", "rent",
    "restaurant_name", "return_date", "ride_fare", "show_date", "show_time", "song_name",
    "starring", "start_date", "stay_length", "street_address", "stylist_name", "subcategory",
    "temperature", "theater_name", "therapist_name", "time", "title", "to", "to_city",
    "to_location", "to_station", "total", "total_price", "track", "transfer_amount",
    "transfer_time", "venue", "venue_address", "visit_date", "wait_time", "where_to", "wind",
    actors="actor", address_of_location="event address", amount="amount of money",
    approximate_ride_duration="ride duration", car_name="car model", check_in_date="check-in date",
    check_out_date="check-out date", city_of_event="event city",
    date_of_journey="journey date", destination_airport_name="destination airport",
    destination_station_name="destination station", directed_by="director",
    dropoff_date="drop-off date", **{"from": "departure city"}, from_city="departure city",
    from_location="departure city", from_station="departure station",
    inbound_arrival_time="return flight arrival time",
    inbound_departure_time="return flight departure time", leaving_date="departure date",
    leaving_time="departure time", movie_title="movie title", origin="departure city",
    origin_airport="departure airport", origin_airport_name="departure airport",
    origin_city="departure city", origin_station_name="departure station",
    outbound_arrival_time="outbound flight arrival time",
    outbound_departure_time="outbound flight departure time", place_name="accommodation name",
    starring="actor", stay_length="length of stay", subcategory="event subcategory",
    to="destination city", to_city="destination city", to_location="destination city",
    to_station="destination station", total="total price", track="song name",
    where_to="location", wind="wind speed")
_SGD_INTENTS = {
    "AddAlarm": "add alarm", "AddEvent": "add calendar event",
    "BookAppointment": "book appointment", "BookHouse": "book house",
    "BuyBusTicket": "buy bus ticket", "BuyEventTickets": "buy event tickets",
    "BuyMovieTickets": "buy movie tickets", "CheckBalance": "check balance",
    "FindApartment": "find apartment", "FindAttractions": "find attractions",
    "FindBus": "find bus", "FindEvents": "find events", "FindHomeByArea": "find home by area",
    "FindMovies": "find movies", "FindProvider": "find service provider",
    "FindRestaurants": "find restaurants", "FindTrains": "find trains",
    "GetAlarms": "get alarms", "GetAvailableTime": "get available time",
    "GetCarsAvailable": "find rental cars", "GetEventDates": "get event dates",
    "GetEvents": "get calendar events", "GetRide": "book a ride",
    "GetTimesForMovie": "get movie show times", "GetTrainTickets": "buy train tickets",
    "GetWeather": "get weather", "LookupMusic": "look up music", "LookupSong": "look up song",
    "MakePayment": "make payment", "PlayMedia": "play media", "PlayMovie": "play movie",
    "PlaySong": "play song", "RentMovie": "rent movie", "RequestPayment": "request payment",
    "ReserveCar": "reserve rental car", "ReserveHotel": "reserve hotel",
    "ReserveOnewayFlight": "reserve one-way flight", "ReserveRestaurant": "reserve restaurant",
    "ReserveRoundtripFlights": "reserve round-trip flights",
    "ScheduleVisit": "schedule property visit", "SearchHotel": "search hotel",
    "SearchHouse": "search house", "SearchOnewayFlight": "search one-way flight",
    "SearchRoundtripFlights": "search round-trip flights", "ShareLocation": "share location",
    "TransferMoney": "transfer money",
}
_SGD_TRAIN = ("015", "022", "026", "033", "043", "045", "065", "101", "103", "112", "119", "125")
_SGD_DEV = ("005", "011", "014")
_table, _facets = _slots_and_intents(_SGD_SLOTS, _SGD_INTENTS)
_add("sgd", "en", "slot",
     {"train": ("sgd/train/schema.json",
                *(f"sgd/train/dialogues_{n}.json" for n in _SGD_TRAIN)),
      "dev": ("sgd/dev/schema.json", *(f"sgd/dev/dialogues_{n}.json" for n in _SGD_DEV))},
     dialogue.read_sgd, _table, facets=_facets, descriptions=dialogue.sgd_descriptions)

_CROSSWOZ_SLOTS: dict[str, str] = {}
for _domain, _name_words, _own in (
        ("餐馆", "餐馆名称", ("人均消费", "推荐菜", "营业时间")),
        ("景点", "景点名称", ("门票", "游玩时间")),
        ("酒店", "酒店名称", ("酒店类型",))):
    _CROSSWOZ_SLOTS[f"{_domain}+名称"] = _name_words
    _CROSSWOZ_SLOTS |= {f"{_domain}+{slot}": slot for slot in _own}
    # Shared attributes read the same whatever the venue: "评分", "周边酒店" ...
    _CROSSWOZ_SLOTS |= {f"{_domain}+{slot}": slot for slot in (
        "评分", "地址", "电话", "周边景点", "周边酒店", "周边餐馆")}
_CROSSWOZ_SLOTS["酒店+价格"] = "酒店价格"
for _domain in ("地铁", "出租"):
    _CROSSWOZ_SLOTS |= {f"{_domain}+出发地": "出发地", f"{_domain}+目的地": "目的地"}
_CROSSWOZ_SLOTS |= {"地铁+出发地附近地铁站": "出发地附近地铁站",
                    "地铁+目的地附近地铁站": "目的地附近地铁站"}
_CROSSWOZ_ACTS = _namespace("act", {
    "greet": "问候", "thank": "感谢", "bye": "再见", "Inform": "告知需求",
    "Request": "询问信息", "Select": "查找周边"})
_add("crosswoz", "zh", "slot",
     {"dev": "crosswoz/val.json.zip", "test": "crosswoz/test.json.zip"}, dialogue.read_crosswoz,
     {**_CROSSWOZ_SLOTS, **_CROSSWOZ_ACTS},
     facets={"slot": tuple(_CROSSWOZ_SLOTS), "act": tuple(_CROSSWOZ_ACTS)})

# --- event extraction -----------------------------------------------------------------------

_FEWFC_ROLES: dict[str, dict[str, str]] = {
    "质押": {"sub-org": "质押方机构", "sub-per": "质押方个人", "obj-org": "质权方机构",
           "obj-per": "质权方个人", "collateral": "质押物", "number": "质押股数",
           "money": "质押金额", "proportion": "质押比例", "date": "时间"},
    "投资": {"sub": "投资方", "obj": "被投资方", "money": "投资金额", "date": "时间"},
    "股份股权转让": {"sub-org": "转让方机构", "sub-per": "转让方个人", "obj-org": "受让方机构",
                 "obj-per": "受让方个人", "collateral": "转让标的", "target-company": "目标公司",
                 "money": "转让金额", "number": "转让股数", "proportion": "转让比例",
                 "date": "时间"},
    "减持": {"sub": "减持方", "obj": "被减持公司", "title": "减持方职务",
           "share-per": "占个人持股比例", "share-org": "占公司股本比例", "date": "时间"},
    "起诉": {"sub-org": "原告机构", "sub-per": "原告个人", "obj-org": "被告机构",
           "obj-per": "被告个人", "date": "时间"},
    "收购": {"sub-org": "收购方机构", "sub-per": "收购方个人", "obj-org": "被收购方",
           "way": "收购方式", "money": "收购金额", "number": "收购股数", "proportion": "收购比例",
           "date": "时间"},
    "判决": {"institution": "判决机构", "sub-org": "原告机构", "sub-per": "原告个人",
           "obj-org": "被告机构", "obj-per": "被告个人", "money": "判决金额", "date": "时间"},
    "中标": {"sub": "中标方", "obj": "招标方", "amount": "中标金额", "date": "时间"},
    "签署合同": {"sub-org": "甲方机构", "sub-per": "甲方个人", "obj-org": "乙方机构",
             "obj-per": "乙方个人", "amount": "合同金额", "date": "时间"},
    "担保": {"sub-org": "担保方机构", "sub-per": "担保方个人", "obj-org": "被担保方",
           "way": "担保方式", "amount": "担保金额", "date": "时间"},
}
_add("fewfc", "zh", "ee",
     {"train_base": "fewfc/train_base.json", "train_trans": "fewfc/train_trans_5_type.json",
      "dev_trans": "fewfc/dev_trans.json"}, events.read_fewfc,
     {**{kind: kind for kind in _FEWFC_ROLES},
      **{f"{kind}:{role}": words for kind, roles in _FEWFC_ROLES.items()
         for role, words in roles.items()}},
     facets={"train_base": ("质押", "投资", "股份股权转让", "减持", "起诉"),
             "train_trans": ("收购", "判决", "中标", "签署合同", "担保"),
             "dev_trans": ("收购", "判决")})

_PHEE_TYPES = {"Adverse_event": "adverse event",
               "Potential_therapeutic_event": "potential therapeutic event"}
_PHEE_ROLES = {
    "Subject": "subject", "Subject.Age": "age", "Subject.Gender": "gender",
    "Subject.Race": "race", "Subject.Population": "population",
    "Subject.Disorder": "subject disorder", "Treatment": "treatment", "Treatment.Drug": "drug",
    "Treatment.Dosage": "dosage", "Treatment.Route": "route", "Treatment.Freq": "frequency",
    "Treatment.Duration": "duration", "Treatment.Time_elapsed": "time elapsed",
    "Treatment.Disorder": "treated disorder", "Effect": "effect",
}
_add("phee", "en", "ee", {s: f"phee/{s}.json" for s in ("train", "dev", "test")},
     events.read_phee,
     {**_PHEE_TYPES, **{f"{kind}:{role}": words for kind in _PHEE_TYPES
                        for role, words in _PHEE_ROLES.items()}},
     facets={"type": tuple(_PHEE_TYPES)})
