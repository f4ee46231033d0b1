"""Evaluate the matcher on a labelled JSON-lines file (used by ``ita nlu --eval`` and the tests).

Each line: ``{"text": ..., "intent": ..., "slots": {only the non-null slots}}``. An utterance's
slots are right when the matcher's non-null slots equal the labelled ones exactly.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.nlu.lexicon import INTENTS, SLOTS
from bot.nlu.matcher import IntentMatcher


@dataclass(frozen=True)
class Example:
    """One labelled utterance."""

    text: str
    intent: str
    slots: dict[str, Any]


@dataclass(frozen=True)
class Miss:
    """An utterance whose intent or slots came out wrong."""

    text: str
    gold_intent: str
    predicted_intent: str
    confidence: float
    gold_slots: dict[str, Any]
    predicted_slots: dict[str, Any]


@dataclass(frozen=True)
class Report:
    """Accuracy, per-intent precision and recall, the confusion matrix and the misses."""

    total: int
    intent_accuracy: float
    slot_accuracy: float  # share of utterances with every slot right
    per_intent: dict[str, dict[str, float]]
    labels: list[str]
    confusion: dict[str, dict[str, int]]  # gold -> predicted -> count
    misses: list[Miss]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "total": self.total,
            "intent_accuracy": round(self.intent_accuracy, 4),
            "slot_accuracy": round(self.slot_accuracy, 4),
            "per_intent": self.per_intent,
            "confusion": self.confusion,
            "misses": [miss.__dict__ for miss in self.misses],
        }


def load_examples(path: Path) -> list[Example]:
    """Read a labelled JSON-lines file, checking intents and slot names."""
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        intent, slots = row.get("intent"), row.get("slots", {})
        if intent not in INTENTS or not isinstance(slots, dict) or not set(slots) <= set(SLOTS):
            raise ValueError(f"{path}:{number}: bad intent or slot names: {line}")
        examples.append(Example(row["text"], intent, {k: v for k, v in slots.items() if v is not None}))
    return examples


def evaluate(matcher: IntentMatcher, examples: Iterable[Example]) -> Report:
    """Run the matcher over ``examples`` and compare."""
    confusion: dict[str, Counter[str]] = {}
    misses: list[Miss] = []
    total = intent_right = slots_right = 0
    for example in examples:
        result = matcher.match(example.text)
        predicted = {k: v for k, v in result.slots.items() if v is not None}
        total += 1
        intent_ok = result.intent == example.intent
        slots_ok = predicted == example.slots
        intent_right += intent_ok
        slots_right += slots_ok
        confusion.setdefault(example.intent, Counter())[result.intent] += 1
        if not (intent_ok and slots_ok):
            misses.append(Miss(example.text, example.intent, result.intent, round(result.confidence, 3),
                               example.slots, predicted))
    labels = [i for i in INTENTS if i in confusion or any(i in row for row in confusion.values())]
    per_intent = {}
    for label in labels:
        tp = confusion.get(label, Counter())[label]
        predicted_n = sum(row[label] for row in confusion.values())
        gold_n = sum(confusion.get(label, Counter()).values())
        precision = tp / predicted_n if predicted_n else 0.0
        recall = tp / gold_n if gold_n else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_intent[label] = {"precision": round(precision, 4), "recall": round(recall, 4),
                             "f1": round(f1, 4), "support": gold_n}
    return Report(
        total=total,
        intent_accuracy=intent_right / total if total else 0.0,
        slot_accuracy=slots_right / total if total else 0.0,
        per_intent=per_intent,
        labels=labels,
        confusion={gold: dict(row) for gold, row in confusion.items()},
        misses=misses,
    )


def format_report(report: Report) -> str:
    """A readable report: summary, per-intent table, confusion matrix, misses."""
    lines = [
        f"utterances: {report.total}",
        f"intent accuracy: {report.intent_accuracy:.2%}",
        f"all slots right: {report.slot_accuracy:.2%}",
        "",
        f"{'intent':<17} {'precision':>9} {'recall':>7} {'f1':>6} {'support':>7}",
    ]
    for label, row in report.per_intent.items():
        lines.append(f"{label:<17} {row['precision']:>9.3f} {row['recall']:>7.3f} {row['f1']:>6.3f} "
                     f"{int(row['support']):>7}")
    short = [label[:6] for label in report.labels]
    lines += ["", "confusion matrix (rows: labelled, columns: predicted)",
              f"{'':<17}" + "".join(f"{s:>7}" for s in short)]
    for gold in report.labels:
        counts = report.confusion.get(gold, {})
        lines.append(f"{gold:<17}" + "".join(f"{counts.get(pred, 0) or '.':>7}" for pred in report.labels))
    lines += ["", f"misses: {len(report.misses)}"]
    for miss in report.misses:
        lines.append(f"- {miss.text!r}: {miss.gold_intent} -> {miss.predicted_intent} ({miss.confidence})")
        if miss.gold_slots != miss.predicted_slots:
            lines.append(f"    slots: expected {miss.gold_slots}, got {miss.predicted_slots}")
    return "\n".join(lines)
