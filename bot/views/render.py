"""Render the flex templates in ``templates/flex`` into LINE message containers (plain dicts).

The Jinja2 environment is built once per templates folder and compiles each template once
(``auto_reload`` is off: no file checks per render). Templates write JSON; every value goes
through the ``tojson`` filter (``json.dumps`` without ASCII escaping), never raw interpolation.

Where the templates are, first found wins:
1. the ``directory`` argument, or the ``ITA_TEMPLATES_DIR`` environment variable (must exist);
2. ``bot/templates`` next to this package (an installed wheel that maps ``templates`` there);
3. ``templates`` at the top of the source tree (a checkout or an editable install).
"""

from __future__ import annotations

import functools
import json
import json.encoder
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound

from bot.views.style import PALETTE

TEMPLATES_ENV = "ITA_TEMPLATES_DIR"
_MARKER = Path("flex") / "overall.json.j2"
FLEX_SUFFIX = ".json.j2"


class TemplateError(RuntimeError):
    """A template is missing or did not produce valid JSON."""


def templates_dir(directory: str | Path | None = None) -> Path:
    """The templates folder to use (see the module docstring for the order)."""
    chosen = directory if directory is not None else os.environ.get(TEMPLATES_ENV) or None
    if chosen is not None:
        path = Path(chosen).resolve()
        if not (path / _MARKER).is_file():
            raise TemplateError(f"{path}: not a templates folder (no {_MARKER})")
        return path
    here = Path(__file__).resolve()
    for candidate in (here.parents[1] / "templates", here.parents[2] / "templates"):
        if (candidate / _MARKER).is_file():
            return candidate.resolve()
    raise TemplateError(f"no templates folder found near {here.parents[2]}; set {TEMPLATES_ENV}")


_encode = json.JSONEncoder(ensure_ascii=False).encode
# The C string encoder json uses for ensure_ascii=False: quotes and escapes one str, nothing else.
_encode_str: Callable[[str], str] = getattr(json.encoder, "c_encode_basestring", None) or json.encoder.py_encode_basestring


def _tojson(value: Any) -> str:
    """A value as JSON text (UTF-8 kept as is); the one way templates write values."""
    if type(value) is str:
        return _encode_str(value)
    return _encode(value)


@functools.cache
def _environment(directory: Path) -> Environment:
    env = Environment(
        loader=FileSystemLoader(directory),
        autoescape=False,  # JSON, not HTML: escaping is the tojson filter's job
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        cache_size=-1,
    )
    env.filters["tojson"] = _tojson
    env.globals["colours"] = PALETTE
    return env


@functools.cache
def _resolved(directory: str | Path | None, env_value: str | None) -> Path:
    return templates_dir(directory if directory is not None else (env_value or None))


def environment(directory: str | Path | None = None) -> Environment:
    """The shared Jinja2 environment for a templates folder (built once, found once)."""
    return _environment(_resolved(directory, os.environ.get(TEMPLATES_ENV)))


def flex_template_names(directory: str | Path | None = None) -> list[str]:
    """The renderable flex templates ("overall", "indicator", ...); ``_``-prefixed files are macros."""
    env = environment(directory)
    return sorted(
        name.removeprefix("flex/").removesuffix(FLEX_SUFFIX)
        for name in env.list_templates(filter_func=lambda n: n.startswith("flex/") and n.endswith(FLEX_SUFFIX))
        if not Path(name).name.startswith("_")
    )


def warm(directory: str | Path | None = None) -> int:
    """Compile every template now (call at start-up so no request pays for it); returns the count."""
    env = environment(directory)
    names = env.list_templates(filter_func=lambda n: n.endswith(".j2"))
    for name in names:
        env.get_template(name)
    return len(names)


def render_flex_text(name: str, context: dict[str, Any], directory: str | Path | None = None) -> str:
    """The JSON text ``flex/<name>.json.j2`` renders to (its UTF-8 size bounds the container's)."""
    env = environment(directory)
    try:
        template = env.get_template(f"flex/{name}{FLEX_SUFFIX}")
    except TemplateNotFound:
        raise TemplateError(f"no flex template {name!r}") from None
    return template.render(context)


def render_flex(name: str, context: dict[str, Any], directory: str | Path | None = None) -> dict[str, Any]:
    """Render ``flex/<name>.json.j2`` with ``context`` into a flex container (bubble or carousel)."""
    return parse_flex(name, render_flex_text(name, context, directory))


def parse_flex(name: str, text: str) -> dict[str, Any]:
    """The container from a template's JSON text; TemplateError says where the JSON broke."""
    try:
        container: dict[str, Any] = json.loads(text)
    except json.JSONDecodeError as exc:
        start = max(0, exc.pos - 80)
        raise TemplateError(f"flex/{name}: invalid JSON at {exc.lineno}:{exc.colno}: {text[start : exc.pos + 80]!r}") from None
    return container
