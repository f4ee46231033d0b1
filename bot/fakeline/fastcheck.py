"""A yes/no JSON Schema checker compiled to closures, for the fake's hot path.

`jsonschema` interprets the schema on every call and costs a few milliseconds per flex message;
at hundreds of requests a second that is the whole budget. This compiles the subset of JSON Schema
2020-12 that our converted LINE spec uses (refusing, at start-up, any keyword it does not know)
into plain closures. It only answers valid or not: when a body is invalid, `jsonschema` runs on
it to say why. A test checks that both agree.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from jsonschema import FormatChecker

Check = Callable[[Any], bool]

# Annotations that do not constrain anything.
_IGNORED = frozenset({"default", "title", "$schema", "$id", "$comment", "examples"})


def _accept(value: Any) -> bool:
    return True


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


_TYPES: Mapping[str, Check] = {
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
    "string": lambda value: isinstance(value, str),
    "boolean": lambda value: isinstance(value, bool),
    "null": lambda value: value is None,
    "number": _is_number,
    "integer": _is_integer,
}


def _same(left: Any, right: Any) -> bool:
    """JSON equality: `true` is not `1`."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left is right
    return bool(left == right)


def _all(checks: list[Check]) -> Check:
    if not checks:
        return _accept
    if len(checks) == 1:
        return checks[0]
    return lambda value: all(check(value) for check in checks)


class SchemaCompiler:
    """Compiles schemas of one JSON Schema document whose `$ref`s point into `#/components/schemas`."""

    def __init__(self, schemas: Mapping[str, Any], uri: str, format_checker: FormatChecker) -> None:
        self._schemas = schemas
        self._uri = uri
        self._format_checker = format_checker
        self._compiled: dict[str, Check] = {}
        self._compiling: set[str] = set()

    def ref(self, target: str) -> Check:
        """The check for a `$ref` target (compiled once; recursion resolved at call time)."""
        local = target.removeprefix(self._uri)
        prefix = "#/components/schemas/"
        if not local.startswith(prefix):
            raise ValueError(f"unsupported $ref {target!r}")
        name = local.removeprefix(prefix)
        if name not in self._compiled and name not in self._compiling:
            self._compiling.add(name)
            self._compiled[name] = self.compile(self._schemas[name])
            self._compiling.discard(name)
        compiled = self._compiled
        return lambda value: compiled[name](value)

    def compile(self, schema: Any) -> Check:
        """The check for one schema; an unknown keyword is an error, not a silent pass."""
        if schema is True:
            return _accept
        if schema is False:
            return lambda value: False
        if not isinstance(schema, Mapping):
            raise ValueError(f"not a schema: {schema!r}")
        checks: list[Check] = []
        object_keywords = {key: schema[key] for key in ("properties", "required", "additionalProperties") if key in schema}
        if object_keywords:
            checks.append(self._object(object_keywords))
        for key, value in schema.items():
            if key in object_keywords or key in _IGNORED or (key.startswith("x-") and key != "x-discriminator"):
                continue
            checks.append(self._keyword(key, value))
        return _all(checks)

    def _keyword(self, key: str, value: Any) -> Check:
        if key == "$ref":
            return self.ref(value)
        if key == "type":
            return self._type(value)
        if key == "enum":
            return self._enum(value)
        if key == "const":
            return lambda instance: _same(instance, value)
        if key == "format":
            checker = self._format_checker
            return lambda instance: checker.conforms(instance, value)
        if key == "pattern":
            search = re.compile(value).search
            return lambda instance: not isinstance(instance, str) or search(instance) is not None
        if key in ("minLength", "maxLength", "minItems", "maxItems", "minimum", "maximum"):
            return _bound(key, value)
        if key == "uniqueItems":
            return _unique if value else _accept
        if key == "items":
            item = self.compile(value)
            return lambda instance: not isinstance(instance, list) or all(item(element) for element in instance)
        if key in ("allOf", "anyOf", "oneOf"):
            return self._combine(key, [self.compile(sub) for sub in value])
        if key == "not":
            negated = self.compile(value)
            return lambda instance: not negated(instance)
        if key == "x-discriminator":
            return self._discriminator(value)
        raise ValueError(f"unsupported JSON Schema keyword {key!r}")

    def _type(self, value: str | list[str]) -> Check:
        names = [value] if isinstance(value, str) else list(value)
        checks = [_TYPES[name] for name in names]
        if len(checks) == 1:
            return checks[0]
        return lambda instance: any(check(instance) for check in checks)

    def _enum(self, values: list[Any]) -> Check:
        if all(isinstance(value, str) for value in values):
            allowed = frozenset(values)
            return lambda instance: isinstance(instance, str) and instance in allowed
        return lambda instance: any(_same(instance, value) for value in values)

    def _object(self, keywords: Mapping[str, Any]) -> Check:
        properties = {name: self.compile(sub) for name, sub in keywords.get("properties", {}).items()}
        required = tuple(keywords.get("required", ()))
        extra_schema = keywords.get("additionalProperties", True)
        extra = None if extra_schema is True else self.compile(extra_schema)

        def check(instance: Any) -> bool:
            if not isinstance(instance, dict):
                return True
            for name in required:
                if name not in instance:
                    return False
            for name, value in instance.items():
                sub = properties.get(name)
                if sub is not None:
                    if not sub(value):
                        return False
                elif extra is not None and not extra(value):
                    return False
            return True

        return check

    def _combine(self, key: str, checks: list[Check]) -> Check:
        if key == "allOf":
            return _all(checks)
        if key == "anyOf":
            return lambda instance: any(check(instance) for check in checks)
        return lambda instance: sum(1 for check in checks if check(instance)) == 1

    def _discriminator(self, dispatch: Mapping[str, Any]) -> Check:
        prop: str = dispatch["propertyName"]
        mapping = {value: self.ref(target) for value, target in dispatch["mapping"].items()}

        def check(instance: Any) -> bool:
            if not isinstance(instance, dict):
                return True
            value = instance.get(prop)
            target = mapping.get(value) if isinstance(value, str) else None
            return target is None or target(instance)

        return check


def _bound(key: str, limit: float) -> Check:
    if key == "minLength":
        return lambda instance: not isinstance(instance, str) or len(instance) >= limit
    if key == "maxLength":
        return lambda instance: not isinstance(instance, str) or len(instance) <= limit
    if key == "minItems":
        return lambda instance: not isinstance(instance, list) or len(instance) >= limit
    if key == "maxItems":
        return lambda instance: not isinstance(instance, list) or len(instance) <= limit
    if key == "minimum":
        return lambda instance: not _is_number(instance) or instance >= limit
    return lambda instance: not _is_number(instance) or instance <= limit


def _unique(instance: Any) -> bool:
    if not isinstance(instance, list):
        return True
    seen = [json.dumps(element, sort_keys=True) for element in instance]
    return len(seen) == len(set(seen))
