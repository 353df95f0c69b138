"""The life of a school or business development plan:

    draft -> submitted to the LGC -> agreed by the LGC (or returned to draft with comments)
          -> finalised -> signed off by the CEO -> (reopened to draft, with a reason)

`STEPS` is the one description of each step: the states it starts from and leads to, which
policy rule decides who may take it, whether it needs a comment, the words on its button and in
the plan's log, and whether it asks "are you sure?" first. Buttons, the log, the CEO's queue and
the checks below all read it; termly ratings and reminders will too.

`take_step` checks state and person again inside one transaction, with the plan row locked, so
two people pressing buttons at once cannot both move it, and records who, when and why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from governance import policy

from .models import PlanEvent, PlanState, SchoolPlan, Step

NONE, OPTIONAL, REQUIRED = "", "optional", "required"


@dataclass(frozen=True)
class StepRule:
    name: str
    from_states: tuple[str, ...]
    to_state: str
    who: Callable[..., bool]  # a governance.policy rule taking (user, plan)
    button: str  # the words on the button
    done: str  # past tense, for the log and messages: "Submitted to the LGC" (by Hannah Eddy)
    comment: str = NONE  # NONE, OPTIONAL or REQUIRED
    comment_label: str = "Comment (optional)"
    comment_missing: str = ""  # what to say when a required comment is missing
    confirm: str = ""  # when set, the step is taken only after this question is answered yes
    forward: bool = True  # False for steps that send the plan back (shown as such)
    review_first: str = ""  # taken from the SMART check page; the plan page links there with these words

    @property
    def comment_required(self) -> bool:
        return self.comment == REQUIRED

    @property
    def done_phrase(self) -> str:
        """The past tense inside a sentence: "submitted to the LGC"."""
        return self.done[:1].lower() + self.done[1:]


STEPS: dict[str, StepRule] = {
    rule.name: rule
    for rule in [
        StepRule(
            Step.SUBMIT,
            (PlanState.DRAFT,),
            PlanState.SUBMITTED,
            who=policy.writes_school_plan,
            button="Submit to the LGC",
            done="Submitted to the LGC",
            comment=OPTIONAL,
            review_first="Check and submit to the LGC",
        ),
        StepRule(
            Step.AGREE,
            (PlanState.SUBMITTED,),
            PlanState.AGREED,
            who=policy.agrees_school_plan,
            button="Agree the plan",
            done="Agreed",
            comment=OPTIONAL,
            review_first="Review the SMART report and agree or return",
        ),
        StepRule(
            Step.RETURN,
            (PlanState.SUBMITTED,),
            PlanState.DRAFT,
            who=policy.agrees_school_plan,
            button="Return with comments",
            done="Returned to draft",
            comment=REQUIRED,
            comment_label="What needs to change (required)",
            comment_missing="Say what needs to change: the comment is kept with the plan.",
            forward=False,
            review_first="Review the SMART report and agree or return",
        ),
        StepRule(
            Step.FINALISE,
            (PlanState.AGREED,),
            PlanState.FINALISED,
            who=policy.writes_school_plan,
            button="Finalise",
            done="Finalised",
            confirm="Finalising publishes the plan to the school's staff and sends it to the CEO for sign-off. "
            "Its priorities, actions and success criteria can no longer be changed.",
        ),
        StepRule(
            Step.SIGN_OFF,
            (PlanState.FINALISED,),
            PlanState.SIGNED_OFF,
            who=policy.is_ceo,
            button="Sign off",
            done="Signed off",
            confirm="Signing off closes the plan for the year: only you can reopen it, with a reason. "
            "Progress on its actions is still recorded all year.",
        ),
        StepRule(
            Step.REOPEN,
            (PlanState.SIGNED_OFF,),
            PlanState.DRAFT,
            who=policy.is_ceo,
            button="Reopen",
            done="Reopened",
            comment=REQUIRED,
            comment_label="Why it is being reopened (required)",
            comment_missing="Say why it is being reopened: the comment is kept with the plan.",
            forward=False,
        ),
    ]
}


def may_take(user, plan: SchoolPlan, step: str) -> bool:
    """Whether this person may take this step now: the plan is in a state the step starts from,
    the person can see the plan, and the step's policy rule says yes."""
    rule = STEPS.get(step)
    return (
        rule is not None
        and plan.state in rule.from_states
        and policy.can_view_school_plan(user, plan)
        and rule.who(user, plan)
    )


def steps_for(user, plan: SchoolPlan) -> list[StepRule]:
    return [rule for name, rule in STEPS.items() if may_take(user, plan, name)]


def event_sentence(event: PlanEvent) -> str:
    """ "Submitted to the LGC by Hannah Eddy": the log's words for an event."""
    rule = STEPS.get(event.step)
    done = rule.done if rule else event.get_step_display()
    return f"{done} by {event.by.full_name or event.by.email}"


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
            f"The plan is {plan.state_phrase}, so it cannot be {rule.done_phrase} now "
            "(someone may have moved it on already)."
        )
    if not may_take(by, plan, step):
        button = rule.button
        raise PermissionDenied(f"You may not {button[:1].lower() + button[1:]} this plan.")
    comment = comment.strip()
    if rule.comment == REQUIRED and not comment:
        raise StepRefused(rule.comment_missing)
    PlanEvent.objects.create(
        plan=plan, step=step, from_state=plan.state, to_state=rule.to_state, by=by, at=timezone.now(), comment=comment
    )
    plan.state = rule.to_state
    plan.content_version += 1  # the state is part of what every page of the plan shows
    plan._history_user = by
    plan._change_reason = f"{rule.done}{': ' + comment if comment else ''}"[:100]
    plan.save(update_fields=["state", "content_version", "updated_at"])
    return plan
