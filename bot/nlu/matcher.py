"""The intent matcher: one message in, an intent with slots and a confidence out."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.nlu.lexicon import LEXICON_PATH, SLOTS, load_lexicon
from bot.nlu.scoring import score
from bot.nlu.slots import SlotExtractor

_SLOT_ONLY_COVERAGE = 0.75
# LINE allows 5,000 characters; a question is at the start of a long message, and matching time
# grows with length, so only this much is read.
MAX_CHARS = 1000


@dataclass(frozen=True)
class Alternative:
    """A runner-up intent, for "did you mean …?" quick replies."""

    intent: str
    confidence: float


@dataclass
class MatchResult:
    """What a message asks for.

    ``slots`` always has every contract slot (None when absent). ``slot_only`` is True when the
    message carries slot values but no intent words of its own ("แล้วปีที่แล้วล่ะ", "ตัวชี้วัดที่ 10
    ล่ะ"): the dialog layer should merge the slots into the previous question. ``intent`` is still
    the best reading of the message on its own. ``followup`` is True when the message is phrased
    as a follow-up (แล้ว… / …ล่ะ).
    """

    text: str
    normalized: str
    intent: str
    slots: dict[str, Any]
    confidence: float
    alternatives: tuple[Alternative, ...] = ()
    slot_only: bool = False
    followup: bool = False
    extras: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The contract's object (intent, slots, confidence) plus the matcher's extra fields."""
        return {
            "intent": self.intent,
            "slots": dict(self.slots),
            "confidence": round(self.confidence, 3),
            "alternatives": [{"intent": a.intent, "confidence": round(a.confidence, 3)} for a in self.alternatives],
            "slot_only": self.slot_only,
            "followup": self.followup,
            "extras": dict(self.extras),
            "normalized": self.normalized,
        }


class IntentMatcher:
    """Build once per process (loads and validates the lexicon), then call :meth:`match`."""

    def __init__(self, lexicon_path: Path = LEXICON_PATH) -> None:
        self.lexicon = load_lexicon(lexicon_path)
        self._extractor = SlotExtractor(self.lexicon)

    def match(self, text: str) -> MatchResult:
        """Match one message."""
        normalized = self.lexicon.normalize.with_marks(text[:MAX_CHARS])
        found = self._extractor.extract(normalized)
        scored = score(self.lexicon, found)
        slots = dict(found.slots)
        extras = dict(found.extras)
        has_slot = any(v is not None for v in slots.values()) or bool(found.extras)
        # Slots alone in a message mostly made of other words ("งานวันเด็กปีนี้จัดที่ไหน") are not a follow-up.
        slot_only = has_slot and not scored.has_cue and found.coverage >= _SLOT_ONLY_COVERAGE
        if scored.intent == "unknown" and not slot_only:
            slots = dict.fromkeys(SLOTS)  # stray numbers in an out-of-domain message are not slots
            extras = {}
        elif slots["scope"] is not None and scored.intent != "ranking" and not slot_only:
            slots["scope"] = None
        return MatchResult(
            text=text,
            normalized=normalized.text,
            intent=scored.intent,
            slots=slots,
            confidence=scored.confidence,
            alternatives=tuple(Alternative(i, c) for i, c in scored.alternatives),
            slot_only=slot_only,
            followup=found.followup,
            extras=extras,
        )


# Longer messages are matched every time: questions are short, and a cache of long texts is memory for nothing.
REMEMBERED_CHARS = 200


def remembering(match: Callable[[str], MatchResult], size: int) -> Callable[[str], MatchResult]:
    """``match`` with its last ``size`` results kept by text (0: nothing kept).

    Matching depends on the text and the lexicon loaded at start-up, nothing else, and officials
    ask the same short questions over and over ("คะแนนรวม", "จุดอ่อน"). Each call gets its own copy
    of the slots and extras.
    """
    if size <= 0:
        return match
    kept = functools.lru_cache(maxsize=size)(match)

    def remembered(text: str) -> MatchResult:
        if len(text) > REMEMBERED_CHARS:
            return match(text)
        found = kept(text)
        return dataclasses.replace(found, slots=dict(found.slots), extras=dict(found.extras))

    return remembered


@functools.cache
def get_matcher() -> IntentMatcher:
    """The process-wide matcher, built on first use."""
    return IntentMatcher()


__all__ = ["SLOTS", "Alternative", "IntentMatcher", "MatchResult", "get_matcher", "remembering"]
