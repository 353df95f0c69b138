"""School and business development plans: starting from the pocket guide, writing, the SMART
check, every workflow step and refusal, concurrent edits, history and restore, what staff see."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from plans import plan_history, services, smart, workflow
from plans.models import (
    AcademicYear,
    Action,
    ActionStatus,
    Milestone,
    PlanEvent,
    PlanKind,
    PlanState,
    Priority,
    SchoolPlan,
    SuccessCriterion,
)
from schools.models import School, Trust
from tests.school_plan_builders import client_for, person, sdp

pytestmark = pytest.mark.django_db


def redirect_of(response) -> str:
    """Where a response sends the person; fails unless it is a redirect (302)."""
    assert response.status_code == 302, response.content.decode()[:500]
    return response["Location"]


def the_action(plan) -> Action:
    return Action.objects.get(plan=plan)


# --- starting a plan -------------------------------------------------------------------------


def test_an_sdp_starts_with_one_trust_priority_per_pocket_guide_milestone(demo):
    plan = sdp(with_action=False)
    milestones = Milestone.objects.filter(guide__academic_year__start_year=2023)
    priorities = list(plan.priorities.all())
    assert len(priorities) == milestones.count() == 8
    assert {p.milestone_id for p in priorities} == set(milestones.values_list("pk", flat=True))
    assert all(p.aim_id == p.milestone.aim_id and p.is_trust_priority for p in priorities)
    assert priorities[7].title == "Excellence in business practice"  # numbered by its place, not twice
    assert "To embed TOLT as a tier of the Trust" in priorities[7].description
    assert plan.history.get().history_user == person("head")


def test_the_headteacher_starts_the_sdp_in_the_browser_and_cannot_start_it_twice(demo):
    client = client_for("head")
    saltash = School.objects.get(slug="saltash")
    year = AcademicYear.objects.get(start_year=2023)
    data = {"kind": "sdp", "school": saltash.pk, "academic_year": year.pk}
    response = client.post(reverse("school_plans:create"), data)
    plan = SchoolPlan.objects.get(school=saltash)
    assert response["Location"] == plan.get_absolute_url()
    assert plan.created_by == person("head") and plan.priorities.count() == 8
    again = client.post(reverse("school_plans:create"), data)
    assert again.status_code == 400
    assert "This school already has this plan for that year." in again.content.decode()


def test_a_headteacher_cannot_start_another_schools_plan(no_demo_sdps):
    brunel = School.objects.get(slug="brunel")
    year = AcademicYear.objects.get(start_year=2023)
    response = client_for("head").post(
        reverse("school_plans:create"), {"kind": "sdp", "school": brunel.pk, "academic_year": year.pk}
    )
    assert response.status_code == 400  # Brunel is not among the choices offered
    assert not SchoolPlan.objects.exists()


def test_tolt_starts_the_trust_wide_bdp(no_demo_sdps):
    year = AcademicYear.objects.get(start_year=2023)
    client = client_for("tolt")
    response = client.post(reverse("school_plans:create"), {"kind": "bdp", "school": "trust", "academic_year": year.pk})
    plan = SchoolPlan.objects.get()
    assert response.status_code == 302 and plan.school is None and plan.kind == PlanKind.BDP
    assert plan.title.endswith("BDP 2023/24")
    refused = client.post(reverse("school_plans:create"), {"kind": "sdp", "school": "trust", "academic_year": year.pk})
    assert "A school development plan belongs to one school" in refused.content.decode()


def test_a_school_bdp_is_possible(no_demo_sdps):
    year = AcademicYear.objects.get(start_year=2023)
    saltash = School.objects.get(slug="saltash")
    response = client_for("head").post(
        reverse("school_plans:create"), {"kind": "bdp", "school": saltash.pk, "academic_year": year.pk}
    )
    assert response.status_code == 302
    assert SchoolPlan.objects.get().kind == PlanKind.BDP


def test_unfinished_actions_are_carried_forward(demo):
    last_year = sdp(year=2022, with_action=False)
    priority = services.item_save(
        item=Priority(plan=last_year), values={"title": "Attendance"}, expected_version=None, by=person("head")
    )
    for what, status in [("Phone every absent pupil", ActionStatus.IN_PROGRESS), ("Buy registers", "complete")]:
        action = services.item_save(
            item=Action(plan=last_year, priority=priority),
            values={"what": what, "status": status},
            expected_version=None,
            by=person("head"),
        )
        services.item_save(
            item=SuccessCriterion(plan=last_year, action=action),
            values={"text": f"{what}: done"},
            expected_version=None,
            by=person("head"),
        )
    plan = services.plan_create(
        trust=Trust.objects.get(),
        school=last_year.school,
        kind="sdp",
        academic_year=AcademicYear.objects.get(start_year=2023),
        by=person("head"),
        carry_forward=True,
    )
    carried = Action.objects.get(plan=plan)
    assert carried.what == "Phone every absent pupil" and carried.carried_from.plan_id == last_year.pk
    assert carried.priority.title == "Attendance" and not carried.priority.is_trust_priority
    assert [c.text for c in carried.criteria.all()] == ["Phone every absent pupil: done"]


# --- writing ---------------------------------------------------------------------------------


def test_add_edit_reorder_and_remove_through_the_pages(demo):
    plan = sdp(with_action=False)
    client = client_for("head")
    response = client.post(reverse("school_plans:priority_add", args=[plan.pk]), {"title": "Oracy", "description": ""})
    assert response.status_code == 302
    oracy = plan.priorities.get(title="Oracy")
    assert oracy.order == 9
    response = client.post(
        reverse("school_plans:action_add", args=[plan.pk, oracy.pk]),
        {"what": "Debate club", "lead": person("senior").pk, "status": "not_started", "due_term": "spring"},
    )
    assert response.status_code == 302
    action = Action.objects.get(priority=oracy)
    response = client.post(
        reverse("school_plans:criterion_add", args=[plan.pk, action.pk]),
        {"text": "Every Year 8 pupil speaks in a debate", "due_term": "summer"},
    )
    assert response.status_code == 302
    response = client.post(reverse("school_plans:item_move", args=[plan.pk, "priority", oracy.pk]), {"direction": "up"})
    assert redirect_of(response) == f"{plan.get_absolute_url()}#priority-{oracy.pk}"
    oracy.refresh_from_db()
    assert oracy.order == 8 and plan.priorities.get(order=9).milestone.number == "8"
    page = client.get(plan.get_absolute_url()).content.decode()
    assert "Priority 8: Oracy" in page and "Debate club" in page and "Every Year 8 pupil speaks in a debate" in page
    assert client.get(reverse("school_plans:item_delete", args=[plan.pk, "action", action.pk])).status_code == 200
    response = client.post(reverse("school_plans:item_delete", args=[plan.pk, "action", action.pk]))
    assert redirect_of(response) == plan.get_absolute_url()
    assert not Action.objects.filter(pk=action.pk).exists()
    assert not SuccessCriterion.objects.filter(plan=plan).exists()


def test_invalid_input_keeps_what_was_typed_and_says_what_to_fix(demo):
    plan = sdp()
    action = the_action(plan)
    response = client_for("head").post(
        reverse("school_plans:item_edit", args=[plan.pk, "action", action.pk]),
        {
            "what": "A rewritten action nobody should lose",
            "status": "in_progress",
            "start_date": "2024-05-01",
            "due_date": "2024-03-01",
            "cost": "-5",
            "version": action.version,
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "A rewritten action nobody should lose" in page
    assert "The due date is before the start date: change one of them." in page
    assert "The cost cannot be negative." in page
    action.refresh_from_db()
    assert action.what == "Weekly library sessions for Year 7"


def test_concurrent_edits_second_save_is_refused_showing_the_first_and_losing_nothing(demo):
    plan = sdp()
    action = the_action(plan)
    head, senior = client_for("head"), client_for("senior")
    url = reverse("school_plans:item_edit", args=[plan.pk, "action", action.pk])
    opened = {"head": head.get(url), "senior": senior.get(url)}
    version = opened["head"].context["form"].initial["version"]
    assert opened["senior"].context["form"].initial["version"] == version
    common = {"status": "in_progress", "due_term": "summer", "version": version}
    first = head.post(url, {**common, "what": "Library sessions twice a week", "lead": person("head").pk})
    assert first.status_code == 302
    second = senior.post(url, {**common, "what": "Library sessions every day", "lead": person("senior").pk})
    assert second.status_code == 409
    page = second.content.decode()
    assert "Hannah Eddy changed this while you were editing" in page
    assert "Library sessions twice a week" in page  # theirs, shown
    assert "Library sessions every day" in page  # yours, still in the form
    action.refresh_from_db()
    assert action.what == "Library sessions twice a week"
    # Saving again, now knowing, replaces theirs; both stay in the history.
    resubmit = second.context["form"].data.copy()
    third = senior.post(url, resubmit)
    assert third.status_code == 302
    action.refresh_from_db()
    assert action.what == "Library sessions every day"
    texts = list(action.history.values_list("what", flat=True))
    assert "Library sessions twice a week" in texts and "Weekly library sessions for Year 7" in texts


def test_the_service_refuses_a_stale_version(demo):
    plan = sdp()
    action = the_action(plan)
    services.item_save(item=action, values={"what": "One"}, expected_version=action.version, by=person("head"))
    with pytest.raises(services.EditConflict) as caught:
        services.item_save(item=action, values={"what": "Two"}, expected_version=1, by=person("senior"))
    assert caught.value.current.what == "One" and caught.value.changed_by == person("head")


def test_restore_an_earlier_version_is_a_new_recorded_change(demo):
    plan = sdp()
    criterion = SuccessCriterion.objects.get(plan=plan)
    original = criterion.history.earliest("history_date")
    services.item_save(
        item=criterion, values={"text": "Pupils like reading", "target": None}, expected_version=1, by=person("senior")
    )
    client = client_for("head")
    page = client.get(reverse("school_plans:item_history", args=[plan.pk, "criterion", criterion.pk]))
    assert "85% of Year 7 borrow a book each week" in page.content.decode()
    response = client.post(
        reverse("school_plans:item_restore", args=[plan.pk, "criterion", criterion.pk]),
        {"history_id": original.history_id},
    )
    assert response.status_code == 302
    criterion.refresh_from_db()
    assert (criterion.text, criterion.target, criterion.version) == ("85% of Year 7 borrow a book each week", 85, 3)
    latest = criterion.history.latest("history_date")
    assert latest.history_user == person("head") and latest.history_change_reason.startswith("Restored")
    assert criterion.history.count() == 3


def test_a_removed_action_can_be_put_back(demo):
    plan = sdp()
    action = the_action(plan)
    record = action.history.latest("history_date")
    services.item_delete(item=action, by=person("head"))
    restored = services.item_restore(
        model=Action, item_pk=action.pk, plan=plan, history_id=record.history_id, by=person("head")
    )
    assert restored.what == "Weekly library sessions for Year 7" and restored.priority_id == action.priority_id


def test_history_lists_who_changed_what_and_diffs_two_versions(demo):
    plan = sdp()
    action = the_action(plan)
    before = timezone.now()
    services.item_save(item=action, values={"what": "Daily library time"}, expected_version=1, by=person("senior"))
    after = timezone.now()
    response = client_for("head").get(
        reverse("school_plans:history", args=[plan.pk]), {"from": before.isoformat(), "to": after.isoformat()}
    )
    page = response.content.decode()
    assert "Sam Lowe" in page and "Changed action" in page
    lines = response.context["compared"]["lines"]
    assert ("removed", "    Action 9.1: Weekly library sessions for Year 7") in [(x.kind, x.text) for x in lines]
    assert ("added", "    Action 9.1: Daily library time") in [(x.kind, x.text) for x in lines]


def test_the_plan_as_it_was_at_sign_off(demo):
    plan = sdp(state="signed_off")
    workflow.take_step(plan=plan, step="reopen", by=person("ceo"), comment="New data on reading ages")
    action = the_action(plan)
    services.item_save(
        item=action, values={"what": "Reading tutors"}, expected_version=action.version, by=person("head")
    )
    page = client_for("governor").get(reverse("school_plans:as_signed_off", args=[plan.pk])).content.decode()
    assert "Weekly library sessions for Year 7" in page and "Reading tutors" not in page
    assert "Chris Evans signed it off" in page


# --- the SMART check -------------------------------------------------------------------------


def criterion(text, **kw) -> SuccessCriterion:
    return SuccessCriterion(text=text, **kw)


@pytest.mark.parametrize(
    ("text", "fields", "measurable", "timed"),
    [
        ("85% of pupils reach the expected standard by July 2025", {}, True, True),
        ("All staff observed twice", {"due_term": "spring"}, True, True),
        ("Reading improves", {"target": Decimal("70"), "unit": "%", "due_date": datetime.date(2025, 7, 1)}, True, True),
        ("Pupils enjoy reading more", {}, False, False),
        ("Better behaviour in the summer term", {}, False, True),
    ],
)
def test_smart_check_on_good_and_bad_criteria(text, fields, measurable, timed):
    action = Action(what="x")
    result = smart.check_criterion(criterion(text, **fields), action)
    checks = {c.name: c for c in result.checks}
    assert checks["measurable"].ok is measurable
    assert checks["timed"].ok is timed
    assert checks["led"].ok is False and "choose the person who leads" in checks["led"].reason
    if not measurable:
        assert "say how much or how many" in checks["measurable"].reason
    if not timed:
        assert "say by when" in checks["timed"].reason


def test_a_criterion_is_timed_by_its_action_and_led_by_its_lead(demo):
    action = Action(what="x", due_date=datetime.date(2024, 7, 19), lead=person("head"))
    result = smart.check_criterion(criterion("Three parent workshops"), action)
    assert result.ok
    assert [c.reason for c in result.checks] == [
        "A countable outcome (“Three”).",
        "By the action's due date, 19 July 2024.",
        "Led by Hannah Eddy.",
    ]


def test_smart_report_page_lists_failures_with_reasons_for_head_and_governor(demo):
    plan = sdp()
    action = the_action(plan)
    services.item_save(
        item=SuccessCriterion(plan=plan, action=action),
        values={"text": "Pupils love books"},
        expected_version=None,
        by=person("head"),
    )
    for who in ("head", "governor"):
        page = client_for(who).get(reverse("school_plans:smart", args=[plan.pk])).content.decode()
        assert "1 of 2 success criteria need attention" in page
        assert "No number or countable outcome" in page
    assert client_for("staff").get(reverse("school_plans:smart", args=[plan.pk])).status_code == 404


# --- the workflow ----------------------------------------------------------------------------

JOURNEY = [
    ("submit", "head", PlanState.DRAFT, PlanState.SUBMITTED),
    ("agree", "governor", PlanState.SUBMITTED, PlanState.AGREED),
    ("finalise", "head", PlanState.AGREED, PlanState.FINALISED),
    ("sign_off", "ceo", PlanState.FINALISED, PlanState.SIGNED_OFF),
]


def test_every_step_is_recorded_with_who_when_and_comment(demo):
    plan = sdp()
    for step, who, before, after in JOURNEY:
        assert plan.state == before
        plan = workflow.take_step(plan=plan, step=step, by=person(who), comment=f"{step} ok")
        assert plan.state == after
        event = plan.events.latest("at")
        assert (event.step, event.by, event.comment, event.from_state, event.to_state) == (
            step,
            person(who),
            f"{step} ok",
            before,
            after,
        )
    assert plan.history.latest("history_date").history_user == person("ceo")


@pytest.mark.parametrize(
    ("state", "step", "who"),
    [
        ("draft", "submit", "governor"),
        ("draft", "submit", "staff"),
        ("draft", "submit", "middle"),
        ("draft", "submit", "head.brunel"),
        ("submitted", "agree", "head"),
        ("submitted", "agree", "trustee"),
        ("submitted", "agree", "governor.brunel"),
        ("submitted", "return", "head"),
        ("agreed", "finalise", "governor"),
        ("finalised", "sign_off", "head"),
        ("finalised", "sign_off", "trustee"),
        ("signed_off", "reopen", "head"),
    ],
)
def test_each_step_is_refused_to_the_wrong_person(demo, state, step, who):
    plan = sdp(state=state)
    events = PlanEvent.objects.filter(plan=plan).count()
    with pytest.raises(PermissionDenied):
        workflow.take_step(plan=plan, step=step, by=person(who), comment="because")
    plan.refresh_from_db()
    assert plan.state == state and PlanEvent.objects.filter(plan=plan).count() == events


@pytest.mark.parametrize(
    ("state", "step", "who"),
    [
        ("draft", "agree", "governor"),
        ("draft", "finalise", "head"),
        ("draft", "sign_off", "ceo"),
        ("submitted", "submit", "head"),
        ("submitted", "finalise", "head"),
        ("agreed", "sign_off", "ceo"),
        ("finalised", "agree", "governor"),
        ("signed_off", "sign_off", "ceo"),
        ("draft", "reopen", "ceo"),
    ],
)
def test_each_step_is_refused_from_the_wrong_state(demo, state, step, who):
    plan = sdp(state=state)
    with pytest.raises(workflow.StepRefused) as caught:
        workflow.take_step(plan=plan, step=step, by=person(who), comment="because")
    assert "cannot be" in caught.value.messages[0]
    plan.refresh_from_db()
    assert plan.state == state


def test_return_and_reopen_need_a_comment(demo):
    submitted = sdp(state="submitted")
    with pytest.raises(workflow.StepRefused, match="Say what needs to change"):
        workflow.take_step(plan=submitted, step="return", by=person("governor"), comment="  ")
    returned = workflow.take_step(plan=submitted, step="return", by=person("governor"), comment="Add KPIs for reading")
    assert returned.state == PlanState.DRAFT
    signed = sdp(school="brunel", state="signed_off")
    with pytest.raises(workflow.StepRefused, match="why it is being reopened"):
        workflow.take_step(plan=signed, step="reopen", by=person("ceo"))
    assert workflow.take_step(plan=signed, step="reopen", by=person("ceo"), comment="Ofsted").state == "draft"


@pytest.mark.parametrize("state", ["submitted", "finalised", "signed_off"])
def test_nobody_edits_a_plan_outside_its_writing_states(demo, state):
    plan = sdp(state=state)
    action = the_action(plan)
    with pytest.raises(ValidationError):
        services.item_save(item=action, values={"what": "sneaky"}, expected_version=action.version, by=person("head"))
    response = client_for("head").get(reverse("school_plans:item_edit", args=[plan.pk, "action", action.pk]))
    assert response.status_code == 403
    action.refresh_from_db()
    assert action.what == "Weekly library sessions for Year 7"


def test_an_agreed_plan_can_still_be_edited_before_it_is_finalised(demo):
    plan = sdp(state="agreed")
    action = the_action(plan)
    services.item_save(item=action, values={"what": "Tweaked"}, expected_version=action.version, by=person("head"))
    action.refresh_from_db()
    assert action.what == "Tweaked"


def test_steps_are_offered_only_to_who_may_take_them(demo):
    plan = sdp(state="submitted")
    assert (
        "Agree the plan" in client_for("governor").get(reverse("school_plans:smart", args=[plan.pk])).content.decode()
    )
    head_page = client_for("head").get(reverse("school_plans:smart", args=[plan.pk])).content.decode()
    assert "Agree the plan" not in head_page and "Submit to the LGC" not in head_page
    response = client_for("head").post(reverse("school_plans:step", args=[plan.pk, "agree"]))
    assert response.status_code == 403


def test_progress_and_evidence_are_recorded_all_year_by_leaders_not_by_staff(demo):
    plan = sdp(state="signed_off")
    action = the_action(plan)
    url = reverse("school_plans:progress", args=[plan.pk, action.pk])
    response = client_for("middle").post(url, {"status": "in_progress", "note": "Borrowing log, week 6", "link": ""})
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == ActionStatus.IN_PROGRESS
    assert action.evidence.get().added_by == person("middle")
    record = action.history.latest("history_date")
    assert (record.history_user, record.history_change_reason) == (person("middle"), "Progress: in progress")
    # A status change alone is progress too; evidence alone leaves the status.
    back = f"{plan.get_absolute_url()}#action-{action.pk}"
    assert redirect_of(client_for("head").post(url, {"status": "complete"})) == back
    assert (
        redirect_of(client_for("senior").post(url, {"status": "complete", "link": "intranet.example/library-log"}))
        == back
    )
    action.refresh_from_db()
    assert action.status == ActionStatus.COMPLETE
    assert action.evidence.latest("added_at").link == "https://intranet.example/library-log"
    plan.refresh_from_db()
    assert plan.state == PlanState.SIGNED_OFF  # the plan's content stays as signed off


def test_progress_form_refuses_nothing_to_record_and_bad_links(demo):
    plan = sdp()
    action = the_action(plan)
    url = reverse("school_plans:progress", args=[plan.pk, action.pk])
    empty = client_for("head").post(url, {"status": action.status, "note": "", "link": ""})
    assert empty.status_code == 400
    assert "Change the status, write a note, give a link, or any of these." in empty.content.decode()
    bad = client_for("head").post(url, {"status": action.status, "note": "See", "link": "not a link at all"})
    assert bad.status_code == 400 and "Enter a web address, e.g. https://example.org/report." in bad.content.decode()
    assert not action.evidence.exists()


def test_staff_cannot_record_progress(demo):
    plan = sdp(state="finalised")
    action = the_action(plan)
    url = reverse("school_plans:progress", args=[plan.pk, action.pk])
    assert client_for("staff").post(url, {"status": "complete", "note": "x"}).status_code == 403
    action.refresh_from_db()
    assert action.status == ActionStatus.NOT_STARTED


# --- who reads what --------------------------------------------------------------------------


def test_staff_read_their_schools_finalised_plan_not_drafts(demo):
    draft = sdp()
    staff = client_for("staff")
    assert staff.get(draft.get_absolute_url()).status_code == 404
    assert staff.get(reverse("school_plans:pocket_guide", args=[draft.pk])).status_code == 404
    assert draft not in SchoolPlan.objects.visible_to(person("staff"))
    workflow_to_finalised = [("submit", "head"), ("agree", "governor"), ("finalise", "head")]
    for step, who in workflow_to_finalised:
        draft = workflow.take_step(plan=draft, step=step, by=person(who))
    page = staff.get(draft.get_absolute_url()).content.decode()
    assert "Weekly library sessions for Year 7" in page and "Edit" not in page
    guide = staff.get(reverse("school_plans:pocket_guide", args=[draft.pk])).content.decode()
    assert "Saltash Community School: our priorities for 2023/24" in guide and "Reading for pleasure" in guide
    assert staff.get(reverse("school_plans:history", args=[draft.pk])).status_code == 403


def test_other_schools_cannot_see_a_plan_at_all(demo):
    plan = sdp(state="finalised")
    assert client_for("head.brunel").get(plan.get_absolute_url()).status_code == 404
    assert client_for("governor.brunel").get(plan.get_absolute_url()).status_code == 404
    assert client_for("trustee").get(plan.get_absolute_url()).status_code == 200


# --- the CEO's sign-off queue ----------------------------------------------------------------


def test_sign_off_queue_shows_every_plan_and_signs_off(no_demo_sdps):
    finalised = sdp(state="finalised")
    sdp(school="brunel", state="submitted")
    client = client_for("ceo")
    response = client.get(reverse("school_plans:sign_off"))
    page = response.content.decode()
    assert "Saltash Community School SDP" in page and "Brunel Primary and Nursery Academy SDP" in page
    assert "Schools without an SDP for 2023/24:" in page and "Landulph School" in page
    assert "8 priorities have no actions." in page  # the trust's priorities, still empty
    response = client.post(
        reverse("school_plans:step", args=[finalised.pk, "sign_off"]),
        {"next": reverse("school_plans:sign_off"), "confirmed": "yes"},
    )
    assert response["Location"] == reverse("school_plans:sign_off")
    finalised.refresh_from_db()
    assert finalised.state == PlanState.SIGNED_OFF
    assert client_for("head").get(reverse("school_plans:sign_off")).status_code == 403


def test_sign_off_queue_counts_changes_since_the_ceo_last_looked(demo):
    plan = sdp(state="agreed")
    client = client_for("ceo")
    assert client.get(plan.get_absolute_url()).status_code == 200  # the CEO reads it
    action = the_action(plan)
    services.item_save(
        item=action, values={"what": "Changed after"}, expected_version=action.version, by=person("head")
    )
    row = next(r for r in client.get(reverse("school_plans:sign_off")).context["rows"] if r["plan"].pk == plan.pk)
    assert row["changes"] == 1 and row["seen_at"] is not None


def test_sign_off_queue_queries_do_not_grow_with_the_number_of_schools(no_demo_sdps):
    client = client_for("ceo")
    sdp(state="finalised")
    assert client.get(reverse("school_plans:sign_off")).status_code == 200
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("school_plans:sign_off")).status_code == 200
    trust = Trust.objects.get()
    for i in range(20):
        school = School.objects.create(
            trust=trust, name=f"Extra {i}", slug=f"extra-{i}", phase="primary", urn=f"91{i:04d}"
        )
        plan = services.plan_create(
            trust=trust,
            school=school,
            kind="sdp",
            academic_year=AcademicYear.objects.get(start_year=2023),
            by=person("ceo"),
        )
        services.item_save(
            item=Action(plan=plan, priority=plan.priorities.first()),
            values={"what": "x", "lead": person("head")},
            expected_version=None,
            by=person("ceo"),
        )
    client.get(reverse("school_plans:sign_off"))  # the new plans' SMART summaries are made once
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("school_plans:sign_off"))
    assert len(response.context["rows"]) == 21
    assert len(many) == len(few), [q["sql"][:80] for q in many.captured_queries]


def test_plan_page_queries_do_not_grow_with_the_plan(demo):
    plan = sdp()
    client = client_for("head")
    assert client.get(plan.get_absolute_url()).status_code == 200
    with CaptureQueriesContext(connection) as small:
        assert client.get(plan.get_absolute_url()).status_code == 200
    priority = plan.priorities.first()
    for i in range(10):
        action = services.item_save(
            item=Action(plan=plan, priority=priority),
            values={"what": f"a{i}", "lead": person("senior")},
            expected_version=None,
            by=person("head"),
        )
        services.item_save(
            item=SuccessCriterion(plan=plan, action=action),
            values={"text": f"{i} things"},
            expected_version=None,
            by=person("head"),
        )
    with CaptureQueriesContext(connection) as large:
        assert client.get(plan.get_absolute_url()).status_code == 200
    assert len(large) == len(small)


def test_tree_at_a_moment_matches_the_live_tree_now(demo):
    plan = sdp()
    now = timezone.now()
    assert plan_history.tree_lines(plan, plan_history.plan_tree(plan)) == plan_history.tree_lines(
        plan, plan_history.plan_tree_at(plan, now)
    )


def test_removing_something_changed_since_the_page_was_opened_is_refused(demo):
    plan = sdp()
    action = the_action(plan)
    client = client_for("head")
    url = reverse("school_plans:item_delete", args=[plan.pk, "action", action.pk])
    opened_version = client.get(url).context["item"].version
    services.item_save(
        item=action, values={"what": "Changed meanwhile"}, expected_version=action.version, by=person("senior")
    )
    response = client.post(url, {"version": opened_version}, follow=True)
    assert "Sam Lowe changed this since you opened it" in response.content.decode()
    assert Action.objects.filter(pk=action.pk).exists()


@pytest.mark.parametrize("school", ["saltash", "brunel", "bishop-cornish", "burraton", "landulph", "st-stephens"])
def test_the_whole_journey_works_for_every_demo_school(no_demo_sdps, school):
    """Start from the pocket guide, add a priority, an action and a criterion, submit; the chair
    of governors agrees; the headteacher finalises; the CEO signs off."""
    head = client_for("head" if school == "saltash" else f"head.{school}")
    governor = client_for("governor" if school == "saltash" else f"governor.{school}")
    the_school = School.objects.get(slug=school)
    year = AcademicYear.objects.get(start_year=2023)
    response = head.post(
        reverse("school_plans:create"), {"kind": "sdp", "school": the_school.pk, "academic_year": year.pk}
    )
    plan = SchoolPlan.objects.get(school=the_school)
    assert redirect_of(response) == plan.get_absolute_url()
    response = head.post(reverse("school_plans:priority_add", args=[plan.pk]), {"title": "Attendance"})
    priority = plan.priorities.get(title="Attendance")
    assert redirect_of(response) == f"{plan.get_absolute_url()}#priority-{priority.pk}"
    lead = person("head" if school == "saltash" else f"head.{school}")
    response = head.post(
        reverse("school_plans:action_add", args=[plan.pk, priority.pk]),
        {"what": "Call home on day one", "lead": lead.pk, "status": "in_progress", "due_term": "autumn"},
    )
    action = Action.objects.get(priority=priority)
    assert redirect_of(response) == f"{plan.get_absolute_url()}#action-{action.pk}"
    response = head.post(
        reverse("school_plans:criterion_add", args=[plan.pk, action.pk]), {"text": "Attendance at 96%"}
    )
    criterion = SuccessCriterion.objects.get(action=action)
    assert redirect_of(response) == f"{plan.get_absolute_url()}#criterion-{criterion.pk}"
    for client, step in [(head, "submit"), (governor, "agree"), (head, "finalise"), (client_for("ceo"), "sign_off")]:
        response = client.post(reverse("school_plans:step", args=[plan.pk, step]), {"confirmed": "yes"})
        assert redirect_of(response) == plan.get_absolute_url(), step
    plan.refresh_from_db()
    assert plan.state == PlanState.SIGNED_OFF
    assert [e.by for e in plan.events.all()] == [lead, person(governor_local(school)), lead, person("ceo")]


def governor_local(school: str) -> str:
    return "governor" if school == "saltash" else f"governor.{school}"


def test_plan_list_queries_do_not_grow_with_the_number_of_plans(no_demo_sdps):
    client = client_for("trustee")
    sdp()
    assert client.get(reverse("school_plans:index")).status_code == 200
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("school_plans:index")).status_code == 200
    for school in ["brunel", "landulph", "burraton"]:
        sdp(school=school, with_action=False)
    # The new rows are rendered once (one more query reads when each plan last changed)...
    with CaptureQueriesContext(connection) as rendered:
        response = client.get(reverse("school_plans:index"))
    assert len(response.context["plans"]) == 4
    assert len(rendered) == len(few) + 1
    # ...then kept, for one plan or four.
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("school_plans:index"))
    assert len(many) == len(few)


def test_tolt_cannot_start_a_schools_sdp_and_is_told_why(no_demo_sdps):
    brunel = School.objects.get(slug="brunel")
    year = AcademicYear.objects.get(start_year=2023)
    response = client_for("tolt").post(
        reverse("school_plans:create"), {"kind": "sdp", "school": brunel.pk, "academic_year": year.pk}
    )
    assert response.status_code == 400
    assert "You cannot start an SDP for Brunel Primary and Nursery Academy." in response.content.decode()
    assert not SchoolPlan.objects.exists()


def test_item_history_queries_do_not_grow_with_the_number_of_versions(demo):
    plan = sdp()
    action = the_action(plan)
    client = client_for("head")
    url = reverse("school_plans:item_history", args=[plan.pk, "action", action.pk])
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for i, who in enumerate(["senior", "head", "senior", "head"]):
        action.refresh_from_db()
        services.item_save(
            item=action, values={"what": f"v{i}", "lead": person(who)}, expected_version=action.version, by=person(who)
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["versions"]) == 5  # added, then four edits
    assert "Sam Lowe" in response.content.decode()
    assert len(many) == len(few)
