"""A development plan's history: what it looked like at any moment, what changed between two
moments, and who changed what when. Everything is read from django-simple-history's tables, so
the page, the "as it was at sign-off" view and (later) the PDF all come from the same tree.
"""

from __future__ import annotations

import datetime
import difflib
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model

from schools import formats

from .models import Action, Aim, Evidence, PlanEvent, Priority, SchoolPlan, Step, SuccessCriterion

ITEM_MODELS = {"priority": Priority, "action": Action, "criterion": SuccessCriterion, "evidence": Evidence}
KIND_OF = {model: kind for kind, model in ITEM_MODELS.items()}


@dataclass
class ActionNode:
    action: Action
    criteria: list[SuccessCriterion] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    may_record_progress: bool = False  # set by the page for the person looking at it


@dataclass
class PriorityNode:
    priority: Priority
    actions: list[ActionNode] = field(default_factory=list)


def _by_order(items):
    return sorted(items, key=lambda i: (i.order, i.pk))


def _assemble(priorities, actions, criteria, evidence) -> list[PriorityNode]:
    action_nodes = {a.pk: ActionNode(a) for a in _by_order(actions)}
    for c in _by_order(criteria):
        if c.action_id in action_nodes:
            action_nodes[c.action_id].criteria.append(c)
    for e in sorted(evidence, key=lambda e: (e.added_at, e.pk)):
        if e.action_id in action_nodes:
            action_nodes[e.action_id].evidence.append(e)
    nodes = {p.pk: PriorityNode(p) for p in _by_order(priorities)}
    for node in action_nodes.values():
        if node.action.priority_id in nodes:
            parent = nodes[node.action.priority_id]
            node.action.priority = parent.priority  # pages read action.priority: no query per action
            parent.actions.append(node)
    return list(nodes.values())


def plan_tree(plan: SchoolPlan) -> list[PriorityNode]:
    """The plan as it is now: four queries whatever its size."""
    return _assemble(
        Priority.objects.filter(plan=plan).select_related("aim__plan"),
        Action.objects.filter(plan=plan).select_related("lead"),
        SuccessCriterion.objects.filter(plan=plan),
        Evidence.objects.filter(plan=plan).select_related("added_by"),
    )


def _as_of(model, plan: SchoolPlan, at: datetime.datetime) -> list:
    """Each item of `plan` as it was at `at`: its latest history record by then, unless deleted."""
    latest = {}
    for record in model.history.filter(plan_id=plan.pk, history_date__lte=at).order_by("history_date", "history_id"):
        latest[record.id] = record
    return [record.instance for record in latest.values() if record.history_type != "-"]


def plan_tree_at(plan: SchoolPlan, at: datetime.datetime) -> list[PriorityNode]:
    actions = _as_of(Action, plan, at)
    evidence = _as_of(Evidence, plan, at)
    people = get_user_model().objects.in_bulk(
        {a.lead_id for a in actions if a.lead_id} | {e.added_by_id for e in evidence if e.added_by_id}
    )
    for a in actions:
        a.lead = people.get(a.lead_id)
    for e in evidence:
        e.added_by = people.get(e.added_by_id)
    priorities = _as_of(Priority, plan, at)
    aims = Aim.objects.select_related("plan").in_bulk({p.aim_id for p in priorities if p.aim_id})
    for p in priorities:
        p.aim = aims.get(p.aim_id)
    return _assemble(priorities, actions, _as_of(SuccessCriterion, plan, at), evidence)


def tree_lines(plan: SchoolPlan, tree: list[PriorityNode]) -> list[str]:
    """The plan as lines of text, for comparing two versions line by line. Each line words its
    fields in the trust's way, so the lines are written out here; every field in an item's
    `EDITABLE_FIELDS` must show in them, or a diff would hide an edit (tests/test_item_fields.py
    changes each declared field in turn and checks the lines change)."""
    lines = []
    for i, node in enumerate(tree, start=1):
        p = node.priority
        lines.append(f"Priority {i}: {p.title}")
        if p.description:
            lines.append(f"    {p.description}")
        for j, a_node in enumerate(node.actions, start=1):
            a = a_node.action
            lines.append(f"    Action {i}.{j}: {a.what}")
            lead = a.lead.full_name if a.lead else "no lead"
            when = " to ".join(
                filter(
                    None, [_when(a.start_date, a.get_start_term_display()), _when(a.due_date, a.get_due_term_display())]
                )
            )
            lines.append(f"        Lead: {lead}; {when or 'no dates'}; {a.get_status_display()}")
            if a.resources or a.cost is not None:
                cost = formats.money(a.cost) if a.cost is not None else "-"
                lines.append(f"        Resources: {a.resources or '-'}; cost: {cost}")
            for c in a_node.criteria:
                kpi = f" [{_kpi(c)}]" if c.kpi or c.target is not None else ""
                due = _when(c.due_date, c.get_due_term_display())
                lines.append(f"        Success criterion: {c.text}{kpi}{' by ' + due if due else ''}")
            for e in a_node.evidence:
                lines.append(f"        Evidence: {e.note} {e.link}".rstrip())
    return lines


def _kpi(c) -> str:
    """ "Persistent absence: 24% -> 15%"."""
    numbers = " -> ".join(formats.measure(v, c.unit) for v in (c.baseline, c.target) if v is not None)
    return ": ".join(filter(None, [c.kpi, numbers]))


def _when(date, term_label: str) -> str:
    return f"{date:%-d %b %Y}" if date else term_label


@dataclass
class DiffLine:
    kind: str  # "same", "added", "removed"
    text: str


def diff(plan: SchoolPlan, older: datetime.datetime, newer: datetime.datetime) -> list[DiffLine]:
    before = tree_lines(plan, plan_tree_at(plan, older))
    after = tree_lines(plan, plan_tree_at(plan, newer))
    out = []
    for line in difflib.ndiff(before, after):
        code, text = line[:2], line[2:]
        if code == "  ":
            out.append(DiffLine("same", text))
        elif code == "- ":
            out.append(DiffLine("removed", text))
        elif code == "+ ":
            out.append(DiffLine("added", text))
    return out


@dataclass
class Change:
    at: datetime.datetime
    by: object
    kind: str  # priority, action, criterion, evidence, plan
    item_id: int
    what: str  # "added", "changed", "removed"
    label: str
    reason: str
    fields: list[str]
    history_id: int

    @property
    def key(self) -> str:
        """Unique across the plan's history tables (each numbers its own records)."""
        return f"{self.kind}-{self.history_id}"

    @property
    def noun(self) -> str:
        return "success criterion" if self.kind == "criterion" else self.kind


def changes(plan: SchoolPlan, since: datetime.datetime | None = None, limit: int | None = 200) -> list[Change]:
    """Every recorded change to the plan and its items, newest first."""
    verbs = {"+": "added", "~": "changed", "-": "removed"}
    found: list[Change] = []
    for kind, model in [("plan", SchoolPlan), *ITEM_MODELS.items()]:
        records = model.history.filter(**({"id": plan.pk} if kind == "plan" else {"plan_id": plan.pk}))
        if since is not None:
            records = records.filter(history_date__gt=since)
        records = list(records.select_related("history_user").order_by("id", "history_date", "history_id"))
        previous = {}
        for record in records:
            fields = []
            before = previous.get(record.id)
            if before is not None and record.history_type == "~":
                delta = record.diff_against(before, excluded_fields=["updated_at", "version"])
                fields = [c.field for c in delta.changes]
            previous[record.id] = record
            found.append(
                Change(
                    at=record.history_date,
                    by=record.history_user,
                    kind=kind,
                    item_id=record.id,
                    what=verbs[record.history_type],
                    label=_label(kind, record),
                    reason=record.history_change_reason or "",
                    fields=fields,
                    history_id=record.history_id,
                )
            )
    found.sort(key=lambda c: (c.at, c.history_id), reverse=True)
    return found[:limit] if limit else found


def _label(kind: str, record) -> str:
    if kind == "plan":
        state = record.get_state_display()
        state = state[:1].lower() + state[1:]
        if record.history_type == "+":
            return f"Started the plan ({state})"
        if record.history_type == "-":
            return "Removed the plan"
        return f"Plan {state}"
    return str(record.instance)[:120]


def signed_off_at(plan: SchoolPlan) -> PlanEvent | None:
    return plan.events.filter(step=Step.SIGN_OFF).order_by("-at").select_related("by").first()
