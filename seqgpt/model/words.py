"""Words: the units a span starts and ends on, for any script.

A CJK character is a word of its own (Chinese has no spaces); a run of letters, digits or
marks is a word; any other visible character (punctuation, symbol, emoji) is a word alone.
"""

from __future__ import annotations

import re

_CJK = (r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
        r"\U00020000-\U0002fa1f")
_WORD = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+|[^\w\s]", re.UNICODE)


def split_words(text: str) -> list[tuple[int, int]]:
    """Character ``(start, end)`` of every word in ``text``, in order."""
    return [m.span() for m in _WORD.finditer(text)]


_NAME_PART = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+", re.UNICODE)


def head_word(name: str) -> str:
    """The last word of a label name, case-folded, underscores and punctuation as spaces:
    "departure_weekday" -> "weekday", "出发城市" -> "市" (English and Chinese names put their
    head last, so names sharing it are siblings)."""
    parts = _NAME_PART.findall(name.casefold())
    return parts[-1] if parts else ""
