"""The main forms under random and hostile input (issue 16 item 11), through the test client: a
school plan's priority, action and success criterion forms, and the add and edit person forms.
Any answer but a 500 (the test client raises the server's exception, so a traceback fails the
test); a refused form changes nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from plans.models import Action, Priority
from smart_trust.demo import demo_email
from tests.hostile import HOSTILE, hostile_text, rolled_back, snapshot
from tests.school_plan_builders import sdp

pytestmark = pytest.mark.django_db

ACCEPTED, REFUSED = {302}, {200, 400, 403, 404, 409}


def form_data(fields: list[str]) -> st.SearchStrategy[dict[str, str]]:
    """Every field of a form, each hostile or left out, plus a hostile hidden version field."""
    value = st.one_of(hostile_text, st.none())
    return st.fixed_dictionaries({name: value for name in [*fields, "version"]}).map(
        lambda data: {k: v for k, v in data.items() if v is not None}
    )


def post(client, url: str, data: dict[str, str]) -> None:
    with rolled_back():
        before = snapshot()
        response = client.post(url, data)
        assert response.status_code in ACCEPTED | REFUSED, response.status_code
        if response.status_code in REFUSED:
            assert snapshot() == before


@pytest.fixture
def plan(sign_in_as):
    plan = sdp("saltash")
    sign_in_as("head")
    return plan


@settings(HOSTILE, max_examples=50)
@given(data=form_data(["title", "description"]))
def test_priority_form(client, plan, data):
    post(client, reverse("school_plans:priority_add", args=[plan.pk]), data)


ACTION_FIELDS = ["what", "lead", "status", "start_date", "start_term", "due_date", "due_term", "resources", "cost"]


@settings(HOSTILE, max_examples=50)
@given(data=form_data(ACTION_FIELDS))
def test_action_form(client, plan, data):
    priority = Priority.objects.filter(plan=plan).first()
    post(client, reverse("school_plans:action_add", args=[plan.pk, priority.pk]), data)


@settings(HOSTILE, max_examples=50)
@given(data=form_data(["text", "kpi", "baseline", "target", "unit", "due_date", "due_term"]))
def test_criterion_form(client, plan, data):
    action = Action.objects.filter(plan=plan).first()
    post(client, reverse("school_plans:criterion_add", args=[plan.pk, action.pk]), data)


@settings(HOSTILE, max_examples=50)
@given(data=form_data(["full_name", "email"]))
def test_person_add_form(client, central, data):
    post(client, reverse("person_add"), data)


@settings(HOSTILE, max_examples=50)
@given(data=form_data(["full_name", "email", "is_active"]))
def test_person_edit_form(client, central, data):
    from governance.models import User

    staff = User.objects.get(email=demo_email("staff"))
    post(client, reverse("person_edit", args=[staff.pk]), data)


def test_a_long_unit_is_refused_with_its_message_not_a_500(client, plan):
    """Found by the test above: the message's "%" broke Django's message formatting (a 500)."""
    action = Action.objects.filter(plan=plan).first()
    url = reverse("school_plans:criterion_add", args=[plan.pk, action.pk])
    with rolled_back():
        before = snapshot()
        response = client.post(url, {"text": "Most pupils read daily", "unit": "x" * 100})
        assert response.status_code == 400
        assert "Keep the unit short, e.g. %, pupils, days." in response.content.decode()
        assert snapshot() == before
