"""The plan file format, declared once: what the file holds (`PLAN_FIELDS`, `PLAN_PARTS`), which
rows it becomes, and how items refer to one another. Validation, import and export all read it."""

from __future__ import annotations

import re
import reprlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models

from plans import models as m

FORMAT = "smart-trust-plan"
VERSION = 1


MAX_MESSAGE = 300  # characters in one problem's message

_quoter = reprlib.Repr()
_quoter.maxstring = 60
_quoter.maxother = 60
_quoter.maxlong = 40
_quoter.maxlist = _quoter.maxtuple = _quoter.maxdict = _quoter.maxset = 4
_quoter.maxlevel = 2


def quote(value: Any) -> str:
    """A short repr of `value` however big it is: long text, numbers and lists are cut."""
    try:
        return _quoter.repr(value)
    except ValueError:  # an int too long to turn into text
        return f"<{type(value).__name__}>"


def shorten(message: str, length: int = MAX_MESSAGE) -> str:
    """`message` cut to `length` characters."""
    return message if len(message) <= length else message[: length - 1] + "…"


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
        problems.append(("number", f"write {quote(number)} in quotes ('{number}') so it is read as text"))
    elif isinstance(number, str) and number:
        if not NUMBER_RE.match(number):
            problems.append(("number", f"{quote(number)} is not a number like 4.1 or 4.1.2"))
        parent_number = ctx.get("parent_number")
        if parent_number and not number.startswith(parent_number + "."):
            problems.append(
                ("number", f"{quote(number)} is under {quote(parent_number)}, so it must start with '{parent_number}.'")
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


def all_nodes(nodes: list[Node]):
    for node in nodes:
        yield node
        yield from all_nodes(node.children)


# Which key of the file names an item of each registry, and which model attribute stores it.
REGISTRIES = {
    node.registry: next(f for f in node.fields if f.key == (node.registry_key or node.natural_key))
    for node in all_nodes(PLAN_PARTS)
    if node.registry
}
# Where the names of a registry are unique: None for the whole plan, else a context name.
REGISTRY_SCOPES = {node.registry: node.registry_scope for node in all_nodes(PLAN_PARTS) if node.registry}
SCOPE_WORDS = {None: "plan", "guide": "pocket guide"}


def registry_key(target: str, ctx: dict, name: Any) -> tuple:
    """How an item is found by name: its registry, its scope (a path while validating, a row
    while writing) and its name."""
    scope = REGISTRY_SCOPES[target]
    where = ctx.get(scope) if scope else None
    return (target, getattr(where, "pk", where), str(name))


TOP_KEYS = ("format", "version", "trust", "plan")


def node_key_order(node: Node) -> list[str]:
    if node.key_order:
        return list(node.key_order)
    keys = [f.key for f in node.fields] + [c.key for c in node.children]
    return keys + (["children"] if node.recursive else [])


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
