"""Validate JSON bodies against the official Azure ML swagger 2.0 specs (test support only).

The specs are read, never written, from ``tests/emulator/specs/specification/machinelearningservices``
(verbatim copies with their licence and provenance: ``tests/emulator/specs/README.md``; override
with the environment variable ``AZUREML_SPECS_DIR``). Each swagger document is converted to a JSON Schema
(draft 4) resource and validated with ``jsonschema``; ``$ref`` s resolve through a
``referencing`` registry keyed by file URI, so references into other files work too.

Conversion rules (they follow Azure's own spec validator, ``oav``: Azure/oav
``lib/transform/*.ts`` and ``lib/swaggerValidator/ajv*.ts``, so "valid here" means what it means
in Azure's model and traffic validation):

* Nullability (``nullableTransformer``): ``x-nullable: true`` allows ``null``; ``x-nullable:
  false`` forbids it; unmarked, a property that is **not** in its object's ``required`` list may be
  ``null``, a required one may not; array items and ``additionalProperties`` values may be ``null``.
  Azure services send ``null`` for absent fields (``"containerRegistry": null``) and the specs
  say "If null, there are no additional pages" for ``continuationToken`` typed ``string``.
* Polymorphism (``discriminatorTransformer`` / ``ajvDiscriminatorMap``): a definition with
  ``discriminator: <prop>`` accepts, by the value of ``<prop>``, itself (its own name) or any
  definition that reaches it through ``allOf`` (value: ``x-ms-discriminator-value``, else the
  definition name); the instance is then also validated against that subtype. An unknown value
  is an error. One deviation from oav: when no value matches exactly, a case-insensitive match is
  accepted, because modelManagement.json tags ``DockerImageResponse`` with
  ``WEBAPICONTAINER`` while the ``imageFlavor`` enum (what the service sends) is
  ``WebApiContainer``.
* ``type: object`` with no ``properties``, no ``additionalProperties`` and no ``allOf`` means
  "any JSON value" (``pureObjectTransformer``: C# ``object`` fields such as RunMetric cells hold
  numbers). Conversely a schema with ``properties`` but no ``type`` is an object (AutoRest's
  reading; the specs omit ``type`` on e.g. ``WorkspaceListResult``).
* ``type: file`` (a binary body, e.g. ``Artifacts_Download``) is not JSON: its schema is ``{}``
  and ``Response.binary`` is true.
* ``readOnly``, ``x-ms-*``, ``example`` are ignored (responses may carry read-only fields).
* Formats: ``date-time`` is RFC 3339 (``T``, any number of fraction digits, ``Z`` or an offset
  required, field ranges checked); ``uuid`` is the 8-4-4-4-12 hex form; ``int32`` / ``int64``
  check ranges; ``duration`` is an ISO 8601 duration (``PT5M``). ``byte``, ``binary``,
  ``double``, ``float``, ``password`` are not checked (as in oav).
* ``enum`` is exact, also for ``x-ms-enum.modelAsString: true`` (as in oav): the emulator
  speaks one api-version, so a value that version does not list is a finding.

The specs are lenient (no ``additionalProperties: false``), so a body with a misspelt field name
still validates. ``SpecSet.undocumented`` lists every property of an instance that its schema
does not declare (oav's ``noAdditionalPropertiesTransformer`` makes those errors); callers decide
which are allowed.

``Overlay`` adds constraints or definitions that the swagger does not have but another source
does (each overlay carries its source); a ``SpecSet`` built without overlays is the spec as
written.
"""

import copy
import json
import os
import re
from calendar import monthrange
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import jsonschema
from jsonschema import Draft4Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

ENV_SPECS_DIR = "AZUREML_SPECS_DIR"
# The copied upstream files: tests/emulator/specs/<path in Azure/azure-rest-api-specs>.
SPECS_ROOT = Path(__file__).resolve().parents[1] / "specs"

# Short names for the copied spec files (paths relative to the specs folder).
SPEC_FILES = {
    "arm": "resource-manager/Microsoft.MachineLearningServices/stable/2019-11-01/machineLearningServices.json",
    "mms": "data-plane/Microsoft.MachineLearningServices/preview/2019-09-30/modelManagement.json",
    "history": "data-plane/Microsoft.MachineLearningServices/preview/2019-09-30/runHistory.json",
    "artifact": "data-plane/Microsoft.MachineLearningServices/preview/2019-09-30/artifact.json",
    "datastore": "data-plane/Microsoft.MachineLearningServices/preview/2019-09-30/datastore.json",
}

PLAIN = "x-plain"  # where a discriminator base keeps its non-polymorphic schema
DISPATCH = "x-discriminator"  # keyword of the polymorphic wrapper (see _discriminator)
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


class SpecError(Exception):
    """The spec (or a map entry) is not what the caller expected: a missing file, operation,
    definition or status code. Distinct from a validation failure."""


class SpecValidationError(AssertionError):
    """An instance does not conform. ``errors`` is a list of ``"<json path>: <message>"``."""

    def __init__(self, what, errors):
        self.what = what
        self.errors = list(errors)
        lines = "\n  ".join(self.errors[:40])
        more = "" if len(self.errors) <= 40 else f"\n  ... {len(self.errors) - 40} more"
        super().__init__(f"{what} does not conform ({len(self.errors)} error(s)):\n  {lines}{more}")


def default_specs_dir():
    """``$AZUREML_SPECS_DIR``, else the copies in ``tests/emulator/specs`` (upstream layout)."""
    env = os.environ.get(ENV_SPECS_DIR)
    if env:
        return Path(env)
    return SPECS_ROOT / "specification" / "machinelearningservices"


# ---------------------------------------------------------------------------------------------
# formats

_DATE_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DURATION = re.compile(
    r"^P(?!$)(\d+(?:[.,]\d+)?Y)?(\d+(?:[.,]\d+)?M)?(\d+(?:[.,]\d+)?W)?(\d+(?:[.,]\d+)?D)?"
    r"(T(?=\d)(\d+(?:[.,]\d+)?H)?(\d+(?:[.,]\d+)?M)?(\d+(?:[.,]\d+)?S)?)?$"
)


def is_date_time(value):
    """RFC 3339 ``date-time`` (what swagger's ``format: date-time`` means)."""
    if not isinstance(value, str):
        return True
    m = _DATE_TIME.match(value)
    if not m:
        return False
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    if not (1 <= month <= 12 and 1 <= day <= monthrange(year, month)[1]):
        return False
    if hour > 23 or minute > 59 or second > 60:
        return False
    if m.group(8) and (int(m.group(9)) > 23 or int(m.group(10)) > 59):
        return False
    return True


def _int_range(bits):
    low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1

    def check(value):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return True
        return float(value).is_integer() and low <= value <= high

    return check


def make_format_checker():
    checker = FormatChecker(formats=())
    checker.checks("date-time")(is_date_time)
    checker.checks("uuid")(lambda v: not isinstance(v, str) or bool(_UUID.match(v)))
    checker.checks("duration")(lambda v: not isinstance(v, str) or bool(_DURATION.match(v)))
    checker.checks("int32")(_int_range(32))
    checker.checks("int64")(_int_range(64))
    return checker


FORMAT_CHECKER = make_format_checker()


# ---------------------------------------------------------------------------------------------
# overlays


@dataclass(frozen=True)
class Overlay:
    """A constraint the swagger lacks, with the source that states it.

    ``required`` adds names to the ``required`` list of ``definition`` (so, by the nullability
    rule, they may no longer be ``null`` either); ``schema`` instead adds a whole new
    ``definition`` (it must not exist in the spec) whose local ``$ref`` s point into that spec.
    """

    spec: str
    definition: str
    source: str
    required: tuple = ()
    schema: dict = field(default=None, hash=False, compare=False)


# ---------------------------------------------------------------------------------------------
# conversion


def _escape(token):
    return token.replace("~", "~0").replace("/", "~1")


def pointer(*tokens):
    """JSON pointer (URI-fragment form) from raw tokens."""
    return quote("/" + "/".join(_escape(str(t)) for t in tokens), safe="/~")


def _nullable(schema):
    if "$ref" in schema or "allOf" in schema or "anyOf" in schema or "oneOf" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    kind = schema.get("type")
    if kind is None:
        return schema  # accepts anything, null included
    schema = dict(schema)
    kinds = kind if isinstance(kind, list) else [kind]
    if "null" not in kinds:
        schema["type"] = kinds + ["null"]
    if "enum" in schema and None not in schema["enum"]:
        schema["enum"] = list(schema["enum"]) + [None]
    return schema


class _Converter:
    """Swagger 2.0 document -> JSON Schema draft 4 resource (same layout, schemas rewritten)."""

    def __init__(self, doc, uri, overlays):
        self.raw = copy.deepcopy(doc)
        self.uri = uri
        defs = self.raw.setdefault("definitions", {})
        for ov in overlays:
            if ov.schema is not None:
                if ov.definition in defs:
                    raise SpecError(f"overlay adds {ov.definition}, which the spec already defines")
                defs[ov.definition] = dict(copy.deepcopy(ov.schema), **{"x-overlay-source": ov.source})
            else:
                if ov.definition not in defs:
                    raise SpecError(f"overlay on unknown definition {ov.definition}")
                target = defs[ov.definition]
                target["required"] = sorted(set(target.get("required", [])) | set(ov.required))
        self.defs = defs
        self.bases = {name for name, d in defs.items() if isinstance(d, dict) and "discriminator" in d}
        self.subtypes = self._subtypes()

    def _local_def(self, ref):
        if isinstance(ref, str) and ref.startswith("#/definitions/"):
            name = ref[len("#/definitions/") :]
            return name if name in self.defs else None
        return None

    def _root(self, name, seen=()):
        """Discriminator base reached from ``name`` through allOf, or None."""
        if name in self.bases:
            return name
        if name in seen:
            return None
        for part in self.defs[name].get("allOf", []):
            parent = self._local_def(part.get("$ref")) if isinstance(part, dict) else None
            if parent:
                root = self._root(parent, seen + (name,))
                if root:
                    return root
        return None

    def _subtypes(self):
        mapping = {base: {base: None} for base in self.bases}
        for name, d in self.defs.items():
            if name in self.bases:
                continue
            root = self._root(name)
            if root:
                value = d.get("x-ms-discriminator-value", name)
                mapping[root][value] = self.uri + "#" + pointer("definitions", name)
        return mapping

    def convert(self):
        out = {k: v for k, v in self.raw.items() if k not in ("definitions", "paths", "responses", "parameters")}
        out["definitions"] = {}
        out[PLAIN] = {}
        for name, d in self.defs.items():
            converted = self.schema(d, in_all_of_of_subtype=False)
            if name in self.bases:
                out[PLAIN][name] = converted
                out["definitions"][name] = {
                    "allOf": [{"$ref": "#" + pointer(PLAIN, name)}],
                    DISPATCH: {
                        "property": d["discriminator"],
                        "base": name,
                        "mapping": self.subtypes[name],
                    },
                }
            else:
                out["definitions"][name] = converted
        out["paths"] = {}
        for path, item in self.raw.get("paths", {}).items():
            out["paths"][path] = new_item = {}
            for method, op in item.items():
                if method not in HTTP_METHODS:
                    new_item[method] = op
                    continue
                new_op = dict(op)
                new_op["responses"] = {}
                for status, resp in op.get("responses", {}).items():
                    resp = dict(resp)
                    if "schema" in resp:
                        resp["schema"] = self.schema(resp["schema"])
                    new_op["responses"][status] = resp
                new_item[method] = new_op
        for section in ("responses",):
            if section in self.raw:
                out[section] = {k: dict(v, schema=self.schema(v["schema"])) if "schema" in v else v for k, v in self.raw[section].items()}
        if "parameters" in self.raw:
            out["parameters"] = self.raw["parameters"]
        return out

    def schema(self, s, in_all_of_of_subtype=False):
        if not isinstance(s, dict):
            return s
        if "$ref" in s:
            ref = s["$ref"]
            name = self._local_def(ref)
            if in_all_of_of_subtype and name in self.bases:
                ref = "#" + pointer(PLAIN, name)
            return {"$ref": ref}
        out = {}
        for key, value in s.items():
            if key in ("discriminator", "readOnly", "example", "x-nullable", "x-ms-discriminator-value"):
                continue
            if key == "properties":
                required = set(s.get("required", []))
                out[key] = {prop: self._maybe_nullable(sub, default=prop not in required) for prop, sub in value.items()}
            elif key == "additionalProperties" and isinstance(value, dict):
                out[key] = self._maybe_nullable(value, default=True)
            elif key == "items":
                if isinstance(value, list):
                    out[key] = [self._maybe_nullable(v, default=True) for v in value]
                else:
                    out[key] = self._maybe_nullable(value, default=True)
            elif key == "allOf":
                out[key] = [self.schema(v, in_all_of_of_subtype=True) for v in value]
            elif key in ("anyOf", "oneOf"):
                out[key] = [self.schema(v) for v in value]
            elif key == "not":
                out[key] = self.schema(value)
            else:
                out[key] = value
        if out.get("type") == "file":
            out.pop("type")
            out.pop("format", None)
            out["x-file"] = True
        has_props = bool(out.get("properties"))
        if out.get("type") == "object" and not has_props and "additionalProperties" not in out and "allOf" not in out:
            out.pop("type")
        elif "type" not in out and (has_props or isinstance(out.get("additionalProperties"), dict)):
            out["type"] = "object"
        return out

    def _target(self, s):
        name = self._local_def(s.get("$ref")) if "$ref" in s else None
        return self.defs[name] if name else s

    def _maybe_nullable(self, sub, default):
        if not isinstance(sub, dict):
            return sub
        flag = sub.get("x-nullable", self._target(sub).get("x-nullable"))
        converted = self.schema(sub)
        if flag is True or (flag is None and default):
            return _nullable(converted)
        return converted


# ---------------------------------------------------------------------------------------------
# the validator


def _discriminator(validator, spec, instance, schema):
    if not validator.is_type(instance, "object"):
        return
    prop = spec["property"]
    value = instance.get(prop)
    if not isinstance(value, str):
        return  # absent: the base's "required" decides; not a string: the property's own type fails
    mapping = spec["mapping"]
    if value in mapping:
        target = mapping[value]
    else:
        folded = [k for k in mapping if k.casefold() == value.casefold()]
        if not folded:
            yield ValidationError(
                f"{value!r} is not a known {prop} of {spec['base']} (known: {', '.join(sorted(mapping))})",
                validator=DISPATCH,
                validator_value=spec,
                instance=instance,
                schema=schema,
            )
            return
        target = mapping[folded[0]]
    if target is not None:
        yield from validator.descend(instance, {"$ref": target})


SwaggerValidator = jsonschema.validators.extend(Draft4Validator, {DISPATCH: _discriminator})


def _path(error):
    out = "$"
    for part in error.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else "." + str(part)
    return out


def _sort_key(error):
    return tuple((0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in error.absolute_path)


def _flatten(error):
    """Leaf messages; a nullable wrapper's "not valid under any of" becomes its real cause."""
    if error.validator == "anyOf" and error.context:
        branches = error.validator_value
        null_idx = [i for i, b in enumerate(branches) if b == {"type": "null"}]
        if null_idx:
            inner = [e for e in error.context if e.relative_schema_path[0] not in null_idx]
            if inner:
                out = []
                for e in inner:
                    out.extend(_flatten(e))
                return out
    if error.validator == "allOf" and error.context:
        out = []
        for e in error.context:
            out.extend(_flatten(e))
        return out
    return [(_sort_key(error), f"{_path(error)}: {error.message}")]


@dataclass
class Response:
    """What a spec operation declares for one status code."""

    spec: str
    operation_id: str
    method: str
    path: str
    status: str  # the key found: the status itself or "default"
    declared: bool  # False when only "default" covers the status
    schema_uri: str = None  # None: no body declared
    definition: str = None  # name of the referenced definition, when the schema is a plain $ref
    binary: bool = False


class SwaggerDocument:
    def __init__(self, name, path, raw, converted, uri):
        self.name = name
        self.path = path
        self.raw = raw
        self.converted = converted
        self.uri = uri
        self._ops = {}
        for p, item in raw.get("paths", {}).items():
            for method, op in item.items():
                if method in HTTP_METHODS and isinstance(op, dict) and op.get("operationId"):
                    self._ops[op["operationId"]] = (p, method)

    @property
    def operation_ids(self):
        return sorted(self._ops)

    @property
    def definitions(self):
        return sorted(self.converted["definitions"])

    def definition_uri(self, name):
        if name not in self.converted["definitions"]:
            raise SpecError(f"{self.name} has no definition {name!r}")
        return self.uri + "#" + pointer("definitions", name)

    def operation(self, operation_id=None, path=None, method=None):
        """``(path, method)`` of an operation, by id or by path + method."""
        if operation_id is not None:
            try:
                return self._ops[operation_id]
            except KeyError:
                raise SpecError(f"{self.name} has no operation {operation_id!r}") from None
        method = method.lower()
        if path not in self.raw.get("paths", {}) or method not in self.raw["paths"][path]:
            raise SpecError(f"{self.name} has no {method.upper()} {path}")
        return path, method

    def response(self, operation_id=None, status="200", path=None, method=None):
        p, m = self.operation(operation_id, path, method)
        op = self.raw["paths"][p][m]
        responses = op.get("responses", {})
        key = str(status)
        declared = key in responses
        if not declared:
            if "default" not in responses:
                raise SpecError(f"{self.name} {op.get('operationId')} declares no response {key} and no default")
            key = "default"
        resp = Response(self.name, op.get("operationId"), m.upper(), p, key, declared)
        schema = responses[key].get("schema")
        if schema is not None:
            resp.schema_uri = self.uri + "#" + pointer("paths", p, m, "responses", key, "schema")
            ref = schema.get("$ref", "")
            if ref.startswith("#/definitions/"):
                resp.definition = ref[len("#/definitions/") :]
            resp.binary = schema.get("type") == "file"
        return resp

    def statuses(self, operation_id=None, path=None, method=None):
        p, m = self.operation(operation_id, path, method)
        return sorted(self.raw["paths"][p][m].get("responses", {}))


class SpecSet:
    """The spec files of one folder, converted once, validated against with one registry."""

    def __init__(self, specs_dir=None, overlays=()):
        self.dir = Path(specs_dir) if specs_dir else default_specs_dir()
        if not self.dir.is_dir():
            raise SpecError(f"spec folder {self.dir} not found (set {ENV_SPECS_DIR})")
        self.overlays = tuple(overlays)
        self._docs = {}
        self._registry = Registry()
        self._validators = {}

    # documents ---------------------------------------------------------------------------
    def _file(self, spec):
        rel = SPEC_FILES.get(spec, spec)
        path = (self.dir / rel).resolve()
        if not path.is_file():
            raise SpecError(f"spec file {path} not found")
        return path

    def document(self, spec):
        """The document for a short name (``arm``, ``mms``, ...) or a path under the folder."""
        path = self._file(spec)
        uri = path.as_uri()
        if uri not in self._docs:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if raw.get("swagger") != "2.0":
                raise SpecError(f"{path} is not a swagger 2.0 document")
            short = next((k for k, v in SPEC_FILES.items() if (self.dir / v).resolve() == path), str(path))
            overlays = [o for o in self.overlays if self._file(o.spec) == path]
            converted = _Converter(raw, uri, overlays).convert()
            self._docs[uri] = SwaggerDocument(short, path, raw, converted, uri)
            self._registry = self._registry.with_resource(uri, Resource(contents=converted, specification=DRAFT4))
            self._load_external_refs(raw, path)
            self._validators.clear()
        return self._docs[uri]

    def _load_external_refs(self, node, path):
        """Load every file another file refers to, so the registry can resolve it."""
        stack = [node]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                ref = item.get("$ref")
                if isinstance(ref, str) and not ref.startswith("#"):
                    target = ref.split("#", 1)[0]
                    other = (path.parent / target).resolve()
                    # a file that is not there fails when (if ever) a validation needs it
                    if target and "://" not in target and other.is_file():
                        self.document(str(other.relative_to(self.dir.resolve())))
                stack.extend(v for k, v in item.items() if k != "x-ms-examples")
            elif isinstance(item, list):
                stack.extend(item)

    def _validator(self, uri):
        if uri not in self._validators:
            self._validators[uri] = SwaggerValidator({"$ref": uri}, registry=self._registry, format_checker=FORMAT_CHECKER)
        return self._validators[uri]

    # validation ----------------------------------------------------------------------------
    def errors_for_uri(self, instance, uri):
        leaves = []
        for e in self._validator(uri).iter_errors(instance):
            leaves.extend(_flatten(e))
        out = []
        for _key, line in sorted(leaves, key=lambda leaf: leaf[0]):  # stable: schema order within one path
            if line not in out:
                out.append(line)
        return out

    def errors(self, instance, spec, definition):
        """Messages (empty when valid) for ``instance`` against ``spec``'s ``definition``."""
        return self.errors_for_uri(instance, self.document(spec).definition_uri(definition))

    def validate(self, instance, spec, definition):
        errors = self.errors(instance, spec, definition)
        if errors:
            raise SpecValidationError(f"{spec}:{definition}", errors)

    def is_valid(self, instance, spec, definition):
        return not self.errors(instance, spec, definition)

    def response(self, spec, operation_id=None, status="200", path=None, method=None):
        return self.document(spec).response(operation_id, status, path, method)

    def validate_response(self, instance, spec, operation_id=None, status="200", *, path=None, method=None):
        """Validate a response body against what ``operation_id`` declares for ``status``
        (or ``default``). Returns the ``Response`` used. A status without a schema accepts any
        body; a binary (``type: file``) one is not checked."""
        resp = self.response(spec, operation_id, status, path, method)
        if resp.schema_uri and not resp.binary:
            errors = self.errors_for_uri(instance, resp.schema_uri)
            if errors:
                raise SpecValidationError(f"{spec} {resp.operation_id} response {resp.status}", errors)
        return resp

    # undocumented properties ---------------------------------------------------------------
    def undocumented(self, instance, spec, definition):
        """``[(owner, json_path, name)]`` for every property of ``instance`` that the schema of
        the object holding it does not declare. ``owner`` is the definition (plus the inline path
        inside it) that holds the property, e.g. ``Workspace``, ``AmlCompute.properties``."""
        doc = self.document(spec)
        resolver = self._registry.resolver(base_uri=doc.uri)
        out = []
        self._walk(instance, [({"$ref": doc.definition_uri(definition)}, resolver, definition)], "$", out)
        return out

    def _expand(self, schema, resolver, owner, instance, acc, *, depth=0):
        """Collect the object schemas that apply to ``instance`` (refs, allOf, discriminator)."""
        if depth > 50 or not isinstance(schema, dict):
            return
        if "$ref" in schema:
            resolved = resolver.lookup(schema["$ref"])
            ref = schema["$ref"]
            frag = ref.split("#", 1)[1] if "#" in ref else ""
            name = frag.rsplit("/", 1)[-1] if frag.startswith(("/definitions/", "/" + PLAIN + "/")) else owner
            self._expand(resolved.contents, resolved.resolver, name, instance, acc, depth=depth + 1)
            return
        if "anyOf" in schema:
            for branch in schema["anyOf"]:
                if branch != {"type": "null"}:
                    self._expand(branch, resolver, owner, instance, acc, depth=depth + 1)
        for part in schema.get("allOf", []):
            self._expand(part, resolver, owner, instance, acc, depth=depth + 1)
        if DISPATCH in schema and isinstance(instance, dict):
            spec = schema[DISPATCH]
            value = instance.get(spec["property"])
            target = spec["mapping"].get(value)
            if target is None and isinstance(value, str):
                folded = [k for k in spec["mapping"] if k.casefold() == value.casefold()]
                target = spec["mapping"][folded[0]] if folded else None
            if target:
                self._expand({"$ref": target}, resolver, owner, instance, acc, depth=depth + 1)
        acc.append((schema, resolver, owner))

    def _walk(self, instance, schemas, path, out):
        if isinstance(instance, dict):
            acc = []
            for schema, resolver, owner in schemas:
                self._expand(schema, resolver, owner, instance, acc)
            props = {}
            extra = []
            closed = False
            for schema, resolver, owner in acc:
                if schema.get("properties"):
                    closed = True
                    for name, sub in schema["properties"].items():
                        props.setdefault(name, []).append((sub, resolver, f"{owner}.{name}"))
                addl = schema.get("additionalProperties")
                if addl is True or isinstance(addl, dict):
                    closed = False if addl is True else closed
                    if isinstance(addl, dict):
                        extra.append((addl, resolver, owner + ".*"))
            if extra:
                closed = False
            owner = next((o for s, r, o in reversed(acc) if s.get("properties")), None)
            for key, value in instance.items():
                if key in props:
                    self._walk(value, props[key], f"{path}.{key}", out)
                elif extra:
                    self._walk(value, extra, f"{path}.{key}", out)
                elif closed:
                    out.append((owner, f"{path}.{key}", key))
        elif isinstance(instance, list):
            items = []
            for schema, resolver, owner in schemas:
                acc = []
                self._expand(schema, resolver, owner, instance, acc)
                for s, r, o in acc:
                    if isinstance(s.get("items"), dict):
                        items.append((s["items"], r, o + "[]"))
            if items:
                for i, value in enumerate(instance):
                    self._walk(value, items, f"{path}[{i}]", out)
