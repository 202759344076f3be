"""The diagnosis benchmark's span forms and its determiner-blind span key."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from diagnose import span_form, without_determiner  # noqa: E402

TEXT = "We met the Defense Department and Paris today."


def test_an_opening_determiner_is_skipped_with_its_space():
    start = TEXT.index("the Defense")
    end = start + len("the Defense Department")
    core = without_determiner(TEXT, start, end, "en")
    assert TEXT[slice(*core)] == "Defense Department"
    assert without_determiner(TEXT, *core, "en") == core


def test_other_spans_and_languages_keep_their_offsets():
    paris = (TEXT.index("Paris"), TEXT.index("Paris") + 5)
    assert without_determiner(TEXT, *paris, "en") == paris
    the = (TEXT.index("the "), TEXT.index("the ") + 3)  # a lone determiner is the whole span
    assert without_determiner(TEXT, *the, "en") == the
    assert without_determiner(TEXT, 7, 29, "zh") == (7, 29)


def test_span_forms():
    assert span_form("they", "en") == "pronoun"
    assert span_form("the coalition", "en") == "determiner"
    assert span_form("tactical units", "en") == "lower case"
    assert span_form("Joseph Votel", "en") == "name"
    assert span_form("北京", "zh") is None
