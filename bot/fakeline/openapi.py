"""LINE's OpenAPI documents, turned once into fast JSON Schema validators.

The spec models polymorphism the OpenAPI 3.0 way: a base schema such as `Message` carries a
`discriminator` mapping `type` to sub-schemas, and each sub-schema is `allOf: [base, {...}]`.
Plain JSON Schema ignores `discriminator`, so a text message without `text` would pass. We rewrite
every reference to a discriminated base (outside the sub-schemas' own `allOf`) into a dispatcher:
`if type == "text" then TextMessage`, and so on, then compile the whole document once with
`jsonschema` (Draft 2020-12) and a format checker for the formats LINE uses.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from werkzeug.routing import Map, Rule

from bot.fakeline.fastcheck import Check, SchemaCompiler

SPEC_DIR = Path(__file__).with_name("spec")
MESSAGING_API_SPEC = SPEC_DIR / "messaging-api.yml"
WEBHOOK_SPEC = SPEC_DIR / "webhook.yml"

_SCHEMA_PREFIX = "#/components/schemas/"
_DISPATCH_SUFFIX = "__any"
_DISPATCH_KEYWORD = "x-discriminator"
# OpenAPI-only keywords that mean nothing to JSON Schema validation.
_DROPPED_KEYWORDS = frozenset(
    {"discriminator", "nullable", "example", "externalDocs", "description", "deprecated", "readOnly",
     "writeOnly", "xml"}
)
_METHODS = ("get", "put", "post", "delete", "patch")

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s]+$")


@dataclass(frozen=True)
class ErrorDetail:
    """One problem found in a request, in LINE's error-detail shape."""

    message: str
    property: str

    def to_dict(self) -> dict[str, str]:
        """The JSON form LINE uses in `details`."""
        return {"message": self.message, "property": self.property}


@dataclass(frozen=True)
class Parameter:
    """A path, query or header parameter of one operation."""

    name: str
    location: str
    required: bool
    validator: Draft202012Validator

    def check(self, raw: str) -> list[ErrorDetail]:
        """Check one raw string value against the parameter's schema."""
        value: Any = raw
        schema_type = self.validator.schema.get("type")
        if schema_type == "integer":
            try:
                value = int(raw)
            except ValueError:
                return [ErrorDetail("must be an integer", self.name)]
        return [ErrorDetail(_line_message(error), self.name) for error in self.validator.iter_errors(value)]


@dataclass(frozen=True)
class Operation:
    """One operation of the spec: method, path template, parameters and body schema."""

    operation_id: str
    method: str
    path: str
    parameters: tuple[Parameter, ...]
    body_schema: str | None
    body_content_types: tuple[str, ...]
    body_required: bool
    body_validator: Draft202012Validator | None
    body_fast_check: Check | None

    def header(self, name: str) -> Parameter | None:
        """The declared header parameter of that name (case-insensitive), if any."""
        lowered = name.lower()
        for parameter in self.parameters:
            if parameter.location == "header" and parameter.name.lower() == lowered:
                return parameter
        return None

    def check_parameters(
        self, path_args: Mapping[str, str], query: Mapping[str, str], headers: Mapping[str, str]
    ) -> list[ErrorDetail]:
        """Check required-ness and schema of every declared parameter."""
        sources: dict[str, Mapping[str, str]] = {"path": path_args, "query": query, "header": headers}
        details: list[ErrorDetail] = []
        for parameter in self.parameters:
            source = sources.get(parameter.location)
            if source is None:
                continue
            raw = source.get(parameter.name)
            if raw is None:
                if parameter.required:
                    details.append(ErrorDetail("must be specified", parameter.name))
                continue
            details.extend(parameter.check(raw))
        return details

    def check_body(self, body: Any) -> list[ErrorDetail]:
        """Check a decoded JSON body against the operation's request schema."""
        if self.body_validator is None or self.body_fast_check is None or self.body_fast_check(body):
            return []
        # A sub-schema reached twice (base and sub-type) reports the same problem twice: once is enough.
        details = list(dict.fromkeys(_error_detail(error) for error in self.body_validator.iter_errors(body)))
        return details or [ErrorDetail(f"does not match the schema {self.body_schema}", "")]


def _error_detail(error: ValidationError) -> ErrorDetail:
    path = list(error.absolute_path)
    if error.validator == "required":
        missing = re.match(r"^'(.+)' is a required property$", error.message)
        if missing:
            return ErrorDetail("must be specified", line_property([*path, missing.group(1)]))
    return ErrorDetail(_line_message(error), line_property(path))


def _line_message(error: ValidationError) -> str:
    """LINE-like wording, and never the offending value itself (it may be 501 user IDs long)."""
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    keyword = error.validator
    if keyword in ("minItems", "maxItems"):
        return f"Size must be between {schema.get('minItems', 0)} and {schema.get('maxItems', 'unlimited')}"
    if keyword in ("minLength", "maxLength"):
        return f"Length must be between {schema.get('minLength', 0)} and {schema.get('maxLength', 'unlimited')}"
    if keyword == "minimum":
        return f"must be greater than or equal to {error.validator_value}"
    if keyword == "maximum":
        return f"must be less than or equal to {error.validator_value}"
    if keyword == "enum":
        return f"must be one of {', '.join(map(str, error.validator_value))}"
    if keyword == "type":
        return f"must be of type {error.validator_value}"
    if keyword == "format":
        return f"must be a valid {error.validator_value}"
    if keyword == "pattern":
        return f"must match {error.validator_value}"
    return error.message if len(error.message) <= 200 else error.message[:200] + "..."


def line_property(path: list[str | int]) -> str:
    """Render a JSON path the way LINE does in error details: `messages[0].contents.body`."""
    rendered = ""
    for part in path:
        if isinstance(part, int):
            rendered += f"[{part}]"
        else:
            rendered += f".{part}" if rendered else part
    return rendered


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())

    @checker.checks("uuid")
    def _is_uuid(value: object) -> bool:
        return not isinstance(value, str) or bool(_UUID.match(value))

    @checker.checks("uri")
    def _is_uri(value: object) -> bool:
        return not isinstance(value, str) or bool(_URI.match(value))

    @checker.checks("int32")
    def _is_int32(value: object) -> bool:
        return not isinstance(value, int) or -(2**31) <= value < 2**31

    @checker.checks("int64")
    def _is_int64(value: object) -> bool:
        return not isinstance(value, int) or -(2**63) <= value < 2**63

    @checker.checks("date-time")
    def _is_date_time(value: object) -> bool:
        if not isinstance(value, str):
            return True
        try:
            dt.datetime.fromisoformat(value)
        except ValueError:
            return False
        return True

    return checker


def _discriminated(schemas: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: schema["discriminator"]
        for name, schema in schemas.items()
        if isinstance(schema, dict) and "mapping" in schema.get("discriminator", {})
    }


def _convert(node: Any, bases: Mapping[str, Any], *, in_all_of: bool = False) -> Any:
    """Turn one OpenAPI 3.0 schema into JSON Schema 2020-12, dispatching on discriminators."""
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str):
        name = ref.removeprefix(_SCHEMA_PREFIX)
        if name in bases and not in_all_of:
            return {"$ref": f"{_SCHEMA_PREFIX}{name}{_DISPATCH_SUFFIX}"}
        return {"$ref": ref}
    converted: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROPPED_KEYWORDS:
            continue
        if key in ("properties", "patternProperties"):
            converted[key] = {name: _convert(sub, bases) for name, sub in value.items()}
        elif key in ("items", "not", "additionalProperties"):
            converted[key] = _convert(value, bases)
        elif key == "allOf":
            converted[key] = [_convert(sub, bases, in_all_of=True) for sub in value]
        elif key in ("anyOf", "oneOf"):
            converted[key] = [_convert(sub, bases) for sub in value]
        else:
            converted[key] = value
    if node.get("nullable") is True and isinstance(converted.get("type"), str):
        converted["type"] = [converted["type"], "null"]
    return converted


def _dispatcher(name: str, discriminator: Mapping[str, Any], uri: str) -> dict[str, Any]:
    prop = discriminator["propertyName"]
    mapping: Mapping[str, str] = discriminator["mapping"]
    return {
        "$ref": f"{_SCHEMA_PREFIX}{name}",
        "properties": {prop: {"enum": list(mapping)}},
        _DISPATCH_KEYWORD: {
            "propertyName": prop,
            "mapping": {value: f"{uri}{target}" for value, target in mapping.items()},
        },
    }


def _dispatch(
    validator: Any, dispatch: Mapping[str, Any], instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    """Validate against the one sub-schema the discriminator names (unknown values fail `enum`)."""
    if not isinstance(instance, dict):
        return
    value = instance.get(dispatch["propertyName"])
    target = dispatch["mapping"].get(value) if isinstance(value, str) else None
    if target is not None:
        yield from validator.descend(instance, {"$ref": target})


# Draft 2020-12 plus one keyword: evaluating one branch beats a chain of `if`/`then`.
OpenApiValidator = validators.extend(Draft202012Validator, {_DISPATCH_KEYWORD: _dispatch})


def json_schema_document(spec: Mapping[str, Any], uri: str) -> dict[str, Any]:
    """The spec's components as one JSON Schema resource, dispatchers added."""
    schemas: Mapping[str, Any] = spec.get("components", {}).get("schemas", {})
    bases = _discriminated(schemas)
    converted = {name: _convert(schema, bases) for name, schema in schemas.items()}
    for name, discriminator in bases.items():
        converted[f"{name}{_DISPATCH_SUFFIX}"] = _dispatcher(name, discriminator, uri)
    return {"$id": uri, "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": {"schemas": converted}}


class SchemaSet:
    """Compiled validators for the schemas of one OpenAPI document."""

    def __init__(self, spec: Mapping[str, Any], uri: str) -> None:
        self.uri = uri
        self.spec = spec
        document = json_schema_document(spec, uri)
        self.document = document
        resource = Resource.from_contents(document, default_specification=DRAFT202012)
        self._registry: Registry[Any] = Registry().with_resource(uri, resource)
        self._format_checker = _format_checker()
        self._bases = _discriminated(spec.get("components", {}).get("schemas", {}))
        self._compiler = SchemaCompiler(document["components"]["schemas"], uri, self._format_checker)

    def validator(self, schema: Mapping[str, Any]) -> Draft202012Validator:
        """A validator for an inline OpenAPI schema whose references point into this document."""
        converted = _rebase(_convert(dict(schema), self._bases), self.uri)
        return OpenApiValidator(converted, registry=self._registry, format_checker=self._format_checker)

    def fast_check(self, schema: Mapping[str, Any]) -> Check:
        """A compiled yes/no check for an inline OpenAPI schema, agreeing with `validator`."""
        return self._compiler.compile(_rebase(_convert(dict(schema), self._bases), self.uri))

    def named(self, name: str) -> Draft202012Validator:
        """A validator for `#/components/schemas/<name>` (dispatching if it is polymorphic)."""
        return self.validator({"$ref": f"{_SCHEMA_PREFIX}{name}"})


def _rebase(node: Any, uri: str) -> Any:
    if isinstance(node, dict):
        return {
            key: (f"{uri}{value}" if key == "$ref" and value.startswith("#") else _rebase(value, uri))
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rebase(item, uri) for item in node]
    return node


def _iter_operations(spec: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any], list[Any]]]:
    for path, item in spec.get("paths", {}).items():
        shared = item.get("parameters", [])
        for method in _METHODS:
            if method in item:
                yield path, method, item[method], shared


def _schema_name(schema: Mapping[str, Any]) -> str | None:
    ref = schema.get("$ref")
    return ref.removeprefix(_SCHEMA_PREFIX) if isinstance(ref, str) else None


class ApiSpec:
    """The operations of an OpenAPI document, routable and validatable."""

    def __init__(self, spec: Mapping[str, Any], uri: str) -> None:
        self.schemas = SchemaSet(spec, uri)
        self.operations: dict[str, Operation] = {}
        rules: list[Rule] = []
        for path, method, operation, shared in _iter_operations(spec):
            built = self._build(path, method, operation, shared)
            self.operations[built.operation_id] = built
            rules.append(Rule(_werkzeug_path(path), methods=[method.upper()], endpoint=built.operation_id))
        self.url_map = Map(rules, strict_slashes=False, merge_slashes=False)

    def _build(
        self, path: str, method: str, operation: Mapping[str, Any], shared: list[Any]
    ) -> Operation:
        parameters = tuple(
            Parameter(
                name=raw["name"],
                location=raw["in"],
                required=bool(raw.get("required", raw["in"] == "path")),
                validator=self.schemas.validator(raw.get("schema", {})),
            )
            for raw in [*shared, *operation.get("parameters", [])]
        )
        body = operation.get("requestBody", {})
        content: Mapping[str, Any] = body.get("content", {})
        body_schema: str | None = None
        body_validator: Draft202012Validator | None = None
        body_fast_check: Check | None = None
        json_content = content.get("application/json")
        if json_content is not None and "schema" in json_content:
            body_schema = _schema_name(json_content["schema"])
            body_validator = self.schemas.validator(json_content["schema"])
            body_fast_check = self.schemas.fast_check(json_content["schema"])
        return Operation(
            operation_id=operation["operationId"],
            method=method.upper(),
            path=path,
            parameters=parameters,
            body_schema=body_schema,
            body_content_types=tuple(content),
            body_required=bool(body.get("required", False)),
            body_validator=body_validator,
            body_fast_check=body_fast_check,
        )


def _werkzeug_path(path: str) -> str:
    return re.sub(r"\{([A-Za-z0-9_]+)\}", r"<\1>", path)


def _load_yaml(path: Path) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as handle:
        loaded = yaml.load(handle, Loader=loader)  # a safe loader, the C one when present
    if not isinstance(loaded, dict):
        raise ValueError(f"{path} is not an OpenAPI document")
    return loaded


@functools.cache
def messaging_api() -> ApiSpec:
    """The Messaging API spec, loaded and compiled once per process."""
    return ApiSpec(_load_yaml(MESSAGING_API_SPEC), "urn:line:messaging-api")


@functools.cache
def webhook_schemas() -> SchemaSet:
    """The webhook spec's schemas, loaded and compiled once per process."""
    return SchemaSet(_load_yaml(WEBHOOK_SPEC), "urn:line:webhook")


def webhook_body_errors(body: Any) -> list[ErrorDetail]:
    """What is wrong with a webhook request body according to LINE's webhook spec (empty: valid)."""
    return list(dict.fromkeys(_error_detail(error) for error in _callback_validator().iter_errors(body)))


@functools.cache
def _callback_validator() -> Draft202012Validator:
    return webhook_schemas().named("CallbackRequest")
