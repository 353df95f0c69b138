"""A whole year of the review cycle with a frozen clock: which e-mails go to whom on which day.

The demo trust's 2023/24 cycle (the seed's stages, made by load_demo) runs from 1 April 2023 to
31 March 2024. Beat's tick (reviews.notify.tick) runs at 09:30 and at 19:30 on every day of the
year; the locmem backend catches what is sent. Saltash has no SDP for the year (the demo leaves
it for a newcomer) and the other five schools' SDPs are signed off; the trust keeps two
compliance areas; Brunel's head marks October's task done on 10 October. Terms for 2022/23 are
not known, so until September every weekday counts as a school day; from 4 September the
2023/24 term dates decide (1 September is a holiday).
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict

import pytest
import time_machine
from django.core import mail

from governance.models import User
from reviews import cycle, notify, school_days
from reviews.models import ComplianceArea, ComplianceCheck, Decision, Message, Notice, StageDone
from schools.models import School, Trust
from smart_trust.demo import demo_email, load_demo
from tests.conftest import DEMO_PASSWORD
from tests.cycle_builders import areas, at, stage, stages_2023
from tests.school_plan_builders import person

FIRST, LAST = datetime.date(2023, 4, 1), datetime.date(2024, 3, 31)


def _simulate(actions: dict[datetime.date, callable]) -> list[tuple[datetime.datetime, mail.EmailMessage]]:
    sent: list[tuple[datetime.datetime, mail.EmailMessage]] = []
    day = FIRST
    while day <= LAST:
        if day in actions:
            actions[day]()
        for hour in (9, 19):
            now = at(day, hour)
            before = len(mail.outbox)
            with time_machine.travel(now, tick=False):
                notify.tick(now)
            sent += [(now, m) for m in mail.outbox[before:]]
        day += datetime.timedelta(days=1)
    return sent


@pytest.fixture(scope="module")
def year(django_db_blocker, django_db_setup):
    """The simulated year, run once for this module's tests (rolled back at the end)."""
    with django_db_blocker.unblock():
        from django.db import transaction

        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            mail.outbox = []
            if not Trust.objects.exists():  # a transactional test ran before and flushed the database
                load_demo(password=DEMO_PASSWORD)
            stages_2023()
            areas("Safeguarding", "Health and safety")
            brunel = School.objects.get(slug="brunel")
            october = stage("Appraisal targets")

            def brunel_marks_october_done():
                StageDone.objects.create(stage=october, school=brunel, by=person("head.brunel"))

            sent = _simulate({datetime.date(2023, 10, 10): brunel_marks_october_done})
            result = {
                "sent": sent,
                "notices": list(Notice.objects.values_list("recipient__email", "subject", "reason", "state")),
                "messages": list(Message.objects.values_list("key", "recipient__email", "state")),
                "decisions": Counter(Decision.objects.values_list("outcome", flat=True)),
                "consultation": f"stage-{stage('First draft').pk}",
            }
            yield result
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            mail.outbox = []


def days(sent, local: str, text: str) -> list[datetime.date]:
    email = demo_email(local)
    return [now.date() for now, m in sent if email in m.to and text in m.body]


def test_every_e_mail_went_on_a_school_day_in_working_hours(year):
    calendar = school_days.Calendar()
    assert year["sent"], "the year sent nothing"
    for now, message in year["sent"]:
        assert now.hour == 9, f"sent in the evening: {message.subject} on {now}"
        assert calendar.is_school_day(now.date()), f"sent on a holiday or weekend: {now:%A %d %B %Y}"
    # The summer holidays of 2023/24's calendar start on 1 September: nothing that day (a Friday).
    assert not [m for now, m in year["sent"] if now.date() == datetime.date(2023, 9, 1)]


def test_one_digest_a_day_and_at_most_ten_e_mails_a_week_per_person(year):
    per_day = Counter((m.to[0], now.date()) for now, m in year["sent"])
    assert max(per_day.values()) == 1
    by_person: dict[str, list[datetime.date]] = defaultdict(list)
    for now, m in year["sent"]:
        by_person[m.to[0]].append(now.date())
    for email, dates in by_person.items():
        for d in dates:
            week = [x for x in dates if d <= x < d + datetime.timedelta(days=7)]
            assert len(week) <= 10, f"{email} got {len(week)} e-mails in the week from {d}"


def test_each_decision_is_made_once_and_sent_once(year):
    keys = [(e, s, r) for e, s, r, _ in year["notices"]]
    assert len(keys) == len(set(keys))
    assert len({k for k, _, _ in year["messages"]}) == len(year["messages"])
    assert {state for _, _, state in year["messages"]} == {Message.State.SENT}
    assert len(year["sent"]) == len(year["messages"])
    ids = [m.extra_headers["Message-ID"] for _, m in year["sent"]]
    assert len(ids) == len(set(ids))


def test_the_ceo_is_chased_for_the_consultation_when_it_opens_is_due_soon_and_is_late(year):
    # Opens Saturday 1 April (told on Monday 3rd); due soon from Sunday 23rd (told Monday 24th);
    # due Sunday 30th, late Monday 1 May: the Monday digest says late, not both.
    assert days(year["sent"], "ceo", "First draft of the trust plan consulted on") == [
        datetime.date(2023, 4, 3), datetime.date(2023, 4, 24), datetime.date(2023, 5, 1),
    ]  # fmt: skip
    assert Counter(r for e, s, r, _ in year["notices"] if e == demo_email("ceo") and s == year["consultation"]) == {
        "opened": 1,
        "soon": 1,
        "due": 1,
        "late": 1,
    }
    # The people the stage tells hear once, when it opens: a headteacher, a trustee.
    assert days(year["sent"], "head.brunel", "First draft of the trust plan consulted on has begun") == [
        datetime.date(2023, 4, 3)
    ]
    assert days(year["sent"], "trustee", "First draft of the trust plan consulted on has begun") == [
        datetime.date(2023, 4, 3)
    ]


def test_saltash_has_no_sdp_so_its_head_then_its_chair_then_the_ceo_are_told(year):
    start = "Start the Saltash Community School SDP 2023/24"
    # First drafts (1 June - 15 July): opened, due soon (Sat 8 July: Monday 10th), late (due on
    # Saturday 15th, so Monday 17th says late); finalising (1-20 September): opened on Friday 1st,
    # a holiday, so Monday 4th; soon 13th; due 20th; late 21st.
    assert days(year["sent"], "head", start) == [
        datetime.date(2023, 6, 1), datetime.date(2023, 7, 10), datetime.date(2023, 7, 17),
        datetime.date(2023, 9, 4), datetime.date(2023, 9, 13), datetime.date(2023, 9, 20), datetime.date(2023, 9, 21),
    ]  # fmt: skip
    # Three days late: the head's reviewer, Saltash's chair of governors; a week late: the CEO.
    assert days(year["sent"], "governor", f"Overdue since 15 July: {start}") == [datetime.date(2023, 7, 18)]
    assert days(year["sent"], "ceo", f"Overdue since 15 July: {start}") == [datetime.date(2023, 7, 24)]
    assert days(year["sent"], "governor", f"Overdue since 20 September: {start}") == [datetime.date(2023, 9, 25)]
    assert days(year["sent"], "ceo", f"Overdue since 20 September: {start}") == [datetime.date(2023, 9, 27)]
    # The other governor is neither owner nor reviewer: never told about Saltash's SDP.
    assert days(year["sent"], "link-governor", start) == []


def test_only_those_who_owe_are_chased(year):
    october = "Appraisal targets, STAR projects and last year's final review"
    # Brunel's head marked it done on 10 October: told when it opened, never again; Burraton's was not.
    assert days(year["sent"], "head.brunel", october) == [datetime.date(2023, 10, 2)]
    assert days(year["sent"], "head.burraton", october) == [
        datetime.date(2023, 10, 2), datetime.date(2023, 10, 24),
        datetime.date(2023, 10, 31), datetime.date(2023, 11, 1),
    ]  # fmt: skip
    assert days(year["sent"], "governor.brunel", october) == []
    assert days(year["sent"], "governor.burraton", f"Overdue since 31 October: {october}") == [
        datetime.date(2023, 11, 3)
    ]
    # Staff, the middle leader and the CFO owe nothing in this year: never e-mailed.
    for local in ("staff", "middle", "cfo"):
        assert not [m for _, m in year["sent"] if demo_email(local) in m.to], local


def test_monthly_compliance_checks_are_chased_each_month(year):
    november = "Record Saltash Community School's compliance checks for November 2023"
    assert days(year["sent"], "head", november) == [
        datetime.date(2023, 11, 1), datetime.date(2023, 11, 23),
        datetime.date(2023, 11, 30), datetime.date(2023, 12, 1),
    ]  # fmt: skip
    march = "Record Saltash Community School's compliance checks for March 2024"
    # March 2024: opens on Friday 1st; the spring term ends on the 28th, so the 29th (due soon is
    # the 24th, a Sunday: Monday 25th) and "due" on Sunday 31st fall in the holidays.
    assert days(year["sent"], "head", march)[:2] == [datetime.date(2024, 3, 1), datetime.date(2024, 3, 25)]


def test_the_log_says_what_was_held_back_and_why(year):
    assert year["decisions"]["sent"] == len(year["messages"])
    assert year["decisions"]["suppressed"] > 0  # superseded rungs at least (due on a Saturday, late on Monday)
    assert set(year["decisions"]) <= {"queued", "sent", "held", "suppressed", "retry", "failed"}


@pytest.mark.django_db
def test_a_check_recorded_stops_that_months_chase(demo):
    stages_2023()
    (safeguarding,) = areas("Safeguarding")
    saltash = School.objects.get(slug="saltash")
    month = datetime.date(2023, 11, 1)
    today = datetime.date(2023, 11, 24)
    owed = [o.subject for o in cycle.owing(saltash.trust, cycle.live_stages(saltash.trust, today), today)]
    subject = f"stage-{stage('Monthly compliance').pk}-school-{saltash.pk}-2023-11"
    assert subject in owed
    head = User.objects.get(email=demo_email("head"))
    every = list(ComplianceArea.objects.filter(trust=saltash.trust, is_active=True))
    for area in every[:-1]:
        ComplianceCheck.objects.create(school=saltash, area=area, month=month, outcome="met", by=head)
    owed = {o.subject: o for o in cycle.owing(saltash.trust, cycle.live_stages(saltash.trust, today), today)}
    assert (owed[subject].done, owed[subject].total) == (len(every) - 1, len(every))  # one area left: still owed
    ComplianceCheck.objects.create(school=saltash, area=every[-1], month=month, outcome="met", by=head)
    owed = [o.subject for o in cycle.owing(saltash.trust, cycle.live_stages(saltash.trust, today), today)]
    assert subject not in owed
