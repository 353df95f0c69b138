"""Writes to school and business development plans. Each runs in one transaction, checks the plan
is still being written, and records who made the change (django-simple-history keeps the rest).

Edits are optimistic: a form carries the `version` of the item it was opened on, and the save
goes through only if the item still has that version. Otherwise `EditConflict` carries the
current item and who changed it, and nothing is written; the person's typing is kept by the view.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.dispatch import Signal
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from .models import (
    Action,
    ActionStatus,
    Evidence,
    Milestone,
    PlanSeen,
    PlanState,
    PocketGuide,
    Priority,
    SchoolPlan,
    Status,
    SuccessCriterion,
)

# Sent in the transaction that publishes a pocket guide (reviews e-mails every member of staff).
pocket_guide_published = Signal()

NUMBERED = re.compile(r"^\s*\d+(\.\d+)*[.)]\s+")


class PlanLocked(ValidationError):
    """The plan is not in a state in which it is written (submitted, finalised or signed off)."""


class EditConflict(Exception):
    def __init__(self, current, changed_by=None):
        super().__init__("Someone else changed this since you opened it.")
        self.current = current
        self.changed_by = changed_by


def _attribute(obj, by, reason: str) -> None:
    obj._history_user = by
    obj._change_reason = reason[:100]


def content_changed(plan_id: int) -> None:
    """Move the plan's content version on: every write to a plan or its items calls this, in the
    same transaction, so whatever is kept per version (the SMART summary, cached pages) is redone."""
    SchoolPlan.objects.filter(pk=plan_id).update(content_version=F("content_version") + 1)


def _lock_editable_plan(plan_id: int) -> SchoolPlan:
    """Lock the plan for a change to its items, refusing one it is past; the change is counted."""
    plan = SchoolPlan.objects.select_for_update().get(pk=plan_id)
    if not plan.is_editable:
        raise PlanLocked(
            f"The plan is {plan.state_phrase}: it cannot be changed"
            + (" unless the CEO reopens it." if plan.state == PlanState.SIGNED_OFF else " at this stage.")
        )
    content_changed(plan_id)
    return plan


@transaction.atomic
def plan_create(*, trust, school, kind: str, academic_year, by, carry_forward: bool = False) -> SchoolPlan:
    """Start a plan with one trust priority per milestone of that year's pocket guide."""
    plan = SchoolPlan(trust=trust, school=school, kind=kind, academic_year=academic_year, created_by=by)
    plan.pocket_guide = (
        PocketGuide.objects.filter(plan__trust=trust, academic_year=academic_year, status=Status.PUBLISHED)
        .order_by("-plan__start_year")
        .first()
    )
    plan.full_clean()
    _attribute(plan, by, "Plan started")
    plan.save()
    if plan.pocket_guide:
        milestones = Milestone.objects.filter(guide=plan.pocket_guide).select_related("aim", "group")
        for order, m in enumerate(milestones.order_by("group__order", "order", "pk"), start=1):
            priority = Priority(
                plan=plan,
                order=order,
                # The page numbers priorities by their place; the milestone's own number is not repeated.
                title=NUMBERED.sub("", m.label or m.aim.title),
                description=m.milestone + (f" – {m.elaboration}" if m.elaboration else ""),
                aim=m.aim,
                milestone=m,
            )
            _attribute(priority, by, "From the pocket guide")
            priority.save()
    if carry_forward:
        _carry_forward(plan, by)
    return plan


def _carry_forward(plan: SchoolPlan, by) -> int:
    """Copy last year's unfinished actions, with their criteria, into `plan`: under this year's
    trust priority for the same aim, else under a copy of the school's own priority. Copies what
    people wrote but not last year's dates (see Versioned.carried_fields). Ids are copied, not
    the people and aims they point at, and each kind of item is created in one go: the same
    number of queries however many actions are carried."""
    previous = (
        SchoolPlan.objects.filter(
            trust_id=plan.trust_id,
            school_id=plan.school_id,
            kind=plan.kind,
            academic_year__start_year=plan.academic_year.start_year - 1,
        )
        .select_related("academic_year")
        .first()
    )
    if previous is None:
        return 0
    unfinished = list(
        Action.objects.filter(priority__plan=previous)
        .exclude(status=ActionStatus.COMPLETE)
        .select_related("priority")
        .prefetch_related("criteria")
        .order_by("priority__order", "order", "pk")
    )
    if not unfinished:
        return 0
    reason = f"Carried forward from {previous.academic_year.label}"
    by_aim = {p.aim_id: p for p in plan.priorities.exclude(aim=None)}
    own: dict[int, Priority] = {}
    next_order = (plan.priorities.aggregate(m=Max("order"))["m"] or 0) + 1
    targets = []
    for action in unfinished:
        target = by_aim.get(action.priority.aim_id) if action.priority.aim_id else None
        if target is None:
            target = own.get(action.priority_id)
        if target is None:
            target = own[action.priority_id] = _copied(action.priority, plan=plan, order=next_order)
            next_order += 1
        targets.append(target)
    _create_all(list(own.values()), by=by, reason=reason)
    copies = [
        _copied(action, plan=plan, priority=target, order=action.order, carried_from=action)
        for action, target in zip(unfinished, targets, strict=True)
    ]
    _create_all(copies, by=by, reason=reason)
    _create_all(
        [
            _copied(criterion, plan=plan, action=copy, order=criterion.order)
            for action, copy in zip(unfinished, copies, strict=True)
            for criterion in action.criteria.all()
        ],
        by=by,
        reason=reason,
    )
    return len(copies)


def _copied(item, **place):
    """A new item of the same kind with `item`'s carried fields, at `place` in this year's plan."""
    model = type(item)
    return model(**{name: getattr(item, name) for name in model.carried_fields()}, **place)


def _create_all(items: list, *, by, reason: str) -> None:
    """Insert new items of one kind, and their "added" history records, in two queries."""
    for plan_id in {item.plan_id for item in items}:
        content_changed(plan_id)
    if items:
        bulk_create_with_history(items, type(items[0]), default_user=by, default_change_reason=reason[:100])


def _last_changed_by(item):
    record = item.history.order_by("-history_date").select_related("history_user").first()
    return record.history_user if record else None


@transaction.atomic
def item_save(*, item, values: dict, expected_version: int | None, by, reason: str = ""):
    """Create `item` (no pk yet) or update it with `values`, if nobody has changed it since the
    person read `expected_version`. Raises EditConflict, PlanLocked or ValidationError."""
    _lock_editable_plan(item.plan_id)
    model = type(item)
    if item.pk is not None:
        current = model.objects.select_for_update().get(pk=item.pk)
        if current.version != expected_version:
            raise EditConflict(current, _last_changed_by(current))
        item = current
        item.version += 1
    else:
        _check_same_plan(item)
        parent_filter = _siblings_filter(item)
        item.order = (model.objects.filter(**parent_filter).aggregate(m=Max("order"))["m"] or 0) + 1
    for name, value in values.items():
        setattr(item, name, value)
    item.full_clean()
    _attribute(item, by, reason or ("Edited" if item.version > 1 else "Added"))
    item.save()
    return item


def _check_same_plan(item) -> None:
    """An item repeats its parent's plan (so history and permissions find it in one step): the two
    must agree. PostgreSQL also refuses a mismatch with a composite foreign key."""
    parent = {Action: "priority", SuccessCriterion: "action", Evidence: "action"}.get(type(item))
    if parent is None:
        return
    parent_plan = (
        type(item)
        ._meta.get_field(parent)
        .related_model.objects.filter(pk=getattr(item, f"{parent}_id"))
        .values_list("plan_id", flat=True)
    )
    if list(parent_plan) != [item.plan_id]:
        raise ValidationError(f"This {parent} belongs to another plan: add the item to its own plan.")


def _siblings_filter(item) -> dict:
    if isinstance(item, Priority):
        return {"plan_id": item.plan_id}
    if isinstance(item, Action):
        return {"priority_id": item.priority_id}
    return {"action_id": item.action_id}


@transaction.atomic
def item_delete(*, item, by, expected_version: int | None = None) -> None:
    _lock_editable_plan(item.plan_id)
    current = type(item).objects.select_for_update().get(pk=item.pk)
    if expected_version is not None and current.version != expected_version:
        raise EditConflict(current, _last_changed_by(current))
    _attribute(current, by, "Removed")
    current.delete()


@transaction.atomic
def item_move(*, item, by, up: bool) -> None:
    """Swap the item with its neighbour above or below, renumbering its siblings 1, 2, 3..."""
    _lock_editable_plan(item.plan_id)
    model = type(item)
    siblings = list(model.objects.select_for_update().filter(**_siblings_filter(item)).order_by("order", "pk"))
    index = next(i for i, s in enumerate(siblings) if s.pk == item.pk)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(siblings):
        return
    siblings[index], siblings[other] = siblings[other], siblings[index]
    for order, sibling in enumerate(siblings, start=1):
        if sibling.order != order:
            sibling.order = order
            sibling.version += 1
            _attribute(sibling, by, "Moved")
            sibling.save(update_fields=["order", "version", "updated_at"])


# Fields a restore puts back (what people wrote, and the pocket-guide links; see Versioned); the
# item's place in the plan (plan, parent) stays as it is now. An item's history lists the same.
RESTORED_FIELDS = {model: model.restored_fields() for model in (Priority, Action, SuccessCriterion)}


@transaction.atomic
def item_restore(*, model, item_pk: int, plan: SchoolPlan, history_id: int, by):
    """Put back an item's values from one of its earlier versions, as a new recorded change. A
    removed item comes back where it was, if what it belonged to is still there."""
    _lock_editable_plan(plan.pk)
    record = model.history.filter(history_id=history_id, id=item_pk, plan_id=plan.pk).first()
    if record is None or record.history_type == "-":
        raise ValidationError("That version does not belong to this item.")
    current = model.objects.select_for_update().filter(pk=item_pk).first()
    if current is None:
        current = record.instance
        parent = {Priority: None, Action: "priority", SuccessCriterion: "action"}[model]
        if (
            parent
            and not type(current)
            ._meta.get_field(parent)
            .related_model.objects.filter(pk=getattr(current, f"{parent}_id"))
            .exists()
        ):
            raise ValidationError(f"What this belonged to has been removed: put the {parent} back first.")
        current.version = (model.history.filter(id=item_pk).order_by("-history_date").first().version or 0) + 1
    else:
        for name in RESTORED_FIELDS[model]:
            setattr(current, name, getattr(record, name))
        current.version += 1
    current.full_clean()
    _attribute(current, by, f"Restored the version of {record.history_date:%d %b %Y %H:%M}")
    current.save()
    return current


@transaction.atomic
def progress_update(*, action: Action, status: str, note: str = "", link: str = "", by) -> Action:
    """Record progress on an action in any state of its plan: progress is not the plan's content,
    so a signed-off plan still gathers it. The status change and the evidence are kept in history."""
    current = Action.objects.select_for_update().get(pk=action.pk)
    content_changed(current.plan_id)
    if current.status != status:
        current.status = status
        current.version += 1
        current.full_clean()
        _attribute(current, by, f"Progress: {ActionStatus(status).label.lower()}")
        current.save(update_fields=["status", "version", "updated_at"])
    if note.strip() or link.strip():
        evidence_add(action=current, note=note, link=link, by=by)
    return current


@transaction.atomic
def evidence_add(*, action: Action, note: str, link: str, by) -> Evidence:
    evidence = Evidence(plan_id=action.plan_id, action=action, note=note.strip(), link=link.strip(), added_by=by)
    _check_same_plan(evidence)
    evidence.full_clean()
    _attribute(evidence, by, "Evidence added")
    evidence.save()
    content_changed(action.plan_id)
    return evidence


def plan_seen(*, plan: SchoolPlan, by) -> None:
    """Mark that `by` has opened the plan now: the sign-off queue counts what changed since."""
    PlanSeen.objects.update_or_create(user=by, plan=plan, defaults={"seen_at": timezone.now()})


class GuideRefused(ValidationError):
    """The pocket guide cannot be published (it is already, or its plan is a draft)."""


@transaction.atomic
def pocket_guide_publish(*, guide: PocketGuide, by) -> PocketGuide:
    """Publish a draft pocket guide: everyone may read it from now, and every member of staff is
    told (the receivers of `pocket_guide_published` run in this transaction)."""
    guide = PocketGuide.objects.select_for_update().select_related("plan__trust", "academic_year").get(pk=guide.pk)
    if guide.status == Status.PUBLISHED:
        raise GuideRefused("This pocket guide is already published: staff were e-mailed when it was.")
    if guide.plan.status != Status.PUBLISHED:
        raise GuideRefused("Publish the strategic plan first: its pocket guide cannot be read without it.")
    guide.status = Status.PUBLISHED
    guide._history_user = by
    guide._change_reason = "Published"
    guide.save(update_fields=["status", "updated_at"])
    pocket_guide_published.send(sender=PocketGuide, guide=guide, by=by)
    return guide
