"""A plan's history, SMART check and as-signed-off pages cost the same number of queries for a
small plan and a large one with many versions: the same page at two sizes."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from plans import services, workflow
from plans.models import Action, SuccessCriterion
from tests.school_plan_builders import STEPS_TO, person, sdp

pytestmark = pytest.mark.django_db

PAGES = ["school_plans:history", "school_plans:smart", "school_plans:as_signed_off"]


def grow(plan, *, actions: int) -> None:
    """Add actions with two criteria each to the plan's first priority, and edit each action once,
    so the plan has more items and more history."""
    head = person("head")
    priority = plan.priorities.first()
    for i in range(actions):
        action = services.item_save(
            item=Action(plan=plan, priority=priority),
            values={"what": f"Action {i}", "lead": person("senior"), "due_term": "spring"},
            expected_version=None,
            by=head,
        )
        for j in range(2):
            services.item_save(
                item=SuccessCriterion(plan=plan, action=action),
                values={"text": f"{j + 5} pupils in {i} groups", "target": j + 5},
                expected_version=None,
                by=head,
            )
        services.item_save(
            item=action, values={"what": f"Action {i}, edited"}, expected_version=action.version, by=head
        )


def signed_off(plan):
    """Take a Saltash plan through its life to signed off."""
    actors = {"head": person("head"), "governor": person("governor")}
    for step, who in STEPS_TO["signed_off"]:
        plan = workflow.take_step(plan=plan, step=step, by=actors.get(who) or person(who), comment="")
    return plan


def queries_for(client: Client, url: str) -> int:
    client.get(url)  # warm: the first request of a client reads the session, roles, etc.
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


@pytest.mark.parametrize("page", PAGES)
def test_plan_pages_cost_the_same_queries_for_a_small_and_a_large_plan(demo, page):
    client = Client()
    client.force_login(person("ceo"))

    small = sdp(school="brunel", state="signed_off")
    small_count = queries_for(client, reverse(page, args=[small.pk]))

    large = sdp(state="draft")
    grow(large, actions=12)
    large = signed_off(large)
    assert Action.objects.filter(plan=large).count() == 13
    assert Action.history.filter(plan_id=large.pk).count() == 1 + 12 * 2  # every action added, twelve edited
    large_count = queries_for(client, reverse(page, args=[large.pk]))

    assert large_count == small_count
