"""``ita nlu``: the intent matcher alone, on one text, on stdin lines, or on a labelled file."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, BinaryIO

import click

from bot.nlu import IntentMatcher, MatchResult, get_matcher
from bot.nlu.evaluate import evaluate, format_report, load_examples


def _write(stream: BinaryIO, text: str) -> None:
    stream.write(text.encode("utf-8") + b"\n")
    stream.flush()


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


def _readable(result: MatchResult) -> str:
    slots = " ".join(f"{k}={v}" for k, v in result.slots.items() if v is not None) or "-"
    lines = [f"{result.text}", f"  intent: {result.intent} ({result.confidence:.2f})", f"  slots: {slots}"]
    if result.alternatives:
        lines.append("  alternatives: " + ", ".join(f"{a.intent} ({a.confidence:.2f})" for a in result.alternatives))
    flags = [name for name, on in (("slot-only", result.slot_only), ("follow-up", result.followup)) if on]
    if flags:
        lines.append("  " + ", ".join(flags))
    if result.extras:
        lines.append("  extras: " + " ".join(f"{k}={v}" for k, v in result.extras.items()))
    return "\n".join(lines)


def _run_eval(matcher: IntentMatcher, path: Path, as_json: bool, out: BinaryIO) -> None:
    try:
        examples = load_examples(path)
    except (OSError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    report = evaluate(matcher, examples)
    _write(out, _dumps(report.to_json()) if as_json else format_report(report))


@click.command("nlu")
@click.argument("text", required=False)
@click.option("--json", "as_json", is_flag=True, help="print JSON (one object per input line)")
@click.option(
    "--eval",
    "eval_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="labelled JSON-lines file: print precision/recall, confusion matrix and misses",
)
def nlu(text: str | None, as_json: bool, eval_file: Path | None) -> None:
    """Match TEXT (or each UTF-8 line on stdin) to an intent and slots."""
    matcher = get_matcher()
    out = sys.stdout.buffer
    if eval_file is not None:
        _run_eval(matcher, eval_file, as_json, out)
        return
    if text is not None:
        result = matcher.match(text)
        _write(out, _dumps(result.to_json()) if as_json else _readable(result))
        return
    for raw in sys.stdin.buffer:
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        result = matcher.match(line)
        _write(out, _dumps(result.to_json()) if as_json else _readable(result))


__all__ = ["nlu"]
