"""Small builders for development plans in tests, on top of the demo trust."""

from __future__ import annotations

from django.test import Client, override_settings

from governance.models import User
from plans import services, workflow
from plans.models import AcademicYear, PlanKind, SchoolPlan
from schools.models import School, Trust
from smart_trust.demo import demo_email

STEPS_TO = {
    "draft": [],
    "submitted": [("submit", "head")],
    "agreed": [("submit", "head"), ("agree", "governor")],
    "finalised": [("submit", "head"), ("agree", "governor"), ("finalise", "head")],
    "signed_off": [("submit", "head"), ("agree", "governor"), ("finalise", "head"), ("sign_off", "ceo")],
}


def person(local: str) -> User:
    return User.objects.get(email=demo_email(local))


def client_for(local: str) -> Client:
    """A test client signed in as a demo person; several can be open at once in one test."""
    client = Client()
    client.force_login(person(local))
    return client


def sdp(school: str = "saltash", state: str = "draft", *, year: int = 2023, with_action: bool = True) -> SchoolPlan:
    """An SDP for a demo school, with one school priority, action and criterion, moved to `state`
    by the demo headteacher, chair of governors and CEO (at other schools head.<slug>, governor.<slug>)."""
    head = person("head" if school == "saltash" else f"head.{school}")
    # The demo gives five schools a signed-off, rated 2023/24 SDP (smart_trust.demo): a test that
    # builds one of its own starts that school's plan afresh (no history rows: the test rolls back).
    with override_settings(SIMPLE_HISTORY_ENABLED=False):
        SchoolPlan.objects.filter(kind=PlanKind.SDP, school__slug=school, academic_year__start_year=year).delete()
    plan = services.plan_create(
        trust=Trust.objects.get(),
        school=School.objects.get(slug=school),
        kind=PlanKind.SDP,
        academic_year=AcademicYear.objects.get_or_create(start_year=year)[0],
        by=head,
    )
    if with_action:
        priority = services.item_save(
            item=services.Priority(plan=plan),
            values={"title": "Reading for pleasure", "description": "Every pupil reads widely."},
            expected_version=None,
            by=head,
        )
        action = services.item_save(
            item=services.Action(plan=plan, priority=priority),
            values={"what": "Weekly library sessions for Year 7", "lead": head, "due_term": "summer"},
            expected_version=None,
            by=head,
        )
        services.item_save(
            item=services.SuccessCriterion(plan=plan, action=action),
            values={"text": "85% of Year 7 borrow a book each week", "target": 85, "unit": "%"},
            expected_version=None,
            by=head,
        )
    for step, who in STEPS_TO[state]:
        actor = {"head": head, "governor": person("governor" if school == "saltash" else f"governor.{school}")}.get(
            who
        ) or person(who)
        plan = workflow.take_step(plan=plan, step=step, by=actor, comment="")
    return plan
