"""Writes of the review cycle's pages: the CEO's changes to a stage, and a task stage marked done.
Each is one transaction that also records who did it (history), so nothing is half-saved and the
history always agrees with the data."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max

from governance import policy
from governance.models import SCHOOL_ROLES
from schools.models import School

from .models_cycle import Due, Stage, StageDone


def _attribute(obj, by, reason: str) -> None:
    obj._history_user = by
    obj._change_reason = reason[:100]


@transaction.atomic
def stage_save(*, stage: Stage, by) -> Stage:
    """Keep a stage (new or changed) as the CEO's form left it; a new one goes last in its year."""
    if stage.pk is None and not stage.order:
        last = Stage.objects.filter(trust=stage.trust, academic_year=stage.academic_year).aggregate(n=Max("order"))
        stage.order = min((last["n"] or 0) + 1, 32767)
    else:
        Stage.objects.select_for_update().filter(pk=stage.pk).first()
    stage.full_clean()
    _attribute(stage, by, "Stage added" if stage.pk is None else "Stage changed")
    stage.save()
    return stage


def already_done(done: StageDone) -> str:
    """Why a stage cannot be marked done again, in words: who did it, where and when."""
    who = done.by.full_name or done.by.email
    place = f" for {done.school.name}" if done.school_id else ""
    return f"“{done.stage.name}” was already marked done{place} by {who} on {done.at:%-d %B %Y}."


@transaction.atomic
def stage_mark_done(*, stage: Stage, school: School | None, by, note: str = "") -> StageDone:
    """Mark a task stage done for a school (a school role's stage) or for the trust."""
    stage = Stage.objects.select_for_update().get(pk=stage.pk)
    if stage.due_kind != Due.TASK:
        raise ValidationError(f"“{stage.name}” is not a task: it is done when {stage.get_due_kind_display().lower()}.")
    if (stage.responsible in SCHOOL_ROLES) != (school is not None):
        raise ValidationError(
            f"“{stage.name}” is done by each school." if school is None else f"“{stage.name}” is done by the trust."
        )
    school_id = school.pk if school else None
    if not policy.marks_stage_done(by, stage.responsible, school_id):
        raise PermissionDenied("Only whoever holds the stage's responsible role there, or the CEO, marks it done.")
    found = StageDone.objects.filter(stage=stage, school_id=school_id).select_related("by", "school", "stage").first()
    if found:
        raise ValidationError(already_done(found))
    done = StageDone(stage=stage, school=school, by=by, note=note.strip())
    done.full_clean(validate_unique=False)
    _attribute(done, by, "Marked done")
    try:
        with transaction.atomic():
            done.save()
    except IntegrityError:  # marked by someone else a moment ago
        found = StageDone.objects.select_related("by", "school", "stage").get(stage=stage, school_id=school_id)
        raise ValidationError(already_done(found)) from None
    return done
