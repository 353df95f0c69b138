"""A plan's content version moves on with every change to the plan or its items, and only then:
what is kept per version (the sign-off queue's SMART summary, cached pages) relies on it."""

import pytest

from plans import services, workflow
from plans.models import Action, Priority, SchoolPlan, SuccessCriterion
from tests.school_plan_builders import person, sdp

pytestmark = pytest.mark.django_db


def version(plan) -> int:
    return SchoolPlan.objects.values_list("content_version", flat=True).get(pk=plan.pk)


def add_priority(plan, head):
    services.item_save(item=Priority(plan=plan), values={"title": "New"}, expected_version=None, by=head)


def edit_action(plan, head):
    action = Action.objects.filter(plan=plan).first()
    services.item_save(item=action, values={"what": "Edited"}, expected_version=action.version, by=head)


def remove_criterion(plan, head):
    services.item_delete(item=SuccessCriterion.objects.filter(plan=plan).first(), by=head)


def move_priority(plan, head):
    services.item_move(item=plan.priorities.order_by("order").last(), by=head, up=True)


def restore_action(plan, head):
    action = Action.objects.filter(plan=plan).first()
    first = action.history.order_by("history_date").first()
    services.item_restore(model=Action, item_pk=action.pk, plan=plan, history_id=first.history_id, by=head)


def record_progress(plan, head):
    services.progress_update(action=Action.objects.filter(plan=plan).first(), status="in_progress", by=head)


def add_evidence(plan, head):
    services.evidence_add(action=Action.objects.filter(plan=plan).first(), note="Minutes", link="", by=head)


def submit(plan, head):
    workflow.take_step(plan=plan, step="submit", by=head, comment="")


CHANGES = [
    add_priority,
    edit_action,
    remove_criterion,
    move_priority,
    restore_action,
    record_progress,
    add_evidence,
    submit,
]


@pytest.mark.parametrize("change", CHANGES, ids=lambda f: f.__name__)
def test_every_change_moves_the_content_version_on(demo, change):
    plan, head = sdp(), person("head")
    before = version(plan)
    change(plan, head)
    assert version(plan) > before


def test_reading_and_a_refused_change_leave_it_where_it_was(demo):
    plan, head = sdp(state="finalised"), person("head")
    before = version(plan)
    services.plan_seen(plan=plan, by=person("ceo"))  # the CEO opening it is not a change to it
    assert version(plan) == before
    with pytest.raises(services.PlanLocked):
        add_priority(plan, head)  # a finalised plan's items cannot change
    assert version(plan) == before
