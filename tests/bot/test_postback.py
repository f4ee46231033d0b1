from __future__ import annotations

import pytest

from bot.postback import parse_postback, postback_data


def test_round_trip() -> None:
    data = postback_data("indicator_score", indicator=9, year=2568, tool=None)
    assert data == "intent=indicator_score&indicator=9&year=2568"
    assert parse_postback(data) == ("indicator_score", {"indicator": 9, "year": 2568})


def test_thai_values_and_limits() -> None:
    data = postback_data("measures", action="done", item="12")
    assert parse_postback(data)[1] == {"action": "done", "item": "12"}
    with pytest.raises(ValueError, match="unknown postback key"):
        postback_data("x", colour="red")
    with pytest.raises(ValueError, match="300"):
        postback_data("x", code="A" * 400)


def test_garbage_is_harmless() -> None:
    assert parse_postback("indicator=abc&&&=") == ("", {})
