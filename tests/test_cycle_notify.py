"""Telling people, in-process (reviews.notify): the plan's life, the May e-mail, the caps, the
digest's content, and who is (not) chased. The real worker, SMTP and Redis are in
tests/test_cycle_exactly_once.py; a whole year with a frozen clock in tests/test_cycle_year.py."""

from __future__ import annotations

import datetime
import io
import re
import smtplib
from html import unescape

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from governance.models import Role, RoleAssignment, User
from plans import services as plan_services
from plans import workflow
from plans.models import Action, PocketGuide, Status
from reviews import cycle, notify, school_days
from reviews import services as review_services
from reviews.models import Decision, Message, Notice, Reason, Stage, TermDates
from schools.models import Trust
from tests.cycle_builders import areas, at, links, mailbox, stage, stages_2023
from tests.school_plan_builders import person, sdp

pytestmark = pytest.mark.django_db


def text_of(html: str) -> str:
    """A page's words, without tags, entities or extra spaces."""
    return " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())


def sent_to() -> set[str]:
    return {to.split("@")[0] for m in mail.outbox for to in m.to}


# --- the plan's life -----------------------------------------------------------------------


def test_each_step_tells_the_people_it_concerns_after_it_commits(django_capture_on_commit_callbacks, demo):
    plan = sdp(state="draft")
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        workflow.take_step(plan=plan, step="submit", by=person("head"), comment="Over to you")
    assert sent_to() == {"governor", "link-governor"}  # Saltash's governors
    message = mailbox("governor")[0]
    assert message.subject == "Saltash Community School SDP 2023/24: submitted to the LGC"
    assert "was submitted to the LGC by Hannah Eddy. “Over to you”" in message.body
    assert f"http://testserver{plan.get_absolute_url()}" in links(message.body) or any(
        link.endswith(plan.get_absolute_url()) for link in links(message.body)
    )

    steps = [("return", "governor", "Needs a reading target", {"head", "senior"}),
             ("submit", "head", "", {"governor", "link-governor"}),
             ("agree", "governor", "", {"head", "senior"}),
             ("finalise", "head", "", {"ceo"}),
             ("sign_off", "ceo", "", {"head", "senior"}),
             ("reopen", "ceo", "A new head starts in January", {"head", "senior"})]  # fmt: skip
    for i, (step, who, comment, told) in enumerate(steps):
        mail.outbox = []
        # One step a day: a second e-mail about the same plan on one day waits (tested below).
        with time_machine.travel(at(datetime.date.today() + datetime.timedelta(days=i + 1), 10), tick=False):
            with django_capture_on_commit_callbacks(execute=True):
                plan = workflow.take_step(plan=plan, step=step, by=person(who), comment=comment)
        # Whoever took the step is not told of it (the head submits; the chair agrees).
        assert sent_to() == told - {who}, step
        assert all(m.extra_headers["Message-ID"].startswith("<notice-") for m in mail.outbox)


def test_a_step_that_does_not_commit_tells_nobody(django_capture_on_commit_callbacks, demo):
    plan = sdp(state="draft")
    mail.outbox = []
    before = Notice.objects.count()
    with pytest.raises(workflow.StepRefused), django_capture_on_commit_callbacks(execute=True):
        workflow.take_step(plan=plan, step="return", by=person("governor"), comment="")  # a draft cannot be returned
    assert mail.outbox == [] and Notice.objects.count() == before


def test_the_same_plan_twice_in_a_day_waits_for_the_next_digest(django_capture_on_commit_callbacks, demo):
    plan = sdp(state="draft")
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        plan = workflow.take_step(plan=plan, step="submit", by=person("head"))
        plan = workflow.take_step(plan=plan, step="return", by=person("governor"), comment="Add targets")
        plan = workflow.take_step(plan=plan, step="submit", by=person("head"))
    # One e-mail about this plan today for each governor: the second submission is held back.
    assert len(mailbox("link-governor")) == 1
    held = Notice.objects.get(recipient=person("link-governor"), state=Notice.State.WAITING)
    assert held.why == "Already e-mailed about this today: it goes in a later digest."
    assert Decision.objects.filter(recipient=person("link-governor"), outcome="held").exists()
    # The next school day's digest carries it.
    monday = at(_next_school_day(), 9)
    with time_machine.travel(monday, tick=False):
        notify.make_digests(monday)
        notify.deliver(now=monday)
    digest = mailbox("link-governor")[-1]
    assert "was submitted to the LGC by Hannah Eddy" in digest.body and "For your information" in digest.body


def _next_school_day() -> datetime.date:
    calendar = school_days.Calendar()
    day = datetime.date.today() + datetime.timedelta(days=1)
    while not calendar.is_school_day(day):
        day += datetime.timedelta(days=1)
    return day


# --- the May e-mail ------------------------------------------------------------------------


def draft_guide() -> PocketGuide:
    guide = PocketGuide.objects.get(academic_year__start_year=2023)
    PocketGuide.objects.filter(pk=guide.pk).update(status=Status.DRAFT)
    guide.refresh_from_db()
    return guide


def test_publishing_the_pocket_guide_e_mails_every_member_of_staff_once(django_capture_on_commit_callbacks, demo):
    guide = draft_guide()
    everyone = set(RoleAssignment.objects.values_list("user__email", flat=True))
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        plan_services.pocket_guide_publish(guide=guide, by=person("ceo"))
    assert sorted(m.to[0] for m in mail.outbox) == sorted(everyone)
    body = mailbox("staff")[0].body
    page = reverse("plans:pocket_guide", kwargs={"plan": guide.plan.slug, "year": "2023-24"})
    assert any(link.endswith(page) for link in links(body))
    assert any(link.endswith(page + "pdf/") or link.endswith(page + "pdf/.") for link in links(body))
    # Published already: refused, and nobody is e-mailed twice even if it is unpublished and
    # published again.
    with pytest.raises(plan_services.GuideRefused):
        plan_services.pocket_guide_publish(guide=guide, by=person("ceo"))
    PocketGuide.objects.filter(pk=guide.pk).update(status=Status.DRAFT)
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        plan_services.pocket_guide_publish(guide=guide, by=person("ceo"))
    assert mail.outbox == []


def test_publishing_costs_the_same_queries_for_more_staff(django_assert_max_num_queries, demo):
    guide = draft_guide()
    trust = Trust.objects.get()
    with django_assert_max_num_queries(40) as few:
        plan_services.pocket_guide_publish(guide=guide, by=person("ceo"))
    Notice.objects.all().delete()
    Message.objects.all().delete()
    PocketGuide.objects.filter(pk=guide.pk).update(status=Status.DRAFT)
    school = trust.schools.first()
    for i in range(60):
        user = User.objects.create_user(f"staff{i}@example.org", None, full_name=f"Staff {i}")
        RoleAssignment.objects.create(user=user, role=Role.STAFF, trust=trust, school=school)
    with django_assert_max_num_queries(len(few.captured_queries)):
        plan_services.pocket_guide_publish(guide=guide, by=person("ceo"))
    assert Message.objects.count() == RoleAssignment.objects.values("user").distinct().count()


def test_only_the_ceo_publishes_and_the_page_offers_it_only_for_a_draft(client, demo):
    guide = draft_guide()
    url = reverse("plans:pocket_guide", kwargs={"plan": guide.plan.slug, "year": "2023-24"})
    client.force_login(person("ceo"))
    assert "Publish and e-mail all staff" in client.get(url).content.decode()
    client.force_login(person("central"))
    assert "Publish and e-mail all staff" not in client.get(url).content.decode()
    publish = reverse("plans:pocket_guide_publish", kwargs={"plan": guide.plan.slug, "year": "2023-24"})
    assert client.post(publish).status_code == 403
    client.force_login(person("ceo"))
    response = client.post(publish, follow=True)
    assert "every member of staff is being e-mailed" in response.content.decode()
    assert "Publish and e-mail all staff" not in response.content.decode()


# --- caps ----------------------------------------------------------------------------------


def _notice(user: User, n: int) -> Notice:
    return Notice(recipient=user, subject=f"test-{n}", topic=f"test-{n}", reason=Reason.PUBLISHED,
                  text=f"Test notice {n}", url="/")  # fmt: skip


def test_the_weekly_cap_holds_the_eleventh_e_mail_for_a_later_digest(demo):
    governor = person("governor")
    now = at(_next_school_day(), 10)
    with time_machine.travel(now, tick=False):
        for n in range(11):
            notify._tell_now([_notice(governor, n)], subject_line=f"Test {n}")
    assert Message.objects.filter(recipient=governor).count() == 10
    held = Notice.objects.get(recipient=governor, subject="test-10")
    assert held.state == Notice.State.WAITING and "weekly cap (10 e-mails)" in held.why
    # Still capped the next day (the digest waits); a week later it goes in that day's digest.
    calendar = school_days.Calendar()
    tomorrow = calendar.next_open(at(now.date() + datetime.timedelta(days=1), 10))  # the next school day
    assert tomorrow.date() < now.date() + datetime.timedelta(days=7)
    with time_machine.travel(tomorrow, tick=False):
        assert notify.make_digests(tomorrow) == []
    held.refresh_from_db()
    assert held.state == Notice.State.WAITING and not Message.objects.filter(kind="digest").exists()
    later = calendar.next_open(at(now.date() + datetime.timedelta(days=8), 10))
    with time_machine.travel(later, tick=False):
        made = notify.make_digests(later)
    assert len(made) == 1
    assert "Test notice 10" in Message.objects.get(pk=made[0]).body
    held.refresh_from_db()
    assert held.state == Notice.State.QUEUED


def test_one_message_per_subject_a_day_keeps_the_highest_rung(demo):
    stages_2023()
    head = person("head")
    october = stage("Appraisal targets")
    subject = f"stage-{october.pk}-school-{head.roles.get().school_id}"
    day = datetime.date(2023, 11, 6)  # a Monday, October's task five days late
    for reason in (Reason.DUE, Reason.LATE, Reason.SOON):
        Notice.objects.create(
            recipient=head, subject=subject, topic=subject, reason=reason, stage=october,
            text="Appraisal targets (Saltash Community School)", url="/", due=october.due,
        )  # fmt: skip
    now = at(day, 9)
    with time_machine.travel(now, tick=False):
        made = notify.make_digests(now)
    notices = {n.reason: n for n in Notice.objects.filter(subject=subject)}
    assert notices["late"].state == Notice.State.QUEUED
    assert notices["due"].state == notices["soon"].state == Notice.State.SUPPRESSED
    assert "Superseded" in notices["due"].why
    assert "Past its due date" in notices["soon"].why
    body = Message.objects.get(pk=made[0]).body
    assert body.count("Appraisal targets (Saltash Community School)") == 1


# --- who is chased -------------------------------------------------------------------------


def test_a_governor_who_has_rated_is_not_chased_and_when_all_have_the_chair_is(demo):
    plan = sdp(state="signed_off")
    stages_2023()
    term = TermDates.objects.get(academic_year__start_year=2023, term="autumn")
    governors = stage("Governors' ratings: autumn")
    day = term.rating_opens + datetime.timedelta(days=2)

    def owners() -> set[str]:
        owed = cycle.owing(plan.trust, [governors], day)
        return {User.objects.get(pk=u).email.split("@")[0] for o in owed if o.subject.endswith(f"-{plan.pk}")
                for u in o.owners}  # fmt: skip

    assert owners() == {"governor", "link-governor"}
    action = Action.objects.get(plan=plan)
    review_services.rate(term=term, voice="governors", item=action, value="green", by=person("link-governor"),
                         expected_version=None, today=day, current_value="86%")  # fmt: skip
    # Every action is rated now: nobody owes.
    assert owners() == set()


def test_the_digest_says_what_is_overdue_first_with_links(demo):
    stages_2023()
    areas("Safeguarding")
    now = at("2023-11-06", 9)
    with time_machine.travel(now, tick=False):
        notify.tick(now)
    body = mailbox("head")[-1].body
    assert "Overdue" in body and "\nDue\n" in body, body
    assert body.index("Overdue") < body.index("\nDue\n")
    assert "Start the Saltash Community School SDP 2023/24 (due 15 July 2023)" in body
    assert "- Record Saltash Community School's compliance checks for November 2023 (due 30 November 2023)" in body
    assert body.index("(due 15 July 2023)") < body.index("\nDue\n") < body.index("(due 30 November 2023)")
    assert all(link.startswith("http://") for link in links(body))
    assert re.search(r"^- Appraisal targets.*\(due 31 October 2023\)$", body, re.M)


# --- the home page -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who, expected, absent",
    [
        ("head", ["Overdue", "Start the Saltash Community School SDP 2023/24",
                  "Appraisal targets, STAR projects and last year's final review (Saltash Community School)"], []),
        ("governor", [], ["Start the Saltash"]),
        ("ceo", ["The cycle across the trust", "First-draft SDPs submitted to the LGC: 1 still owed, 1 overdue"], []),
        ("staff", [], ["Waiting for you", "Overdue"]),
        ("head.brunel", ["Appraisal targets, STAR projects and last year's final review (Brunel"],
         ["Start the Saltash"]),
    ],
)  # fmt: skip
def test_the_home_page_says_what_is_due_for_each_demo_role(client, demo, who, expected, absent):
    stages_2023()
    with time_machine.travel(at("2023-11-06", 10), tick=False):
        client.force_login(person(who))
        page = text_of(client.get(reverse("home")).content.decode())
    for text in expected:
        assert text in page, text
    for text in absent:
        assert text not in page, text


def test_a_head_sees_what_others_at_the_school_owe(client, demo):
    plan = sdp(state="submitted")
    stages_2023()
    Stage.objects.filter(name="LGCs agree the draft SDPs").update(due=datetime.date(2023, 11, 1))
    with time_machine.travel(at("2023-11-06", 10), tick=False):
        client.force_login(person("head"))
        page = text_of(client.get(reverse("home")).content.decode())
    assert "Due from others at Saltash Community School" in page
    assert f"Agree the plan: {plan.title}" in page
    assert "waiting for Gwen Lander, Lee Inch" in page


def test_the_home_page_costs_the_same_queries_whatever_the_number_of_schools(client, demo, django_assert_num_queries):
    from tests.test_cycle_year import FIRST  # noqa: F401 - the same year

    stages_2023()
    client.force_login(person("ceo"))
    with time_machine.travel(at("2023-11-06", 10), tick=False):
        client.get(reverse("home"))
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as few:
            client.get(reverse("home"))
        trust = Trust.objects.get()
        for i in range(10):
            school = trust.schools.create(name=f"New school {i}", slug=f"new-{i}", phase="primary", urn=f"99{i:04d}")
            head = User.objects.create_user(f"newhead{i}@example.org", None, full_name=f"New head {i}")
            RoleAssignment.objects.create(user=head, role=Role.HEADTEACHER, trust=trust, school=school)
        client.get(reverse("home"))  # the first look after the change works it out again
        with CaptureQueriesContext(connection) as more:
            page = client.get(reverse("home")).content.decode()
    assert len(more.captured_queries) == len(few.captured_queries)
    assert "First-draft SDPs submitted to the LGC: 11 still owed" in text_of(page)


def test_load_demo_cycle_now_makes_todays_cycle_so_home_pages_say_what_is_due(client, demo):
    from django.core.management import call_command

    from reviews.cycle import cycle_start_year

    moment = at("2026-11-27", 10)
    with time_machine.travel(moment, tick=False):
        call_command("load_demo", "--cycle-now", stdout=io.StringIO())
        assert Stage.objects.filter(academic_year__start_year=cycle_start_year(moment.date())).count() == 18
        client.force_login(person("head"))
        page = text_of(client.get(reverse("home")).content.decode())
    assert "Overdue Start the Saltash Community School SDP 2026/27" in page
    # Owed to two stages (first drafts, finalising), shown once, at its first date.
    assert page.count("Start the Saltash Community School SDP 2026/27") == 1
    assert "overdue since 15 July 2026" in page


def test_an_actions_lead_owes_its_self_assessment_and_their_head_is_told_when_it_is_late(demo):
    plan = sdp(state="signed_off")
    Action.objects.filter(plan=plan).update(lead=person("middle"))
    stages_2023()
    self_assessment = stage("Self-assessment: autumn")
    people = cycle.People.of(plan.trust)

    def told(day: datetime.date) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for owed in cycle.owing(plan.trust, [self_assessment], day, people):
            if owed.subject.endswith(f"-plan-{plan.pk}"):
                for n in notify._reminders(owed, day, people):
                    found.setdefault(str(n.reason), set()).add(User.objects.get(pk=n.recipient_id).email.split("@")[0])
        return found

    due = self_assessment.due
    assert told(due) == {"due": {"middle"}}  # the lead, not the head
    # The window has closed: the lead cannot rate any more, so is not told they are late; three days
    # on their head hears, a week on the CEO (who may reopen the term).
    assert told(due + datetime.timedelta(days=1)) == {}
    assert told(due + datetime.timedelta(days=3)) == {"reviewer": {"head"}}
    assert told(due + datetime.timedelta(days=7)) == {"reviewer": {"head"}, "ceo": {"ceo"}}


@pytest.mark.parametrize(
    "exc, down",
    [
        (ConnectionRefusedError(111, "Connection refused"), True),
        (TimeoutError("timed out"), True),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), True),
        (smtplib.SMTPConnectError(421, b"Service not available"), True),
        (smtplib.SMTPResponseException(451, b"Try again later"), False),
        (smtplib.SMTPRecipientsRefused({"x@example.org": (550, b"No such user")}), False),
        (smtplib.SMTPDataError(554, b"Rejected"), False),
    ],
)
def test_only_an_unreachable_relay_stops_a_batch(exc, down):
    # smtplib's errors are all OSErrors: a refusal of one message must not hold up the others.
    assert notify._relay_down(exc) is down


def test_a_head_marks_a_task_done_from_the_home_page_in_one_click(client, demo):
    stages_2023()
    october = stage("Appraisal targets")
    with time_machine.travel(at("2023-11-06", 10), tick=False):
        client.force_login(person("head"))
        page = client.get(reverse("home")).content.decode()
        done = reverse("cycle:stage_done", kwargs={"pk": october.pk})
        assert f'action="{done}"' in page
        response = client.post(done, {"next": "/", "school": person("head").roles.get().school_id}, follow=True)
        page = text_of(response.content.decode())
    assert "Marked “Appraisal targets, STAR projects and last year's final review” done for Saltash" in page
    assert "Appraisal targets, STAR projects and last year's final review (Saltash Community School)" not in page
    assert october.done.get().by == person("head")
