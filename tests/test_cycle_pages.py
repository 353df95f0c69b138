"""The pages that run the review cycle: the year's stages (the CEO), a stage and who still owes
what (a school's people see their school's part), a task marked done (by whoever is responsible,
recorded with who and when, and then no longer owed), the CEO's changes to a stage (refused with
words that say what to fix, nothing half-saved, kept with who made them), and the log of what is
overdue, sent and held back, where the CEO sends a failed e-mail again."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from plans.models import AcademicYear
from reviews import cycle
from reviews.models_cycle import Decision, Due, Message, Stage, StageDone
from schools.models import School, Trust
from tests.school_plan_builders import client_for, person

pytestmark = pytest.mark.django_db

D = datetime.date
LONDON = zoneinfo.ZoneInfo("Europe/London")
TODAY = D(2023, 11, 20)


@pytest.fixture(autouse=True)
def monday_in_november():
    """Monday 20 November 2023, 10:00 in London: the autumn ratings are open, October's task
    (appraisal targets) is three weeks overdue, the mid-term review opens in March."""
    with time_machine.travel(datetime.datetime(2023, 11, 20, 10, 0, tzinfo=LONDON), tick=False):
        yield


@pytest.fixture
def stages(demo) -> list[Stage]:
    return cycle.ensure_cycle(Trust.objects.get(), AcademicYear.objects.get(start_year=2023))


def named(stages: list[Stage], start: str) -> Stage:
    return next(s for s in stages if s.name.startswith(start))


@pytest.fixture
def appraisal(stages) -> Stage:
    """The headteachers' task of October: each school marks it done."""
    return named(stages, "Appraisal targets")


def said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def saltash() -> School:
    return School.objects.get(slug="saltash")


# --- the year's stages -------------------------------------------------------------------------


def test_the_ceo_sees_the_years_stages_with_what_each_still_asks(stages):
    response = client_for("ceo").get(reverse("cycle:stages"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Review cycle 2023/24" in page
    for stage in stages:
        assert reverse("cycle:stage_edit", args=[stage.pk]) in page
    rows = {r.stage.name: r for r in response.context["rows"]}
    late = rows["Appraisal targets, STAR projects and last year's final review"]
    assert (late.state, late.overdue) == ("6 schools overdue", True)
    assert rows["Mid-term review of the SDPs and STAR impact"].state == "Opens on 1 March 2024"
    assert "Overdue" in page  # in words beside the colour


@pytest.mark.parametrize("local", ["central", "cfo", "trustee", "head", "governor", "staff"])
def test_only_the_ceo_sees_the_years_stages(demo, local):
    assert client_for(local).get(reverse("cycle:stages")).status_code == 403


def test_a_done_stage_says_done(appraisal):
    for school in School.objects.all():
        StageDone.objects.create(stage=appraisal, school=school, by=person("ceo"))
    rows = {r.stage.pk: r for r in client_for("ceo").get(reverse("cycle:stages")).context["rows"]}
    assert rows[appraisal.pk].state == "Done"


def test_a_years_stages_are_made_when_first_asked_for_but_never_the_year(demo):
    # No page makes a year (a new year moves which term every page calls current).
    assert not AcademicYear.objects.filter(start_year=2024).exists()
    assert client_for("ceo").get(reverse("cycle:stages"), {"year": "2024-25"}).status_code == 404
    assert not AcademicYear.objects.filter(start_year=2024).exists()
    # A year the trust has (its plans or terms made it) gets its stages the first time it is shown,
    # a year on from the one before.
    AcademicYear.objects.create(start_year=2024)
    response = client_for("ceo").get(reverse("cycle:stages"), {"year": "2024-25"})
    assert response.status_code == 200
    assert Stage.objects.filter(academic_year__start_year=2024, name__startswith="Appraisal").get().due == D(
        2024, 10, 31
    )


@pytest.mark.parametrize("year", ["2030-31", "2023-25", "last-year", "2019-20"])
def test_an_unknown_or_badly_named_year_is_not_found(demo, year):
    assert client_for("ceo").get(reverse("cycle:stages"), {"year": year}).status_code == 404


# --- one stage ---------------------------------------------------------------------------------


def test_trust_wide_roles_see_every_schools_part(appraisal):
    response = client_for("cfo").get(reverse("cycle:stage", args=[appraisal.pk]))
    assert response.status_code == 200
    page = response.context["page"]
    assert len(page.lines) == 6 and page.hidden == 0
    assert page.may_mark == []  # the CFO holds no headteacher role
    assert "Mark as done" not in response.content.decode()


def test_a_school_sees_only_its_own_part_and_its_head_may_mark_it_done(appraisal):
    response = client_for("head").get(reverse("cycle:stage", args=[appraisal.pk]))
    page = response.context["page"]
    assert [line.school for line in page.lines] == ["Saltash Community School"]
    assert page.hidden == 5
    assert page.may_mark == [(saltash().pk, "Saltash Community School")]
    body = response.content.decode()
    assert "Mark as done" in body and "Brunel" not in body.split('id="owed-title"')[1]


@pytest.mark.parametrize("local", ["senior", "governor", "staff", "middle"])
def test_other_school_people_read_the_stage_but_may_not_mark_it(appraisal, local):
    response = client_for(local).get(reverse("cycle:stage", args=[appraisal.pk]))
    assert response.status_code == 200
    assert response.context["form"] is None


def test_a_stage_of_another_trust_is_not_found(appraisal):
    other = Trust.objects.create(name="Another trust", slug="another")
    theirs = Stage.objects.create(
        trust=other, academic_year=appraisal.academic_year, name="Theirs", starts=TODAY, due=TODAY, responsible="ceo"
    )
    assert client_for("head").get(reverse("cycle:stage", args=[theirs.pk])).status_code == 404


# --- marking a task done -------------------------------------------------------------------------


def test_marking_done_is_kept_with_who_and_when_and_then_it_is_no_longer_owed(appraisal):
    trust = Trust.objects.get()
    subject = f"stage-{appraisal.pk}-school-{saltash().pk}"
    assert subject in {o.subject for o in cycle.owing(trust, [appraisal], TODAY)}
    head = person("head")
    response = client_for("head").post(reverse("cycle:stage_done", args=[appraisal.pk]), {"note": "All set"})
    assert response.status_code == 302 and response["Location"] == reverse("cycle:stage", args=[appraisal.pk])
    assert said(response) == [f"Marked “{appraisal.name}” done for Saltash Community School."]
    done = StageDone.objects.get(stage=appraisal)
    assert (done.school, done.by, done.note, done.at) == (saltash(), head, "All set", timezone.now())
    assert done.history.get().history_user == head
    owed = {o.subject for o in cycle.owing(trust, [appraisal], TODAY)}
    assert subject not in owed and len(owed) == 5
    page = client_for("ceo").get(reverse("cycle:stage", args=[appraisal.pk])).content.decode()
    assert "Saltash Community School: marked done by" in page and "“All set”" in page


def test_marking_done_twice_is_refused_with_who_did_it(appraisal):
    client = client_for("head")
    url = reverse("cycle:stage_done", args=[appraisal.pk])
    client.post(url, {})
    response = client.post(url, {})
    assert response.status_code == 302
    head = person("head")
    assert said(response)[-1] == (
        f"“{appraisal.name}” was already marked done for Saltash Community School"
        f" by {head.full_name} on 20 November 2023."
    )
    assert StageDone.objects.count() == 1


def test_the_ceo_chooses_the_school_and_is_told_when_she_does_not(appraisal):
    client = client_for("ceo")
    url = reverse("cycle:stage_done", args=[appraisal.pk])
    response = client.post(url, {})
    assert response.status_code == 400
    assert "Choose the school it is done for." in response.content.decode()
    assert not StageDone.objects.exists()
    brunel = School.objects.get(slug="brunel")
    response = client.post(url, {"school": brunel.pk})
    assert response.status_code == 302
    assert StageDone.objects.get().school == brunel


def test_a_head_may_not_mark_another_schools_part(appraisal):
    response = client_for("head.brunel").post(
        reverse("cycle:stage_done", args=[appraisal.pk]), {"school": saltash().pk}
    )
    assert response.status_code == 403
    assert not StageDone.objects.exists()


def test_a_stage_that_is_not_a_task_is_not_marked_done(stages):
    guide = named(stages, "Pocket guide published")
    response = client_for("ceo").post(reverse("cycle:stage_done", args=[guide.pk]), {})
    assert response.status_code == 302
    assert said(response) == [
        f"“{guide.name}” is not a task to mark done: it is done when the year's pocket guide is published."
    ]
    assert not StageDone.objects.exists()


def test_a_trust_task_is_marked_done_by_the_ceo_for_the_trust(stages):
    consulted = named(stages, "First draft of the trust plan")
    response = client_for("ceo").post(reverse("cycle:stage_done", args=[consulted.pk]), {"next": "/cycle/"})
    assert response["Location"] == "/cycle/"
    assert StageDone.objects.get(stage=consulted).school is None
    assert cycle.owing(Trust.objects.get(), [consulted], TODAY) == []


def test_marking_done_goes_back_only_to_this_site(appraisal):
    response = client_for("head").post(
        reverse("cycle:stage_done", args=[appraisal.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("cycle:stage", args=[appraisal.pk])


# --- the CEO's changes to a stage ----------------------------------------------------------------


def form_data(stage: Stage, **changes) -> dict:
    data = {
        "name": stage.name, "description": stage.description, "starts": stage.starts.isoformat(),
        "due": stage.due.isoformat(), "responsible": stage.responsible, "due_kind": stage.due_kind,
        "plan_state": stage.plan_state, "told": list(stage.told), "remind_days_before": stage.remind_days_before,
    }  # fmt: skip
    data.update(changes)
    return data


def test_the_ceo_moves_a_due_date_and_the_change_is_kept_with_her_name(appraisal):
    ceo = person("ceo")
    response = client_for("ceo").post(
        reverse("cycle:stage_edit", args=[appraisal.pk]), form_data(appraisal, due="2023-11-30", told=["trustee"])
    )
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('cycle:stages')}?year=2023-24#stage-{appraisal.pk}"
    appraisal.refresh_from_db()
    assert appraisal.due == D(2023, 11, 30) and appraisal.told == ["trustee"]
    last = appraisal.history.order_by("-history_id").first()
    assert (last.history_user, last.history_change_reason) == (ceo, "Stage changed")
    page = client_for("ceo").get(reverse("cycle:stage_edit", args=[appraisal.pk])).content.decode()
    assert "Stage changed by" in page


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"due": "2023-09-30"}, "due", "It is due before it opens (1 October 2023): choose a day on or after it."),
        ({"due_kind": "plan_state", "plan_state": ""}, "plan_state", "Say which state every plan must reach"),
        ({"name": ""}, "name", "Enter the stage's name."),
        ({"starts": "31/31/2023"}, "starts", "Enter the day as a date"),
        ({"remind_days_before": "90"}, "remind_days_before", "Remind them at most 60 days before"),
        ({"due_kind": "governor_ratings"}, "due_kind", "A term's ratings have their own stages"),
        ({"responsible": "head"}, "responsible", "Select a valid choice"),
    ],
)
def test_bad_input_is_refused_with_what_to_fix_and_nothing_is_saved(appraisal, changes, field, words):
    before = (appraisal.name, appraisal.starts, appraisal.due, appraisal.due_kind)
    count = appraisal.history.count()
    response = client_for("ceo").post(reverse("cycle:stage_edit", args=[appraisal.pk]), form_data(appraisal, **changes))
    assert response.status_code == 400
    assert any(words in e for e in response.context["form"].errors[field])
    assert "nothing has been saved yet" in response.content.decode()
    appraisal.refresh_from_db()
    assert (appraisal.name, appraisal.starts, appraisal.due, appraisal.due_kind) == before
    assert appraisal.history.count() == count


def test_a_plan_stage_keeps_its_state_and_another_kind_drops_it(stages):
    signed = named(stages, "CEO signs off")
    client = client_for("ceo")
    client.post(reverse("cycle:stage_edit", args=[signed.pk]), form_data(signed, due_kind="task"))
    signed.refresh_from_db()
    assert (signed.due_kind, signed.plan_state) == (Due.TASK, "")


def test_a_term_stages_dates_follow_the_term_and_are_not_edited_here(stages):
    rating = named(stages, "Governors' ratings: autumn")
    client = client_for("ceo")
    url = reverse("cycle:stage_edit", args=[rating.pk])
    response = client.get(url)
    form = response.context["form"]
    assert form.fields["starts"].disabled and form.fields["due"].disabled and form.fields["due_kind"].disabled
    assert reverse("reviews:terms") in response.content.decode()
    response = client.post(url, form_data(rating, due="2023-12-31"))
    assert response.status_code == 400
    assert "change its dates on the terms page" in response.context["form"].errors["due"][0]
    # Without the dates (as the browser sends the form), the rest is saved and the dates kept.
    data = form_data(rating, name="Governors rate the autumn term")
    for name in ("starts", "due", "due_kind"):
        data.pop(name)
    assert client.post(url, data).status_code == 302
    rating.refresh_from_db()
    assert rating.name == "Governors rate the autumn term"
    assert (rating.starts, rating.due) == (D(2023, 11, 18), D(2023, 12, 13))


def test_the_ceo_adds_a_stage_to_a_year(stages):
    ceo = person("ceo")
    url = reverse("cycle:stage_edit", args=[0]) + "?year=2023-24"
    assert client_for("ceo").get(url).status_code == 200
    data = {
        "name": "Governors' away day", "description": "The LGCs meet the Board.", "starts": "2024-01-10",
        "due": "2024-01-20", "responsible": "local_governor", "due_kind": "task", "plan_state": "",
        "remind_days_before": "3",
    }  # fmt: skip
    response = client_for("ceo").post(url, data)
    assert response.status_code == 302
    stage = Stage.objects.get(name="Governors' away day")
    assert stage.academic_year.start_year == 2023 and stage.trust == Trust.objects.get()
    assert stage.order > max(s.order for s in stages if s.pk != stage.pk)
    assert stage.history.get().history_user == ceo


@pytest.mark.parametrize("local", ["central", "head", "trustee"])
def test_only_the_ceo_changes_or_adds_stages(appraisal, local):
    client = client_for(local)
    assert client.get(reverse("cycle:stage_edit", args=[appraisal.pk])).status_code == 403
    assert client.post(reverse("cycle:stage_edit", args=[0]), form_data(appraisal)).status_code == 403
    assert Stage.objects.filter(name=appraisal.name).count() == 1


# --- the log ---------------------------------------------------------------------------------------


def message(state: str = Message.State.FAILED, n: int = 1, to: str = "head") -> Message:
    who = person(to)
    return Message.objects.create(
        key=f"test-{state}-{n}-{to}", recipient=who, to=who.email, subject=f"Your review cycle {n}", body="...",
        state=state, attempts=6 if state == Message.State.FAILED else 0,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed" if state == Message.State.FAILED else "",
    )  # fmt: skip


def decision(outcome: str, n: int = 1, to: str = "head") -> Decision:
    return Decision.objects.create(
        recipient=person(to), subject=f"stage-1-plan-{n}", reason="due", outcome=outcome, detail=f"Decision {n}"
    )


def test_the_log_shows_whats_overdue_failed_messages_first_and_the_decisions(appraisal):
    sent = message(Message.State.SENT, 1)
    failed = message(Message.State.FAILED, 2)
    decision(Decision.Outcome.SUPPRESSED, 1)
    response = client_for("ceo").get(reverse("cycle:log"))
    assert response.status_code == 200
    context = response.context
    # Per stage: how many, since when, and the first five (the stage's page lists every one).
    late = next(group for group in context["overdue"] if group.stage == appraisal)
    assert (late.count, len(late.lines), late.more) == (6, 5, 1)
    assert len({line.school for line in late.lines}) == 5 and late.lines[0].days_late == 20
    assert context["summary"].shown[:2] == [failed, sent]
    page = response.content.decode()
    assert reverse("cycle:message_retry", args=[failed.pk]) in page
    assert reverse("cycle:message_retry", args=[sent.pk]) not in page
    assert "Connection unexpectedly closed" in page and "Held back" in page and "Decision 1" in page


def test_the_central_team_reads_the_log_but_does_not_send_again(demo):
    failed = message()
    response = client_for("central").get(reverse("cycle:log"))
    assert response.status_code == 200
    assert reverse("cycle:message_retry", args=[failed.pk]) not in response.content.decode()
    assert client_for("head").get(reverse("cycle:log")).status_code == 403


def test_the_decisions_are_filtered_by_outcome_and_person_fifty_a_page(demo):
    for n in range(55):
        decision(Decision.Outcome.SENT, n)
    decision(Decision.Outcome.SUPPRESSED, 99, to="governor")
    decision(Decision.Outcome.FAILED, 98, to="governor")
    client = client_for("ceo")
    page = client.get(reverse("cycle:log")).context["page"]
    assert (page.paginator.count, len(page.object_list), page.paginator.num_pages) == (57, 50, 2)
    assert len(client.get(reverse("cycle:log"), {"page": 2}).context["page"].object_list) == 7
    held = client.get(reverse("cycle:log"), {"outcome": "held"}).context["page"]
    assert [d.detail for d in held] == ["Decision 99"]
    failed = client.get(reverse("cycle:log"), {"outcome": "failed"}).context["page"]
    assert [d.detail for d in failed] == ["Decision 98"]
    governor = person("governor")
    by_name = client.get(reverse("cycle:log"), {"q": governor.full_name.split()[0]}).context["page"]
    assert {d.recipient for d in by_name} == {governor}
    by_mail = client.get(reverse("cycle:log"), {"q": "governor@", "outcome": "held"}).context["page"]
    assert [d.detail for d in by_mail] == ["Decision 99"]


def log_queries() -> int:
    client = client_for("ceo")
    client.get(reverse("cycle:log"))  # the session and the year's stages are made first
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("cycle:log")).status_code == 200
    return len(queries)


def test_the_log_costs_the_same_queries_whatever_the_number_of_rows(appraisal):
    for n in range(3):
        message(Message.State.FAILED, n)
        decision(Decision.Outcome.SENT, n)
    few = log_queries()
    for n in range(3, 80):
        message(Message.State.SENT if n % 2 else Message.State.FAILED, n, to="governor" if n % 3 else "head")
        decision(Decision.Outcome.SUPPRESSED, n, to="governor")
    assert log_queries() == few


def test_a_stage_page_costs_the_same_queries_whatever_is_marked_done(appraisal):
    client = client_for("ceo")
    url = reverse("cycle:stage", args=[appraisal.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for school in School.objects.exclude(slug="saltash"):
        StageDone.objects.create(stage=appraisal, school=school, by=person("ceo"))
    with CaptureQueriesContext(connection) as after:
        client.get(url)
    assert len(after) == len(before)


# --- sending a failed e-mail again -----------------------------------------------------------------


def test_the_ceo_sends_a_failed_message_again(demo):
    failed = message()
    response = client_for("ceo").post(reverse("cycle:message_retry", args=[failed.pk]))
    assert response.status_code == 302 and response["Location"] == f"{reverse('cycle:log')}#messages"
    failed.refresh_from_db()
    assert (failed.state, failed.attempts) == (Message.State.PENDING, 0)
    assert (
        Decision.objects.filter(message=failed, outcome=Decision.Outcome.RETRY).get().detail.startswith("Sent again by")
    )
    assert "will be sent again shortly" in said(response)[0]


def test_a_message_that_has_not_failed_is_left_alone(demo):
    sent = message(Message.State.SENT)
    response = client_for("ceo").post(reverse("cycle:message_retry", args=[sent.pk]))
    assert response.status_code == 302
    sent.refresh_from_db()
    assert sent.state == Message.State.SENT
    assert said(response) == [f"“{sent.subject}” to {sent.to} has not failed: it is sent."]


def test_only_the_ceo_sends_again(demo):
    failed = message()
    assert client_for("central").post(reverse("cycle:message_retry", args=[failed.pk])).status_code == 403
    assert client_for("ceo").get(reverse("cycle:message_retry", args=[failed.pk])).status_code == 405
    failed.refresh_from_db()
    assert failed.state == Message.State.FAILED


def test_the_admin_reads_the_cycle_and_its_record_but_changes_nothing(demo):
    client = client_for("central")
    for model in ("stage", "compliancearea", "message", "decision"):
        assert client.get(reverse(f"admin:reviews_{model}_changelist")).status_code == 200, model
        assert client.get(reverse(f"admin:reviews_{model}_add")).status_code == 403, model


def test_who_may_know_what_is_still_owed_is_one_policy_rule(demo):
    from governance import policy
    from schools.models import School

    saltash, brunel = (School.objects.get(slug=s).pk for s in ("saltash", "brunel"))
    head, other_head, cfo = person("head"), person("head.brunel"), person("cfo")
    assert policy.sees_what_is_owed(head, saltash) and not policy.sees_what_is_owed(head, brunel)
    assert policy.sees_what_is_owed(head, None)  # the trust's own things are everyone's to know
    assert policy.sees_what_is_owed(other_head, saltash, owners=(other_head.pk,))  # what they owe themselves
    assert policy.sees_what_is_owed(cfo, brunel)  # trust-wide roles know it all
