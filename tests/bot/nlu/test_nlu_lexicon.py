"""The keyword tables are data, validated at start-up."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.nlu.lexicon import INTENTS, LEXICON_PATH, LexiconError, build_lexicon, load_lexicon

RAW: dict[str, Any] = json.loads(LEXICON_PATH.read_text(encoding="utf-8"))


def _mutated(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    data = copy.deepcopy(RAW)
    change(data)
    return data


def test_shipped_lexicon_loads() -> None:
    lexicon = load_lexicon()
    assert lexicon.terms
    assert lexicon.term_regex.search("คะแนตัวชี้วัด")


def test_every_intent_but_unknown_has_cues_or_slot_weights() -> None:
    lexicon = load_lexicon()
    with_evidence = {i for term in lexicon.terms.values() for i in term.intents}
    with_evidence |= {i for weights in lexicon.slot_weights.values() for i in weights}
    assert set(INTENTS) - with_evidence == set()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["cues"]["trend"].update({"เทียบ": 2.0}), "declared in"),  # same term, two intents
        (lambda d: d["indicators"]["9"].append("การใช้อำนาจ"), "declared in"),  # a name for two indicators
        (lambda d: d["fillers"].append("ตัว ชี้วัด"), "declared in"),  # duplicates after normalisation
        (lambda d: d["cues"].update({"nonsense": {"x": 1.0}}), "unknown intent"),
        (lambda d: d["cues"]["trend"].update({"xyz": -1}), "weight must be > 0"),
        (lambda d: d["typos"].update({"คะแน": "คะแนน"}), "typos"),  # would rewrite correct text
        (lambda d: d["typos"].update({"ดัชนี": "ตัวชี้วัด", "ตัวชี้": "x"}), "typos"),
        (lambda d: d["rules"].append({"pattern": "(", "intents": {"help": 1.0}}), "bad regex"),
        (lambda d: d["rules"].append({"pattern": "ok", "intents": {"nope": 1.0}}), "unknown intent"),
        (lambda d: d["indicators"].pop("10"), "indicators"),
        (lambda d: d["tools"].update({"XIT": ["xit"]}), "tools"),
        (lambda d: d["scopes"].update({"galaxy": ["กาแล็กซี่"]}), "scopes"),
        (lambda d: d["slot_weights"].update({"colour": {"help": 1.0}}), "slot_weights"),
        (lambda d: d["params"].pop("temperature"), "params"),
        (lambda d: d["cues"]["help"].update({"ง": 1.0}), "too short"),
    ],
)
def test_invalid_tables_fail_at_start_up(change: Callable[[dict[str, Any]], None], message: str) -> None:
    with pytest.raises(LexiconError, match=message):
        build_lexicon(_mutated(change))


def test_duplicate_json_keys_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "lexicon.json"
    text = LEXICON_PATH.read_text(encoding="utf-8").replace('"ย้อนหลัง": 4.0,', '"ย้อนหลัง": 4.0, "ย้อนหลัง": 1.0,')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LexiconError, match="duplicate key"):
        load_lexicon(path)
