"""Plan files: validate, import (update in place) and export. The format is docs/plan-format.md.

One declarative description of the format (`PLAN_FIELDS`, `PLAN_PARTS`) drives all three, so
what is validated, what is written and what is exported cannot drift apart.

Import is all-or-nothing: the whole file is validated first and every problem is reported with its
place (`aims[3].strategies[2].number: ...`); only a valid file is written, inside one transaction.
Rows are matched to what is already in the database by their natural key (aim code, strand slug,
strategy number ...) or, for plain lists, by position, and saved only when something changed, so
importing the same file twice writes nothing and history keeps only real changes.
"""

from __future__ import annotations

import datetime
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml
from django.db import models, transaction
from django.db.models import ProtectedError

from schools.models import Trust

from . import models as m

FORMAT = "smart-trust-plan"
VERSION = 1


class PlanFileError(Exception):
    """The file cannot be imported; `errors` lists every problem with its place."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass(frozen=True)
class F:
    """One scalar (or list-of-scalars) key of an item, and the model attribute it maps to."""

    key: str
    kind: str = "text"  # text | line | int | date | choice | strlist | ref | reflist | year
    required: bool = False
    attr: str | None = None
    target: str | None = None  # ref/reflist: the registry of the item referred to
    choices: tuple[str, ...] = ()
    min: int | None = None
    max: int | None = None
    default: Any = None

    @property
    def model_attr(self) -> str:
        return self.attr or self.key


@dataclass
class Node:
    """A list of items in the file, stored as rows of `model`."""

    key: str
    model: type[models.Model]
    fields: list[F]
    owner: str  # context name of the enclosing item; the model has a FK of that name
    links: tuple[str, ...] = ()  # further context objects the model points at
    natural_key: str | None = None  # key that matches rows on re-import; else by position
    scope: str | None = None  # where the natural key is unique (default: the owner)
    registry: str | None = None  # others refer to items of this list by their natural key
    registry_key: str | None = None  # ... or by this key, when it is not the natural key
    registry_scope: str | None = None  # context where registry names are unique (default: the plan)
    children: list[Node] = field(default_factory=list)
    recursive: bool = False  # items nest under `children` (strategies)
    check: Callable[[dict, dict], list[tuple[str, str]]] | None = None
    key_order: tuple[str, ...] = ()  # where child lists sit among the fields, when not last
    scalar: bool = False  # items are plain text in the file (stored in the field `text`)

    @property
    def unique_scope(self) -> str:
        return self.scope or self.owner


NUMBER_RE = re.compile(r"^\d+(\.\d+)*$")


def _check_strategy(item: dict, ctx: dict) -> list[tuple[str, str]]:
    problems = []
    number = item.get("number")
    if isinstance(number, float):
        problems.append(("number", f"write {number!r} in quotes ('{number}') so it is read as text"))
    elif isinstance(number, str) and number:
        if not NUMBER_RE.match(number):
            problems.append(("number", f"{number!r} is not a number like 4.1 or 4.1.2"))
        parent_number = ctx.get("parent_number")
        if parent_number and not number.startswith(parent_number + "."):
            problems.append(
                ("number", f"{number!r} is under {parent_number!r}, so it must start with '{parent_number}.'")
            )
    if not item.get("title") and not item.get("text"):
        problems.append(("", "a strategy needs a title or a text"))
    return problems


def _check_headline_block(item: dict, ctx: dict) -> list[tuple[str, str]]:
    has_column, has_group = (item.get(key) not in (None, "") for key in ("column", "group"))
    if has_column and has_group:
        return [("", "give a column or a group for the block, not both")]
    if not has_column and not has_group:
        return [("", "give a column or a group for the block")]
    return []


def _check_plan(item: dict, ctx: dict) -> list[tuple[str, str]]:
    start, end = item.get("start_year"), item.get("end_year")
    if isinstance(start, int) and isinstance(end, int) and start >= end:
        return [("end_year", f"must be after start_year ({start})")]
    return []


STATUS = tuple(m.Status.values)

STRATEGIES = Node(
    "strategies",
    m.Strategy,
    owner="aim",
    fields=[F("number", "line"), F("title", "line"), F("text")],
    natural_key="number",
    scope="aim",
    recursive=True,
    check=_check_strategy,
)

PLAN_FIELDS = [
    F("slug", "line", required=True),
    F("title", "line", required=True),
    F("short_title", "line"),
    F("subtitles", "strlist", default=[]),
    F("tagline", "line"),
    F("start_year", "int", required=True, min=1990, max=2100),
    F("end_year", "int", required=True, min=1990, max=2100),
    F("status", "choice", choices=STATUS, default=m.Status.PUBLISHED.value),
    F("introduction"),
    F("values_intro"),
    F("principles_name", "line"),
    F("principles_intro"),
    F("vision_intro"),
    F("vision_outro"),
    F("review_cycle_intro"),
    F("references_intro"),
]

PLAN_PARTS = [
    Node("values", m.SharedValue, owner="plan", fields=[F("name", "line", required=True), F("description")]),
    Node(
        "principles",
        m.Principle,
        owner="plan",
        fields=[F("letter", "line", required=True), F("word", "line", required=True), F("description")],
        natural_key="letter",
        registry="principle",
    ),
    Node(
        "vision",
        m.VisionHeading,
        owner="plan",
        fields=[F("heading", "line", required=True)],
        children=[Node("bullets", m.VisionBullet, owner="heading", fields=[F("text", required=True)], scalar=True)],
    ),
    Node(
        "focus_columns",
        m.FocusColumn,
        owner="plan",
        fields=[F("code", "line", required=True), F("name", "line")],
        natural_key="code",
        registry="column",
    ),
    Node(
        "strands",
        m.Strand,
        owner="plan",
        fields=[F("slug", "line", required=True), F("name", "line", required=True), F("statement")],
        natural_key="slug",
        registry="strand",
        children=[
            Node(
                "rights",
                m.StrandRight,
                owner="strand",
                fields=[F("principle", "ref", required=True, target="principle"), F("text", required=True)],
                natural_key="principle",
            )
        ],
    ),
    Node(
        "aims",
        m.Aim,
        owner="plan",
        fields=[
            F("code", "line", required=True),
            F("title", "line", required=True),
            F("strand", "ref", target="strand"),
            F("summary", "line"),
            F("focus", "reflist", target="column", attr="focus_columns"),
            F("narrative"),
            F("long_term_goal"),
            F("strategies_heading", "line"),
        ],
        natural_key="code",
        registry="aim",
        key_order=(
            "code",
            "title",
            "strand",
            "summary",
            "focus",
            "narrative",
            "drivers",
            "long_term_goal",
            "strategies_heading",
            "strategies",
        ),  # fmt: skip
        children=[
            Node("drivers", m.Driver, owner="aim", fields=[F("text", required=True)], scalar=True),
            STRATEGIES,
        ],
    ),
    Node(
        "key_documents",
        m.KeyDocument,
        owner="plan",
        fields=[F("name", "line", required=True), F("notes")],
    ),
    Node(
        "roles",
        m.Responsibility,
        owner="plan",
        fields=[F("role", "line", required=True)],
        children=[Node("duties", m.Duty, owner="responsibility", fields=[F("text", required=True)], scalar=True)],
    ),
    Node(
        "review_cycle",
        m.ReviewPeriod,
        owner="plan",
        fields=[
            F("label", "line", required=True),
            F("start_month", "int", required=True, min=1, max=12),
            F("end_month", "int", required=True, min=1, max=12),
        ],
        children=[Node("activities", m.ReviewActivity, owner="period", fields=[F("text", required=True)], scalar=True)],
    ),
    Node("references", m.Reference, owner="plan", fields=[F("title", "line", required=True), F("notes")]),
    Node(
        "glossary",
        m.GlossaryTerm,
        owner="plan",
        fields=[F("term", "line", required=True), F("meaning", required=True)],
    ),
    Node(
        "pocket_guides",
        m.PocketGuide,
        owner="plan",
        fields=[
            F("year", "year", required=True, attr="academic_year", min=2000, max=2100),
            F("title", "line", required=True),
            F("year_label", "line"),
            F("status", "choice", choices=STATUS, default=m.Status.PUBLISHED.value),
            F("intro"),
            F("aims_heading", "line"),
            F("milestones_heading", "line"),
        ],
        natural_key="year",
        key_order=(
            "year",
            "title",
            "year_label",
            "status",
            "intro",
            "aims_heading",
            "milestones_heading",
            "column_headlines",
            "groups",
            "updates",
        ),  # fmt: skip
        # Groups are read before the headline blocks, which may name a group.
        children=[
            Node(
                "groups",
                m.PocketGuideGroup,
                owner="guide",
                fields=[
                    F("name", "line", required=True),
                    F("strand", "ref", target="strand"),
                    F("headline", "line"),
                ],
                registry="group",
                registry_key="name",
                registry_scope="guide",
                children=[
                    Node(
                        "milestones",
                        m.Milestone,
                        owner="group",
                        links=("guide",),
                        fields=[
                            F("aim", "ref", required=True, target="aim"),
                            F("number", "line"),
                            F("label", "line"),
                            F("phrase", "line"),
                            F("focus", "reflist", target="column", attr="focus_columns"),
                            F("milestone"),
                            F("elaboration"),
                        ],
                        natural_key="aim",
                        scope="guide",
                    )
                ],
            ),
            Node(
                "column_headlines",
                m.ColumnHeadline,
                owner="guide",
                fields=[
                    F("column", "ref", target="column"),
                    F("group", "ref", target="group"),
                    F("heading", "line"),
                ],
                natural_key="column",
                check=_check_headline_block,
                children=[
                    Node(
                        "bullets",
                        m.ColumnHeadlineBullet,
                        owner="headline",
                        fields=[F("text", required=True)],
                        scalar=True,
                    )
                ],
            ),
            Node(
                "updates",
                m.PocketGuideUpdate,
                owner="guide",
                fields=[F("date", "date", required=True), F("text", required=True)],
            ),
        ],
    ),
]


def _all_nodes(nodes: list[Node]):
    for node in nodes:
        yield node
        yield from _all_nodes(node.children)


# Which key of the file names an item of each registry, and which model attribute stores it.
REGISTRIES = {
    node.registry: next(f for f in node.fields if f.key == (node.registry_key or node.natural_key))
    for node in _all_nodes(PLAN_PARTS)
    if node.registry
}
# Where the names of a registry are unique: None for the whole plan, else a context name.
REGISTRY_SCOPES = {node.registry: node.registry_scope for node in _all_nodes(PLAN_PARTS) if node.registry}
SCOPE_WORDS = {None: "plan", "guide": "pocket guide"}


def _registry_key(target: str, ctx: dict, name: Any) -> tuple:
    """How an item is found by name: its registry, its scope (a path while validating, a row
    while writing) and its name."""
    scope = REGISTRY_SCOPES[target]
    where = ctx.get(scope) if scope else None
    return (target, getattr(where, "pk", where), str(name))


TOP_KEYS = ("format", "version", "trust", "plan")


def _node_key_order(node: Node) -> list[str]:
    if node.key_order:
        return list(node.key_order)
    keys = [f.key for f in node.fields] + [c.key for c in node.children]
    return keys + (["children"] if node.recursive else [])


# ---------------------------------------------------------------------------------------------
# Validation


class _Validator:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.registry: Counter[tuple] = Counter()  # _registry_key -> how many items have that name
        self.seen: dict[tuple, str] = {}

    def error(self, path: str, message: str) -> None:
        self.errors.append(f"{path}: {message}" if path else message)

    def ref(self, f: F, ctx: dict, value: Any, path: str) -> None:
        count = self.registry[_registry_key(f.target, ctx, value)] if isinstance(value, (str, int)) else 0
        what = REGISTRIES[f.target].key
        if count == 0:
            where = SCOPE_WORDS[REGISTRY_SCOPES[f.target]]
            self.error(path, f"no {f.target} with {what} {value!r} in this {where}")
        elif count > 1:
            self.error(path, f"more than one {f.target} is named {value!r}")

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
                self.error(path, f"must be a whole number, not {value!r}")
            elif (f.min is not None and value < f.min) or (f.max is not None and value > f.max):
                self.error(path, f"{value} is outside {f.min}..{f.max}")
        elif kind == "date":
            if isinstance(value, str):
                try:
                    datetime.date.fromisoformat(value)
                except ValueError:
                    self.error(path, f"{value!r} is not a date like 2024-01-31")
            elif not isinstance(value, datetime.date):
                self.error(path, f"{value!r} is not a date like 2024-01-31")
        elif kind == "choice":
            if value not in f.choices:
                self.error(path, f"{value!r} is not one of {', '.join(f.choices)}")
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
                    f"{path}.{key}" if path else str(key), f"unknown key (expected one of: {', '.join(allowed)})"
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
        allowed = _node_key_order(node)
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
                    self.error(f"{here}.{node.natural_key}", f"{natural!r} is already used at {self.seen[seen_key]}")
                else:
                    self.seen[seen_key] = here
            name = item.get(node.registry_key or node.natural_key) if node.registry else None
            if name not in (None, "") and isinstance(name, (str, int)):
                key = _registry_key(node.registry, ctx, name)
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


def node_context_name(node: Node) -> str:
    """The name children use for an item of this node (their `owner`)."""
    names = {
        m.VisionHeading: "heading",
        m.Strand: "strand",
        m.Aim: "aim",
        m.Responsibility: "responsibility",
        m.ReviewPeriod: "period",
        m.PocketGuide: "guide",
        m.ColumnHeadline: "headline",
        m.PocketGuideGroup: "group",
    }
    return names.get(node.model, node.key)


def validate(data: Any) -> None:
    """Raise PlanFileError listing every problem in `data` (a parsed plan file)."""
    v = _Validator()
    if not isinstance(data, dict):
        raise PlanFileError(["the file must be a mapping with the keys format, version, trust and plan"])
    for key in data:
        if key not in TOP_KEYS:
            v.error(str(key), f"unknown key (expected one of: {', '.join(TOP_KEYS)})")
    if data.get("format") != FORMAT:
        v.error("format", f"must be {FORMAT!r}, found {data.get('format')!r}")
    if data.get("version") != VERSION:
        v.error("version", f"version {data.get('version')!r} is not supported; this program reads version {VERSION}")
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
        raise PlanFileError(v.errors)


# ---------------------------------------------------------------------------------------------
# Writing


def _clean(f: F, value: Any) -> Any:
    """The value as stored: text trimmed with Unix line ends, defaults filled in."""
    if value is None or value == "":
        if f.default is not None:
            return list(f.default) if isinstance(f.default, list) else f.default
        return "" if f.kind in ("text", "line", "ref") else None
    if f.kind in ("text", "line"):
        return str(value).replace("\r\n", "\n").strip()
    if f.kind == "date" and isinstance(value, str):
        return datetime.date.fromisoformat(value)
    if f.kind == "strlist":
        return [s.strip() for s in value]
    return value


class _Writer:
    def __init__(self, user, reason: str) -> None:
        self.user = user
        self.reason = reason
        self.registry: dict[tuple, models.Model] = {}
        # Rows no longer in the file are removed once the whole file is written (a milestone may
        # move to another group first): {(model, scope attribute, scope object): kept pks}.
        self.touched: dict[tuple, set[int]] = {}
        self.changes = 0
        self.added: set[tuple[type[models.Model], int]] = set()
        self.changed: set[tuple[type[models.Model], int]] = set()
        # Rows the file leaves out that school plans are built on: (row, the rows that protect it).
        self.blocked: list[tuple[models.Model, list[models.Model]]] = []

    def save(self, obj: models.Model, changed: bool) -> None:
        if not changed:
            return
        obj._change_reason = self.reason
        if self.user is not None:
            obj._history_user = self.user
        obj.full_clean(validate_unique=False, validate_constraints=False)
        created = obj.pk is None
        obj.save()
        (self.added if created else self.changed).add((type(obj), obj.pk))
        self.changes += 1

    def remove(self, row: models.Model) -> None:
        """Delete a row the file no longer has, unless something outside the plan file (a school
        plan's priority) is built on it or on a row it holds: then note it and keep it."""
        if not type(row).objects.filter(pk=row.pk).exists():
            return  # already gone with its parent
        row._change_reason = self.reason
        if self.user is not None:
            row._history_user = self.user
        try:
            with transaction.atomic():
                row.delete()
        except ProtectedError as exc:
            self.blocked.append((row, list(exc.protected_objects)))
            return
        self.changes += 1

    def assign(self, obj: models.Model, f: F, value: Any, ctx: dict) -> bool:
        """Set one field on `obj`; True when that changed it. M2M refs are set after saving."""
        value = _clean(f, value)
        if f.kind == "reflist":
            return False
        if f.kind == "ref":
            target = self.registry[_registry_key(f.target, ctx, value)] if value else None
            if getattr(obj, f"{f.model_attr}_id") != (target.pk if target else None):
                setattr(obj, f.model_attr, target)
                return True
            return False
        if f.kind == "year":
            year, _ = m.AcademicYear.objects.get_or_create(start_year=value)
            if obj.academic_year_id != year.pk:
                obj.academic_year = year
                return True
            return False
        if getattr(obj, f.model_attr) != value:
            setattr(obj, f.model_attr, value)
            return True
        return False

    def set_refs(self, obj: models.Model, fields: list[F], item: dict, ctx: dict) -> None:
        for f in fields:
            if f.kind != "reflist":
                continue
            wanted = [self.registry[_registry_key(f.target, ctx, code)] for code in item.get(f.key) or []]
            manager = getattr(obj, f.model_attr)
            if {o.pk for o in manager.all()} != {o.pk for o in wanted}:
                obj._change_reason = self.reason
                manager.set(wanted)
                if (type(obj), obj.pk) not in self.added:
                    self.changed.add((type(obj), obj.pk))
                self.changes += 1

    def key_of_row(self, node: Node, obj: models.Model) -> tuple:
        if node.natural_key:
            f = next(f for f in node.fields if f.key == node.natural_key)
            value = getattr(obj, f.model_attr)
            if f.kind == "ref":
                value = getattr(value, REGISTRIES[f.target].model_attr, None)
            elif f.kind == "year":
                value = value.start_year
            if value not in (None, ""):
                return ("key", str(value))
        parent = getattr(obj, "parent_id", None) if node.recursive else None
        return ("at", parent, obj.order)

    def key_of_item(self, node: Node, item: dict, index: int, parent) -> tuple:
        if node.natural_key and item.get(node.natural_key) not in (None, ""):
            return ("key", str(item[node.natural_key]))
        return ("at", parent.pk if parent is not None else None, index)

    def write_node(self, node: Node, items: list, ctx: dict, parent=None) -> None:
        scope_attr = node.unique_scope
        scope_obj = ctx[scope_attr]
        rows = node.model.objects.filter(**{scope_attr: scope_obj})
        if node.scalar:
            items = [{"text": item} for item in items]
        existing = {self.key_of_row(node, row): row for row in rows}
        touched = self.touched.setdefault((node.model, scope_attr, scope_obj.pk), set())
        for index, item in enumerate(items):
            key = self.key_of_item(node, item, index, parent)
            obj = existing.get(key)
            created = obj is None
            if created:
                obj = node.model()
            changed = created
            for attr in (node.owner, *node.links):
                if getattr(obj, f"{attr}_id", None) != ctx[attr].pk:
                    setattr(obj, attr, ctx[attr])
                    changed = True
            if node.recursive and obj.parent_id != (parent.pk if parent else None):
                obj.parent = parent
                changed = True
            if hasattr(obj, "order") and obj.order != index:
                obj.order = index
                changed = True
            for f in node.fields:
                changed |= self.assign(obj, f, item.get(f.key), ctx)
            self.save(obj, changed)
            touched.add(obj.pk)
            self.set_refs(obj, node.fields, item, ctx)
            if node.registry:
                name = item.get(node.registry_key or node.natural_key)
                self.registry[_registry_key(node.registry, ctx, name)] = obj
            inner = {**ctx, node_context_name(node): obj}
            for child in node.children:
                self.write_node(child, item.get(child.key) or [], inner)
            if node.recursive:
                self.write_node(node, item.get("children") or [], ctx, parent=obj)

    def prune(self) -> None:
        """Remove what the file no longer has, parents first (their rows take their children)."""
        for (model, scope_attr, scope_pk), kept in self.touched.items():
            for row in model.objects.filter(**{f"{scope_attr}_id": scope_pk}).exclude(pk__in=kept):
                self.remove(row)


# ---------------------------------------------------------------------------------------------
# What an import adds, changes and removes


def _plan_paths(nodes: list[Node], above: str = "") -> dict[type[models.Model], str]:
    """For each model of the file, the lookup from one of its rows to the plan (`aim__plan`)."""
    paths: dict[type[models.Model], str] = {}
    for node in nodes:
        path = f"{node.owner}__{above}" if above else node.owner
        paths.setdefault(node.model, path)
        for model, inner in _plan_paths(node.children, path).items():
            paths.setdefault(model, inner)
    return paths


PLAN_PATHS = {m.StrategicPlan: "", **_plan_paths(PLAN_PARTS)}

# How a row is named in a summary, and what naming it needs to load.
_NAMES: dict[type[models.Model], tuple[tuple[str, ...], Callable[[Any], str]]] = {
    m.StrategicPlan: ((), lambda o: o.slug),
    m.Aim: ((), lambda o: f"{o.code} {o.title}"),
    m.Driver: (("aim",), lambda o: f"{o.aim.code}: {o.text}"),
    m.Strategy: (("aim",), lambda o: f"{o.aim.code} {o.number or o.title or o.text}"),
    m.StrandRight: (("strand", "principle"), lambda o: f"{o.strand.slug} {o.principle.letter}"),
    m.PocketGuide: (("academic_year",), lambda o: o.academic_year.label),
    m.PocketGuideGroup: (("guide__academic_year",), lambda o: f"{o.guide.academic_year.label} {o.name}"),
    m.Milestone: (("aim", "guide__academic_year"), lambda o: f"{o.guide.academic_year.label} {o.aim.code}"),
    m.ColumnHeadline: (
        ("guide__academic_year", "column", "group"),
        lambda o: f"{o.guide.academic_year.label} {o.heading or o.column or o.group}",
    ),
    m.PocketGuideUpdate: ((), lambda o: f"{o.date:%Y-%m-%d}"),
}


def _short(text: str, length: int = 60) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= length else text[: length - 1] + "…"


# Kinds of row named as the file names them, where the model's own name differs.
_KINDS = {
    m.StrategicPlan: "plans",
    m.Responsibility: "roles",
    m.ReviewPeriod: "review cycle periods",
    m.ColumnHeadline: "headline blocks",
    m.ColumnHeadlineBullet: "headline block bullets",
}


def _kind(model: type[models.Model]) -> str:
    return _KINDS.get(model) or str(model._meta.verbose_name_plural)


def _names(model: type[models.Model], rows) -> dict[int, str]:
    related, name = _NAMES.get(model, ((), str))
    return {row.pk: _short(name(row)) for row in rows.select_related(*related)}


def _plan_rows(plan: m.StrategicPlan | None) -> dict[type[models.Model], dict[int, str]]:
    """Every row of the plan, by model, with its name: what an import could remove."""
    if plan is None:
        return {}
    return {
        model: _names(model, model.objects.filter(**{path or "pk": plan if path else plan.pk}))
        for model, path in PLAN_PATHS.items()
    }


@dataclass
class ImportSummary:
    """What an import adds, changes and removes, by kind of row ("aims": ["TSP1 ..."])."""

    slug: str
    added: dict[str, list[str]] = field(default_factory=dict)
    changed: dict[str, list[str]] = field(default_factory=dict)
    removed: dict[str, list[str]] = field(default_factory=dict)
    # Rows the file leaves out that school plans are built on; never removed by an import.
    blocked: list[str] = field(default_factory=list)

    SHOWN = 10  # names listed per kind; the count is always exact

    @staticmethod
    def _count(part: dict[str, list[str]]) -> int:
        return sum(len(names) for names in part.values())

    @property
    def removals(self) -> int:
        return self._count(self.removed)

    def lines(self) -> list[str]:
        counts = [self._count(part) for part in (self.added, self.changed, self.removed)]
        if not any(counts):
            return [f"{self.slug}: nothing to add, change or remove"]
        result = [f"{self.slug}: adds {counts[0]}, changes {counts[1]}, removes {counts[2]}"]
        for verb, part in (("add", self.added), ("change", self.changed), ("remove", self.removed)):
            for kind, names in part.items():
                more = f" and {len(names) - self.SHOWN} more" if len(names) > self.SHOWN else ""
                result.append(f"  {verb} {kind} ({len(names)}): {'; '.join(names[: self.SHOWN])}{more}")
        return result


def _summarise(slug: str, writer: _Writer, before: dict) -> ImportSummary:
    summary = ImportSummary(slug)
    blocked_rows = {(type(row), row.pk) for row, _ in writer.blocked}
    for model in PLAN_PATHS:
        kind = _kind(model)
        added = sorted(pk for cls, pk in writer.added if cls is model)
        changed = sorted(pk for cls, pk in writer.changed if cls is model)
        if added or changed:
            names = _names(model, model.objects.filter(pk__in=added + changed))
            if added:
                summary.added[kind] = [names[pk] for pk in added]
            if changed:
                summary.changed[kind] = [names[pk] for pk in changed]
        was = before.get(model, {})
        still = set(model.objects.filter(pk__in=was).values_list("pk", flat=True)) if was else set()
        gone = [pk for pk in was if pk not in still or (model, pk) in blocked_rows]
        if gone:
            summary.removed[kind] = [was[pk] for pk in gone]
    for row, protecting in writer.blocked:
        plans = sorted({_school_plan_of(obj).title for obj in protecting})
        name = before.get(type(row), {}).get(row.pk, str(row))
        summary.blocked.append(
            f"{type(row)._meta.verbose_name} {name}: school plans are built on it ({', '.join(plans)})"
        )
    return summary


def _school_plan_of(obj: models.Model) -> m.SchoolPlan:
    return obj if isinstance(obj, m.SchoolPlan) else obj.plan


class ImportRefused(PlanFileError):
    """The file is valid but would remove rows: never what school plans are built on, and
    anything else only when removals are allowed. `summary` says what the import would do."""

    def __init__(self, errors: list[str], summary: ImportSummary):
        self.summary = summary
        super().__init__(errors)


@dataclass
class ImportResult:
    plan: m.StrategicPlan  # with `check`, as it would be: not saved
    created: bool
    changes: int
    summary: ImportSummary
    written: bool = True


def import_plan_data(
    data: Any,
    *,
    user=None,
    source: str = "plan file",
    allow_removals: bool = False,
    check: bool = False,
) -> ImportResult:
    """Validate a parsed plan file, work out what it adds, changes and removes, and write it; all
    or nothing.

    The import runs in one transaction and is rolled back, writing nothing, when it would remove
    anything school plans are built on (always), or anything at all unless `allow_removals`, or
    when `check` is set. Raises PlanFileError for a bad file and ImportRefused (a PlanFileError)
    for a refused one; both list every reason."""
    validate(data)
    writer = _Writer(user, reason=f"Imported from {source}")
    plan_data = data["plan"]
    with transaction.atomic():
        plan = m.StrategicPlan.objects.filter(slug=plan_data["slug"]).first()
        before = _plan_rows(plan)
        trust, created_trust = Trust.objects.get_or_create(
            slug=data["trust"]["slug"], defaults={"name": data["trust"]["name"]}
        )
        if not created_trust and trust.name != data["trust"]["name"].strip():
            trust.name = data["trust"]["name"].strip()
            writer.save(trust, True)
        created = plan is None
        if created:
            plan = m.StrategicPlan()
        changed = created or plan.trust_id != trust.pk
        plan.trust = trust
        ctx = {"plan": plan}
        for f in PLAN_FIELDS:
            changed |= writer.assign(plan, f, plan_data.get(f.key), ctx)
        writer.save(plan, changed)
        for node in PLAN_PARTS:
            writer.write_node(node, plan_data.get(node.key) or [], ctx)
        writer.prune()
        summary = _summarise(plan.slug, writer, before)
        reasons = _refusals(summary, allow_removals)
        if reasons or check:
            transaction.set_rollback(True)
    if reasons:
        raise ImportRefused(summary.lines() + reasons, summary)
    return ImportResult(plan=plan, created=created, changes=writer.changes, summary=summary, written=not check)


def _refusals(summary: ImportSummary, allow_removals: bool) -> list[str]:
    if summary.blocked:
        return [
            "School plans are built on what the file leaves out, so it is never removed by an import:",
            *(f"  {line}" for line in summary.blocked),
            "Put it back in the file, or take it out of those school plans first.",
        ]
    if summary.removals and not allow_removals:
        return [
            f"The file leaves out {summary.removals} things the plan has (listed above as 'remove'), so it was not "
            "imported. Is the file complete? If the removals are intended, import it again allowing removals "
            "(--allow-removals)."
        ]
    return []


def load(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PlanFileError([f"{where}the file is not valid YAML ({problem})"]) from exc


def import_plan_text(
    text: str, *, user=None, source: str = "plan file", allow_removals: bool = False, check: bool = False
) -> ImportResult:
    return import_plan_data(load(text), user=user, source=source, allow_removals=allow_removals, check=check)


# ---------------------------------------------------------------------------------------------
# Export


def _export_value(f: F, obj: models.Model) -> Any:
    value = getattr(obj, f.model_attr)
    if f.kind == "ref":
        return getattr(value, REGISTRIES[f.target].model_attr) if value is not None else None
    if f.kind == "reflist":
        return [getattr(o, REGISTRIES[f.target].model_attr) for o in value.order_by("order", "pk")]
    if f.kind == "year":
        return value.start_year
    if f.kind == "date":
        return value.isoformat()
    if isinstance(value, str):
        return str(value)  # a choice's enum member as plain text
    return value


def _export_item(fields: list[F], obj: models.Model, keys: list[str]) -> dict:
    out: dict[str, Any] = {}
    values = {f.key: _export_value(f, obj) for f in fields}
    for key in keys:
        if key in values and values[key] not in (None, "", []):
            out[key] = values[key]
    return out


def _export_node(node: Node, rows) -> list[dict]:
    result = []
    keys = _node_key_order(node)
    if node.scalar:
        return [obj.text for obj in rows]
    for obj in rows:
        item = _export_item(node.fields, obj, keys)
        for child in node.children:
            manager = getattr(obj, child.model._meta.get_field(child.owner).remote_field.related_name)
            child_rows = manager.filter(parent=None) if child.recursive else manager.all()
            exported = _export_node(child, child_rows)
            if exported:
                item[child.key] = exported
        if node.recursive:
            exported = _export_node(node, obj.children.all())
            if exported:
                item["children"] = exported
        result.append({k: item[k] for k in keys if k in item})
    return result


def export_plan_data(plan: m.StrategicPlan) -> dict:
    plan_out = _export_item(PLAN_FIELDS, plan, [f.key for f in PLAN_FIELDS])
    for node in PLAN_PARTS:
        manager = getattr(plan, node.model._meta.get_field("plan").remote_field.related_name)
        exported = _export_node(node, manager.all())
        if exported:
            plan_out[node.key] = exported
    return {
        "format": FORMAT,
        "version": VERSION,
        "trust": {"name": plan.trust.name, "slug": plan.trust.slug},
        "plan": plan_out,
    }


class _Dumper(yaml.SafeDumper):
    pass


def _represent_str(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def export_plan_text(plan: m.StrategicPlan) -> str:
    return yaml.dump(export_plan_data(plan), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
