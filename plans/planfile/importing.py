"""Import: work out what a valid file adds, changes and removes, refuse removals unless allowed
(and always what school plans are built on), and write it in one transaction."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.db.models import ProtectedError

from plans import models as m
from schools.models import Trust

from .loading import load
from .schema import (
    PLAN_FIELDS,
    PLAN_PARTS,
    REGISTRIES,
    F,
    Node,
    PlanFileError,
    node_context_name,
    registry_key,
)
from .validation import validate


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
            target = self.registry[registry_key(f.target, ctx, value)] if value else None
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
            wanted = [self.registry[registry_key(f.target, ctx, code)] for code in item.get(f.key) or []]
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
                self.registry[registry_key(node.registry, ctx, name)] = obj
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
    renamed = [pk for cls, pk in writer.changed if cls is Trust]
    if renamed:
        summary.changed["trusts"] = list(Trust.objects.filter(pk__in=renamed).values_list("name", flat=True))
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


def import_plan_text(
    text: str, *, user=None, source: str = "plan file", allow_removals: bool = False, check: bool = False
) -> ImportResult:
    return import_plan_data(load(text), user=user, source=source, allow_removals=allow_removals, check=check)
