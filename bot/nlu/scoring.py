"""Intent scoring: evidence from cue words, rules and slots, turned into a confidence.

Each intent's score is a sum of weights from the lexicon (cue words, rules, slot weights and a share
of the generic "score" words). ``unknown`` competes as a pseudo-intent whose score rises with the
part of the message nothing explained, so out-of-domain text is never forced into an intent.
Scores become probabilities with a softmax; the winner's probability is the confidence and the
runners-up above ``alternative_min`` are the alternatives offered for clarification.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from bot.nlu.lexicon import INTENTS, SCORE, Lexicon
from bot.nlu.slots import Found

_ORDER = {intent: i for i, intent in enumerate(INTENTS)}


@dataclass(frozen=True)
class Scored:
    """The decision for one message."""

    intent: str
    confidence: float
    alternatives: tuple[tuple[str, float], ...]
    has_cue: bool  # the message carries intent evidence of its own (not only slot values)
    scores: dict[str, float]


def _evidence(lexicon: Lexicon, found: Found) -> tuple[dict[str, float], float, bool]:
    scores: dict[str, float] = defaultdict(float)
    score_words = 0.0
    for term in found.cues:
        for intent, weight in term.intents.items():
            if intent == SCORE:
                score_words += weight
            else:
                scores[intent] += weight
    for rule in found.rules:
        for intent, weight in rule.intents.items():
            scores[intent] += weight
    has_cue = bool(found.cues or found.rules or found.features)
    for feature in found.features:
        for intent, weight in lexicon.slot_weights.get(feature, {}).items():
            scores[intent] += weight
    for slot, value in found.slots.items():
        if value is None or (slot in lexicon.modifier_slots and not has_cue):
            continue
        for intent, weight in lexicon.slot_weights.get(slot, {}).items():
            scores[intent] += weight
    present = {k for k, v in found.slots.items() if v is not None} | set(found.features)
    own = {intent for intent, value in scores.items() if value > 0}
    for intent, share in lexicon.score_share.items():
        if share.applies(present, intent in own):
            scores[intent] += share.share * score_words
    return scores, score_words, has_cue


def score(lexicon: Lexicon, found: Found) -> Scored:
    """Pick the intent of a message from what the extractor found."""
    params = lexicon.params
    scores, _, has_cue = _evidence(lexicon, found)
    unknown = params.unknown_base + params.uncovered_penalty * (1.0 - found.coverage) + scores.pop("unknown", 0.0)
    if any(s >= params.unknown_base for i, s in scores.items() if i not in params.defer_intents):
        for intent in params.defer_intents:
            if intent in scores:
                scores[intent] *= params.defer_factor
    candidates = {intent: s for intent, s in scores.items() if s > 0}
    candidates["unknown"] = unknown
    top = max(candidates.values())
    weights = {i: math.exp((s - top) / params.temperature) for i, s in candidates.items()}
    total = sum(weights.values())
    probs = {i: w / total for i, w in weights.items()}
    ranked = sorted(probs, key=lambda i: (-probs[i], _ORDER[i]))
    best = ranked[0]
    alternatives = tuple(
        (i, probs[i]) for i in ranked[1:] if i != "unknown" and probs[i] >= params.alternative_min
    )[: params.max_alternatives]
    return Scored(best, probs[best], alternatives, has_cue, dict(candidates))
