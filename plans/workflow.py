"""The life of a school or business development plan:

    draft -> submitted to the LGC -> agreed by the LGC (or returned to draft with comments)
          -> finalised -> signed off by the CEO -> (reopened to draft, with a reason)

`STEPS` says which states each step starts from and where it leads; smart_trust.policy says who
may take it. `take_step` does both checks again inside one transaction, with the plan row locked,
so two people pressing buttons at once cannot both move it, and records who, when and why.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from smart_trust import policy

from .models import PlanEvent, PlanState, SchoolPlan, Step


@dataclass(frozen=True)
class Rule:
    from_states: tuple[str, ...]
    to_state: str
    comment_required: bool = False
    done: str = ""  # what the person is told afterwards


STEPS: dict[str, Rule] = {
    Step.SUBMIT: Rule((PlanState.DRAFT,), PlanState.SUBMITTED, done="submitted to the LGC"),
    Step.AGREE: Rule((PlanState.SUBMITTED,), PlanState.AGREED, done="agreed"),
    Step.RETURN: Rule((PlanState.SUBMITTED,), PlanState.DRAFT, comment_required=True, done="returned to draft"),
    Step.FINALISE: Rule((PlanState.AGREED,), PlanState.FINALISED, done="finalised"),
    Step.SIGN_OFF: Rule((PlanState.FINALISED,), PlanState.SIGNED_OFF, done="signed off"),
    Step.REOPEN: Rule((PlanState.SIGNED_OFF,), PlanState.DRAFT, comment_required=True, done="reopened"),
}


class StepRefused(ValidationError):
    pass


@transaction.atomic
def take_step(*, plan: SchoolPlan, step: str, by, comment: str = "") -> SchoolPlan:
    """Move `plan` one step on. Raises PermissionDenied for the wrong person and StepRefused
    (with a message saying what to do) for the wrong state or a missing comment."""
    if step not in STEPS:
        raise StepRefused(f"“{step}” is not a step of a plan's life.")
    rule = STEPS[step]
    # Lock the plan's row only (a join to the nullable school cannot be locked in PostgreSQL).
    plan = SchoolPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.state not in rule.from_states:
        raise StepRefused(
            f"The plan is {plan.state_phrase}, so it cannot be {rule.done} now (someone may have moved it on already)."
        )
    if not policy.may_take_step(by, plan, step):
        label = Step(step).label
        raise PermissionDenied(f"You may not {label[:1].lower() + label[1:]} this plan.")
    comment = comment.strip()
    if rule.comment_required and not comment:
        what = "what needs to change" if step == Step.RETURN else "why it is being reopened"
        raise StepRefused(f"Say {what}: the comment is kept with the plan.")
    PlanEvent.objects.create(
        plan=plan, step=step, from_state=plan.state, to_state=rule.to_state, by=by, at=timezone.now(), comment=comment
    )
    plan.state = rule.to_state
    plan._history_user = by
    plan._change_reason = f"{Step(step).label}{': ' + comment if comment else ''}"[:100]
    plan.save(update_fields=["state", "updated_at"])
    return plan
