"""The domain does not know the web: ita_core imports nothing from bot, Flask or linebot."""

from __future__ import annotations

import ast
from pathlib import Path

FORBIDDEN = ("bot", "flask", "linebot", "werkzeug", "gunicorn")
ROOT = Path(__file__).resolve().parents[1]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_ita_core_does_not_import_the_adapter() -> None:
    offenders = []
    for path in sorted((ROOT / "ita_core").rglob("*.py")):
        for name in imported_modules(path):
            if name.split(".")[0] in FORBIDDEN:
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


def test_ita_core_never_commits() -> None:
    # Handlers and the domain may flush; only the unit-of-work helper commits.
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "ita_core").rglob("*.py")
        if ".commit()" in path.read_text(encoding="utf-8") and path.name != "db.py"
    ]
    assert offenders == []
