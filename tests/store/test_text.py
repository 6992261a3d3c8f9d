"""Text fields refuse what hides or disguises text (store/text.py)."""

from __future__ import annotations

import pytest

from livecast.store.errors import InvalidInput
from livecast.store.text import check_text


@pytest.mark.parametrize(
    "value",
    ["\u202egpj.exe", "a\u2066b\u2069", "\u200b", "\u200b\u200d\ufeff ", "\u3164", "x\x00"]
    + ["\ud800"],
)
def test_hidden_or_disguised_text_is_refused(value):
    with pytest.raises(InvalidInput):
        check_text(value, "title")


@pytest.mark.parametrize(
    "value", ["김치 라이브", "שלום \u200f עולם", "👨‍👩‍👧 가족 세트", "줄\n바꿈\t탭", "a\u200bb"]
)
def test_ordinary_text_passes(value):
    assert check_text(value, "title") == value


def test_one_line_fields_can_refuse_line_breaks():
    with pytest.raises(InvalidInput):
        check_text("a\nb", "name", allow="")
