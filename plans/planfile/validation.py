"""Validation of a parsed plan file: every problem at once, each with its place."""

from __future__ import annotations

import datetime
from collections import Counter
from typing import Any

from django.db import models

from plans import models as m
from schools.models import Trust

from .loading import capped
from .schema import (
    FORMAT,
    PLAN_FIELDS,
    PLAN_PARTS,
    REGISTRIES,
    REGISTRY_SCOPES,
    SCOPE_WORDS,
    TOP_KEYS,
    VERSION,
    F,
    Node,
    PlanFileError,
    node_context_name,
    node_key_order,
    quote,
    registry_key,
    shorten,
)


def _check_plan(item: dict, ctx: dict) -> list[tuple[str, str]]:
    start, end = item.get("start_year"), item.get("end_year")
    if isinstance(start, int) and isinstance(end, int) and start >= end:
        return [("end_year", f"must be after start_year ({start})")]
    return []


def _name(key: Any) -> str:
    """A key as written (cut short), for the place of an unknown key."""
    return shorten(key, 60) if isinstance(key, str) else quote(key)


class _Validator:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.registry: Counter[tuple] = Counter()  # registry_key -> how many items have that name
        self.seen: dict[tuple, str] = {}

    def error(self, path: str, message: str) -> None:
        self.errors.append(shorten(f"{path}: {message}" if path else message))

    def ref(self, f: F, ctx: dict, value: Any, path: str) -> None:
        count = self.registry[registry_key(f.target, ctx, value)] if isinstance(value, (str, int)) else 0
        what = REGISTRIES[f.target].key
        if count == 0:
            where = SCOPE_WORDS[REGISTRY_SCOPES[f.target]]
            self.error(path, f"no {f.target} with {what} {quote(value)} in this {where}")
        elif count > 1:
            self.error(path, f"more than one {f.target} is named {quote(value)}")

    def value(self, f: F, value: Any, path: str, model: type[models.Model], ctx: dict) -> None:
        """Check one value against its field; `path` names it."""
        if value is None or value == "" or value == []:
            if f.required:
                self.error(path, "is required")
            return
        kind = f.kind
        if kind in ("text", "line"):
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                hint = " (put it in quotes)" if isinstance(value, (float, datetime.date)) else ""
                self.error(path, f"must be text, not {type(value).__name__}{hint}")
                return
            value = str(value)
            if kind == "line" and "\n" in value.strip():
                self.error(path, "must be a single line")
            max_length = getattr(model._meta.get_field(f.model_attr), "max_length", None)
            if max_length and len(value.strip()) > max_length:
                self.error(path, f"is {len(value.strip())} characters long; at most {max_length} fit")
        elif kind in ("int", "year"):
            if isinstance(value, bool) or not isinstance(value, int):
                self.error(path, f"must be a whole number, not {quote(value)}")
            elif (f.min is not None and value < f.min) or (f.max is not None and value > f.max):
                self.error(path, f"{quote(value)} is outside {f.min}..{f.max}")
        elif kind == "date":
            if isinstance(value, str):
                try:
                    datetime.date.fromisoformat(value)
                except ValueError:
                    self.error(path, f"{quote(value)} is not a date like 2024-01-31")
            elif not isinstance(value, datetime.date):
                self.error(path, f"{quote(value)} is not a date like 2024-01-31")
        elif kind == "choice":
            if value not in f.choices:
                self.error(path, f"{quote(value)} is not one of {', '.join(f.choices)}")
        elif kind == "strlist":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                self.error(path, "must be a list of text lines")
        elif kind == "ref":
            self.ref(f, ctx, value, path)
        elif kind == "reflist":
            if not isinstance(value, list):
                self.error(path, "must be a list")
                return
            for i, ref in enumerate(value):
                self.ref(f, ctx, ref, f"{path}[{i}]")
            if len(set(map(str, value))) != len(value):
                self.error(path, "lists the same item twice")

    def item(self, fields: list[F], allowed: list[str], item: Any, path: str, model, ctx: dict | None = None) -> bool:
        if not isinstance(item, dict):
            self.error(path, f"must be a mapping of keys to values, not {type(item).__name__}")
            return False
        for key in item:
            if key not in allowed:
                self.error(
                    f"{path}.{_name(key)}" if path else _name(key),
                    f"unknown key (expected one of: {', '.join(allowed)})",
                )
        for f in fields:
            self.value(f, item.get(f.key), f"{path}.{f.key}" if path else f.key, model, ctx or {})
        return True

    def node(self, node: Node, items: Any, path: str, ctx: dict) -> None:
        if items is None:
            return
        if not isinstance(items, list):
            self.error(path, "must be a list")
            return
        allowed = node_key_order(node)
        for i, item in enumerate(items):
            here = f"{path}[{i}]"
            if node.scalar:
                if isinstance(item, (dict, list)):
                    self.error(here, "must be a line of text")
                    continue
                item = {"text": item}
            if not self.item(node.fields, allowed, item, here, node.model, ctx):
                continue
            if node.natural_key and item.get(node.natural_key) not in (None, ""):
                natural = str(item[node.natural_key])
                seen_key = (node.key, ctx.get(node.unique_scope), natural)
                if seen_key in self.seen:
                    self.error(
                        f"{here}.{node.natural_key}", f"{quote(natural)} is already used at {self.seen[seen_key]}"
                    )
                else:
                    self.seen[seen_key] = here
            name = item.get(node.registry_key or node.natural_key) if node.registry else None
            if name not in (None, "") and isinstance(name, (str, int)):
                key = registry_key(node.registry, ctx, name)
                if node.registry_key or not self.registry[key]:  # a repeated natural key is reported above
                    self.registry[key] += 1
            if node.check:
                for key, message in node.check(item, ctx):
                    self.error(f"{here}.{key}" if key else here, message)
            inner = {**ctx, node_context_name(node): here}
            for child in node.children:
                self.node(child, item.get(child.key), f"{here}.{child.key}", inner)
            if node.recursive:
                number = item.get("number") if isinstance(item.get("number"), str) else None
                self.node(node, item.get("children"), f"{here}.children", {**ctx, "parent_number": number})


def validate(data: Any) -> None:
    """Raise PlanFileError listing every problem in `data` (a parsed plan file)."""
    v = _Validator()
    if not isinstance(data, dict):
        raise PlanFileError(["the file must be a mapping with the keys format, version, trust and plan"])
    for key in data:
        if key not in TOP_KEYS:
            v.error(_name(key), f"unknown key (expected one of: {', '.join(TOP_KEYS)})")
    if data.get("format") != FORMAT:
        v.error("format", f"must be {FORMAT!r}, found {quote(data.get('format'))}")
    if data.get("version") != VERSION:
        v.error(
            "version", f"version {quote(data.get('version'))} is not supported; this program reads version {VERSION}"
        )
    trust = data.get("trust")
    trust_fields = [F("name", "line", required=True), F("slug", "line", required=True)]
    if trust is None:
        v.error("trust", "is required")
    else:
        v.item(trust_fields, ["name", "slug"], trust, "trust", Trust)
    plan = data.get("plan")
    if plan is None:
        v.error("plan", "is required")
    elif v.item(PLAN_FIELDS, [f.key for f in PLAN_FIELDS] + [n.key for n in PLAN_PARTS], plan, "plan", m.StrategicPlan):
        for key, message in _check_plan(plan, {}):
            v.error(f"plan.{key}", message)
        if not plan.get("aims"):
            v.error("plan.aims", "a plan needs at least one aim")
        for node in PLAN_PARTS:
            v.node(node, plan.get(node.key), f"plan.{node.key}", {"plan": "plan"})
        for i, guide in enumerate(plan.get("pocket_guides") or []):
            if isinstance(guide, dict) and not guide.get("groups"):
                v.error(f"plan.pocket_guides[{i}].groups", "a pocket guide needs at least one group")
    if v.errors:
        raise PlanFileError(capped(v.errors))
