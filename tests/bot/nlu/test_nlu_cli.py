"""``ita nlu``: one text, JSON lines on stdin, and ``--eval``."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from bot.cli import cli

DEV_SET = Path(__file__).parent / "dev_set.jsonl"


def test_one_text_json() -> None:
    result = CliRunner().invoke(cli, ["nlu", "คะแนนตัวชี้วัดที่ 9", "--json"])
    assert result.exit_code == 0, result.output
    obj = json.loads(result.output)
    assert obj["intent"] == "indicator_score"
    assert obj["slots"]["indicator"] == 9
    assert obj["slots"]["year"] is None


def test_one_text_readable() -> None:
    result = CliRunner().invoke(cli, ["nlu", "เทียบปี 66 กับ 67"])
    assert result.exit_code == 0
    assert "compare_years" in result.output
    assert "year=2566" in result.output


def test_stdin_lines_in_order() -> None:
    lines = ["สวัสดีครับ", "ข้อ o23", "", "วันนี้ฝนตกไหม", "ลงทะเบียน AB12CD"]
    result = CliRunner().invoke(cli, ["nlu", "--json"], input="\r\n".join(lines) + "\n")
    assert result.exit_code == 0
    objects = [json.loads(line) for line in result.output.splitlines()]
    assert [o["intent"] for o in objects] == ["greeting", "question_score", "unknown", "unknown", "register"]
    assert objects[4]["slots"]["code"] == "AB12CD"


def test_eval_readable_and_json(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    rows = [
        {"text": "ข้อ o23", "intent": "question_score", "slots": {"question": "o23"}},
        {"text": "สวัสดีครับ", "intent": "help", "slots": {}},
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    text = CliRunner().invoke(cli, ["nlu", "--eval", str(path)])
    assert text.exit_code == 0
    assert "intent accuracy: 50.00%" in text.output
    assert "confusion matrix" in text.output
    assert "'สวัสดีครับ': help -> greeting" in text.output
    report = json.loads(CliRunner().invoke(cli, ["nlu", "--eval", str(path), "--json"]).output)
    assert report["intent_accuracy"] == 0.5
    assert report["per_intent"]["help"]["recall"] == 0.0
    assert report["confusion"]["help"] == {"greeting": 1}
    assert report["misses"][0]["text"] == "สวัสดีครับ"


def test_eval_dev_set_meets_targets() -> None:
    report = json.loads(CliRunner().invoke(cli, ["nlu", "--eval", str(DEV_SET), "--json"]).output)
    assert report["intent_accuracy"] >= 0.98
    assert report["slot_accuracy"] >= 0.97
