"""Reads that build the school and business development plan pages: the plan list, the plan, its
SMART check, the CEO's sign-off queue, the history and an item's versions.

Each takes keyword arguments, starts from what the person may see (governance.policy) and costs a
fixed number of queries whatever the size of the plan or the trust. Views pick the person, call
one of these and render; writes are in plans.services and plans.workflow.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import TypedDict

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from governance import policy
from schools import formats
from schools.models import School, Trust

from . import page_cache, plan_history, services, smart, workflow
from .models import (
    AcademicYear,
    Action,
    PlanEvent,
    PlanSeen,
    PlanState,
    PocketGuide,
    Priority,
    SchoolPlan,
    Step,
    SuccessCriterion,
)

# The kinds of item people write, as the pages name them (evidence is added, never edited).
ITEM_NAMES = {"priority": "priority", "action": "action", "criterion": "success criterion"}


# --- which plans ----------------------------------------------------------------------------


def school_plans(*, user) -> QuerySet[SchoolPlan]:
    """The plans the person may see, with their school, trust and year (when each last changed
    is read by `with_last_change`, for the rows that need it)."""
    return SchoolPlan.objects.visible_to(user).select_related("school", "trust", "academic_year")


class PlanList(TypedDict):
    plans: list[SchoolPlan]
    year: AcademicYear | None
    years: list[AcademicYear]


def plan_list(*, user, year_slug: str | None) -> PlanList:
    """The plans the person may see for one year (the one asked for, else the latest), with the
    years they have plans in: a trust of 120 schools lists 120 plans a year, not every year's."""
    visible = school_plans(user=user)
    years = list(AcademicYear.objects.filter(pk__in=visible.values("academic_year")))
    year = next((y for y in years if y.slug == year_slug), years[-1] if years else None)
    plans = visible.filter(academic_year=year)
    return {"plans": list(plans), "year": year, "years": years}


def with_last_change(plans: list[SchoolPlan]) -> list[SchoolPlan]:
    """The plans, each with `last_changed_at` (SchoolPlanQuerySet.with_last_change), in one query."""
    moments = dict(
        SchoolPlan.objects.filter(pk__in=[p.pk for p in plans]).with_last_change().values_list("pk", "last_changed_at")
    )
    for plan in plans:
        plan.last_changed_at = moments[plan.pk]
    return plans


def school_plan(*, user, pk: int) -> SchoolPlan:
    """The plan if the person may see it; otherwise 404, so a draft is never revealed."""
    plan = get_object_or_404(SchoolPlan.objects.select_related("school", "trust", "academic_year"), pk=pk)
    if not policy.can_view_school_plan(user, plan):
        raise Http404("No such plan.")
    return plan


def plan_item(*, plan: SchoolPlan, kind: str, pk: int) -> Priority | Action | SuccessCriterion:
    """One of the plan's priorities, actions or success criteria; 404 for anything else."""
    if kind not in ITEM_NAMES:
        raise Http404("No such kind of item.")
    return get_object_or_404(plan_history.ITEM_MODELS[kind], pk=pk, plan=plan)


# --- the plan and its SMART check -------------------------------------------------------------


class StepButtons(TypedDict):
    steps: list[workflow.StepRule]
    review_step: workflow.StepRule | None  # a step taken from the SMART check page


def step_buttons(*, user, plan: SchoolPlan) -> StepButtons:
    """The steps this person may take now, from the workflow's table."""
    steps = workflow.steps_for(user, plan)
    return {"steps": steps, "review_step": next((rule for rule in steps if rule.review_first), None)}


class PlanPage(StepButtons):
    tree: list[plan_history.PriorityNode]
    report: smart.Report
    events: list[PlanEvent]  # each with its log `sentence`
    signed_off: PlanEvent | None
    can_edit: bool
    sees_drafts: bool


def plan_page(*, user, plan: SchoolPlan) -> PlanPage:
    """The plan's tree, its SMART report, its log and what this person may do with it."""
    tree = plan_history.plan_tree(plan)
    # Progress is recorded by the plan's writers and leaders on every action, and by each
    # action's lead on their own: asked per action, not once for the plan.
    for node in tree:
        for a_node in node.actions:
            a_node.may_record_progress = policy.can_add_evidence(user, plan, a_node.action)
    events = list(plan.events.select_related("by"))
    for event in events:
        event.sentence = workflow.event_sentence(event)
    return {
        "tree": tree,
        "report": smart.report_for_tree(tree, plan.academic_year),
        "events": events,
        "signed_off": next((e for e in reversed(events) if e.step == Step.SIGN_OFF), None),
        **step_buttons(user=user, plan=plan),
        "can_edit": policy.can_edit_school_plan(user, plan),
        "sees_drafts": policy.sees_school_plan_drafts(user, plan),
    }


def smart_report(*, plan: SchoolPlan) -> smart.Report:
    """The SMART check of the plan as it is now (four queries)."""
    return smart.report_for_tree(plan_history.plan_tree(plan), plan.academic_year)


class SignedOffPage(TypedDict):
    event: PlanEvent
    tree: list[plan_history.PriorityNode]


def signed_off_page(*, plan: SchoolPlan) -> SignedOffPage:
    """The plan as it was when the CEO signed it off; 404 if it has not been."""
    event = plan_history.signed_off_at(plan)
    if event is None:
        raise Http404("This plan has not been signed off.")
    return {"event": event, "tree": plan_history.plan_tree_at(plan, event.at)}


# --- starting a plan -------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanStart:
    trust: Trust | None
    years: QuerySet[AcademicYear]  # years with a published pocket guide to start from
    school_choices: list[tuple[str, str]]  # ("trust", ...) for a trust-wide BDP, then schools by pk


def plan_start(*, user) -> PlanStart:
    """What the person may start a plan for: the years and the schools (or the whole trust)."""
    trust = Trust.objects.of_person(user)
    years = AcademicYear.objects.filter(
        pk__in=PocketGuide.objects.filter(plan__trust=trust).published().values("academic_year")
    )
    choices = []
    if policy.can_create_trust_wide_plan(user, "bdp"):
        choices.append(("trust", f"{trust.name} (trust-wide BDP)"))
    schools = policy.schools_for_new_plan(user, "bdp", School.objects.filter(trust=trust))
    choices += [(str(s.pk), s.name) for s in schools]
    return PlanStart(trust=trust, years=years, school_choices=choices)


# --- the CEO's sign-off queue ----------------------------------------------------------------


class QueueRow(TypedDict):
    plan: SchoolPlan  # with its current `smart_summary` and `smart_ok`
    seen_at: datetime.datetime | None  # when this person last opened the plan
    since: datetime.datetime | None  # the moment "changes since" counts from, for the history link
    since_what: str  # what that moment was, when the plan was never opened
    changes: int
    steps: list[workflow.StepRule]  # the forward steps this person may take
    signed_off: bool


class SignOffQueue(TypedDict):
    rows: list[QueueRow]
    year: AcademicYear | None
    years: list[AcademicYear]
    missing: QuerySet[School]  # schools without an SDP for the year


def sign_off_queue(*, user, year_slug: str | None) -> SignOffQueue:
    """Every plan of the person's trust for the year asked for (else the latest), with the schools
    that have no SDP yet. A constant number of queries, whatever the trust's size."""
    trust = Trust.objects.of_person(user)
    trust_plans = SchoolPlan.objects.visible_to(user).filter(trust=trust)
    years = list(AcademicYear.objects.filter(pk__in=trust_plans.values("academic_year")))
    year = next((y for y in years if y.slug == year_slug), years[-1] if years else None)
    plans = list(trust_plans.filter(academic_year=year).select_related("school", "trust", "academic_year"))
    with_sdp = {p.school_id for p in plans if p.kind == "sdp"}
    return {
        "rows": queue_rows(user=user, plans=plans),
        "year": year,
        "years": years,
        "missing": School.objects.filter(trust=trust).exclude(pk__in=with_sdp),
    }


def queue_rows(*, user, plans: list[SchoolPlan]) -> list[QueueRow]:
    """One row per plan (its school, trust and year already loaded): its SMART summary, what
    changed since this person last opened it and the steps they may take. Six queries when every
    plan's stored summary is current, four more when some must be redone, whatever their number."""
    refresh_smart_summaries(plans)
    seen = dict(PlanSeen.objects.filter(user=user, plan__in=plans).values_list("plan_id", "seen_at"))
    governors = _governor_moments(plans)
    since = {p.pk: _since(seen.get(p.pk), governors.get(p.pk, {})) for p in plans}
    changed = changes_since(user=user, plans=plans, since=since)
    rows: list[QueueRow] = []
    for p in plans:
        moments = governors.get(p.pk, {})
        rows.append(
            {
                "plan": p,
                "seen_at": seen.get(p.pk),
                # Never opened: what changed since the LGC agreed it (or, before that, since it was submitted).
                "since": since[p.pk],
                "since_what": "the LGC agreed it" if Step.AGREE in moments else "it was submitted",
                "changes": changed.get(p.pk, 0),
                "steps": [rule for rule in workflow.steps_for(user, p) if rule.forward],
                "signed_off": p.state == PlanState.SIGNED_OFF,
            }
        )
    return rows


def queue_rows_key(rows: list[QueueRow]) -> str | None:
    """What the queue's rendered rows depend on, as a digest: each plan's content version,
    summary, school, the person's moments, counts and steps. None when a row holds a form (its
    CSRF token is the person's own, never kept)."""
    if any(not rule.confirm for row in rows for rule in row["steps"]):
        return None
    parts = [
        (
            page_cache.plan_key(row["plan"].pk, row["plan"].created_at, row["plan"].content_version),
            row["plan"].state,
            row["plan"].smart_summary,
            row["plan"].smart_ok,
            row["plan"].owner_name,
            row["plan"].academic_year.label,
            row["seen_at"],
            row["since"],
            row["since_what"],
            row["changes"],
            [rule.name for rule in row["steps"]],
        )
        for row in rows
    ]
    return page_cache.digest(parts)


def refresh_smart_summaries(plans: list[SchoolPlan]) -> None:
    """Make each plan's stored SMART summary (`smart_summary`, `smart_ok`) that of its current
    content. Only plans changed since their summary was made are checked again (three queries for
    all of them, one to store the results); a queue of unchanged plans costs nothing here.

    The summary is stored with the content version it was computed from: a change that lands
    while this runs moves the version on, so the next look computes it again."""
    stale = [p for p in plans if p.smart_version != p.content_version]
    if not stale:
        return
    actions = (
        Action.objects.filter(plan__in=stale)
        .select_related("lead")
        .prefetch_related("criteria")
        .order_by("priority__order", "order", "pk")
    )
    by_plan: dict[int, list[Action]] = {p.pk: [] for p in stale}
    for action in actions:
        by_plan[action.plan_id].append(action)
    empty = dict(
        Priority.objects.filter(plan__in=stale, actions__isnull=True)
        .values("plan_id")
        .annotate(n=Count("pk"))
        .values_list("plan_id", "n")
    )
    for p in stale:
        report = smart.report_for_actions(by_plan[p.pk], p.academic_year, empty_priorities=empty.get(p.pk, 0))
        p.smart_summary, p.smart_ok, p.smart_version = report.summary[:300], report.ok, p.content_version
    SchoolPlan.objects.bulk_update(stale, ["smart_summary", "smart_ok", "smart_version"])


def _governor_moments(plans: list[SchoolPlan]) -> dict[int, dict[str, datetime.datetime]]:
    """When each plan was last submitted to the LGC and last agreed by it, in one query."""
    moments: dict[int, dict[str, datetime.datetime]] = {}
    for plan_id, step, at in (
        PlanEvent.objects.filter(plan__in=plans, step__in=[Step.SUBMIT, Step.AGREE])
        .order_by("at")  # the latest of each step wins
        .values_list("plan_id", "step", "at")
    ):
        moments.setdefault(plan_id, {})[step] = at
    return moments


def changes_since(
    *, user, plans: list[SchoolPlan], since: dict[int, datetime.datetime | None] | None = None
) -> dict[int, int]:
    """How many recorded changes each plan's items have had since the person last opened it; when
    never opened, since the LGC last agreed it, or else since it was last submitted (the moment the
    queue's link compares from); a draft never submitted counts them all. Plans with none are left
    out. `since` gives those moments when the caller has them (queue_rows), else two queries find
    them. Counted by the database: one query per item type, whatever the number of plans or changes;
    each plan's moment is a condition of its own, so the count reads only the rows after it."""
    if since is None:
        seen = dict(PlanSeen.objects.filter(user=user, plan__in=plans).values_list("plan_id", "seen_at"))
        moments = _governor_moments(plans)
        since = {p.pk: _since(seen.get(p.pk), moments.get(p.pk, {})) for p in plans}
    # Kept per plan, content version and moment: a plan that has not changed since it was counted
    # is not counted again (every change to its items moves its content version on). The versions
    # are read here, so a caller's older copy of a plan cannot match an outdated count.
    current = SchoolPlan.objects.filter(pk__in=[p.pk for p in plans]).values_list("pk", "created_at", "content_version")
    keys = {
        pk: f"{page_cache.plan_key(pk, created, version)}.{since.get(pk) and since[pk].isoformat()}"
        for pk, created, version in current
    }
    counts = page_cache.kept_many("changes-since", keys, lambda ids: _count_changes({i: since.get(i) for i in ids}))
    return {plan_id: n for plan_id, n in counts.items() if n}


def _count_changes(since: dict[int, datetime.datetime | None]) -> dict[int, int]:
    """The history rows of each plan's items after its moment (all of them when it has none): one
    query per item type, each plan's moment a condition of its own."""
    everything = [plan_id for plan_id, moment in since.items() if moment is None]
    after = Q(plan_id__in=everything)
    for plan_id, moment in since.items():
        if moment is not None:
            after |= Q(plan_id=plan_id, history_date__gt=moment)
    counts: dict[int, int] = {}
    for model in plan_history.ITEM_MODELS.values():
        rows = model.history.filter(after).values("plan_id").annotate(n=Count("history_id")).values_list("plan_id", "n")
        for plan_id, n in rows:
            counts[plan_id] = counts.get(plan_id, 0) + n
    return counts


def _since(seen_at: datetime.datetime | None, moments: dict[str, datetime.datetime]) -> datetime.datetime | None:
    """What "changed since" counts from: the person's last look, else the LGC's agreement, else
    the plan's submission; None for a draft never submitted (every change counts)."""
    return seen_at or moments.get(Step.AGREE) or moments.get(Step.SUBMIT)


# --- history ---------------------------------------------------------------------------------


class HistoryPage(TypedDict):
    changes: list[plan_history.Change]  # the newest 200, for the list of changes
    versions: list[plan_history.Change]  # all of them, newest first, for the two version lists
    compared: dict | None  # {"from": moment, "to": moment, "lines": [DiffLine]} when comparing
    selected: dict[str, str | None]  # the version key each list preselects
    signed_off: PlanEvent | None


def history_page(
    *, plan: SchoolPlan, older: datetime.datetime | None = None, newer: datetime.datetime | None = None
) -> HistoryPage:
    """Who changed what when, the versions to compare and, given two moments (in either order),
    what changed between them. A fixed number of queries whatever the length of the history
    (comparing adds the two trees)."""
    versions = plan_history.changes(plan, limit=None)
    compared = None
    if older and newer:
        older, newer = min(older, newer), max(older, newer)
        compared = {"from": older, "to": newer, "lines": plan_history.diff(plan, older, newer)}
    return {
        "changes": versions[:200],
        "versions": versions,
        "compared": compared,
        "selected": selected_versions(versions=versions, older=older, newer=newer),
        "signed_off": plan_history.signed_off_at(plan),
    }


def selected_versions(
    *, versions: list[plan_history.Change], older: datetime.datetime | None, newer: datetime.datetime | None
) -> dict[str, str | None]:
    """The versions the two lists preselect: by default the first and the latest; when comparing
    two moments (e.g. "since you last looked"), the version each moment falls in."""
    if not versions:
        return {"from": None, "to": None}
    if older is None or newer is None:
        return {"from": versions[-1].key, "to": versions[0].key}

    def version_at(moment: datetime.datetime) -> str:
        return next((v for v in versions if v.at <= moment), versions[-1]).key

    return {"from": version_at(older), "to": version_at(newer)}


class ItemVersion(TypedDict):
    record: object  # the item's history record
    values: list[tuple[str, str]]  # (field label, value as the page writes it), in model order


class ItemHistoryPage(TypedDict):
    kind: str
    name: str  # "success criterion"
    item_pk: int
    versions: list[ItemVersion]
    exists: bool  # False once removed: the page offers to put it back
    can_edit: bool


def item_history_page(*, user, plan: SchoolPlan, kind: str, item_pk: int) -> ItemHistoryPage:
    """Every version of one priority, action or success criterion of the plan, newest first, with
    what a restore would put back; 404 if the plan never had it. Three queries however many."""
    if kind not in ITEM_NAMES:
        raise Http404("No such kind of item.")
    model = plan_history.ITEM_MODELS[kind]
    records = list(
        model.history.filter(id=item_pk, plan_id=plan.pk).select_related("history_user").order_by("-history_date")
    )
    if not records:
        raise Http404("No such item.")
    fields = services.RESTORED_FIELDS[model]
    # The people, aims and milestones the versions point at, one query each, not one per version.
    related = {
        f: model._meta.get_field(f.removesuffix("_id")).related_model.objects.in_bulk(
            {getattr(r, f) for r in records if getattr(r, f)}
        )
        for f in fields
        if f.endswith("_id")
    }
    versions: list[ItemVersion] = [
        {
            "record": r,
            "values": [
                (model._meta.get_field(f.removesuffix("_id")).verbose_name, _shown(r, f, related)) for f in fields
            ],
        }
        for r in records
    ]
    return {
        "kind": kind,
        "name": ITEM_NAMES[kind],
        "item_pk": item_pk,
        "versions": versions,
        "exists": model.objects.filter(pk=item_pk).exists(),
        "can_edit": policy.can_edit_school_plan(user, plan),
    }


def _shown(record, field: str, related: dict) -> str:
    if field.endswith("_id"):
        target = related[field].get(getattr(record, field))
        return str(target) if target else "–"
    return shown_value(record, field, getattr(record, field))


def shown_value(item, name: str, value) -> str:
    """A field's value as the page writes it: choices by their label, money and numbers as people write them."""
    if value in (None, ""):
        return "–"
    field = item._meta.get_field(name)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if name == "cost":
        return formats.money(value)
    if isinstance(value, Decimal):
        return formats.number(value)
    return str(value)
