"""The review cycle's calendar page and each person's calendar feed.

Today is 20 November 2023 (the demo's year is 2023/24, so the cycle running is that of 2023: April
2023 to March 2024, with the terms' rating stages). In the demo, Saltash has no 2023/24 SDP yet (its
head owes one), every other school has a signed-off one, and the autumn rating window is open.
"""

import datetime
import re

import icalendar
import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from governance.models import Role, RoleAssignment, User
from plans.models import AcademicYear, PlanKind, PlanState, SchoolPlan
from reviews.cycle import ensure_cycle
from reviews.models_cycle import CalendarFeed, ComplianceArea, Stage
from schools.models import Phase, School, Trust
from tests.school_plan_builders import person

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = datetime.datetime(2023, 11, 20, 10, 0, tzinfo=datetime.UTC)  # 10:00 in London (GMT)
CALENDAR = reverse("cycle:calendar")

# The 2023 cycle's stages, by name.
CONSULTED = "First draft of the trust plan consulted on"
POCKET_GUIDE = "Pocket guide published and e-mailed to all staff"
FIRST_DRAFTS = "First-draft SDPs submitted to the LGC"
LGC_AGREE = "LGCs agree the draft SDPs"
FINALISED = "SDPs and BDPs finalised"
SIGN_OFF = "CEO signs off every plan"
APPRAISAL = "Appraisal targets, STAR projects and last year's final review"
COMPLIANCE = "Monthly compliance checks"
MID_TERM = "Mid-term review of the SDPs and STAR impact"
TERMS = ("autumn term", "spring term", "summer term")
SELF = {f"Self-assessment: {t}" for t in TERMS}
GOVERNORS = {f"Governors' ratings: {t}" for t in TERMS}
TRUSTEES = {f"Trustees rate the aims: {t}" for t in TERMS}

MINE = {
    "ceo": {CONSULTED, POCKET_GUIDE, SIGN_OFF},
    # Responsible for the headteachers' stages, and told of the trust plan's first draft.
    "head": {CONSULTED, FIRST_DRAFTS, FINALISED, APPRAISAL, COMPLIANCE, MID_TERM} | SELF,
    "governor": {LGC_AGREE} | GOVERNORS,
    "trustee": {CONSULTED} | TRUSTEES,
    "staff": set(),
}
# What a school's people see under "My school": every stage a school role answers for (and their own).
SCHOOL_STAGES = {FIRST_DRAFTS, LGC_AGREE, FINALISED, APPRAISAL, COMPLIANCE, MID_TERM} | SELF | GOVERNORS


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def cycle(demo) -> list[Stage]:
    return ensure_cycle(Trust.objects.get(), AcademicYear.objects.get(start_year=2023))


def stage(name: str, year: int = 2023) -> Stage:
    return Stage.objects.get(name=name, academic_year__start_year=year)


def shown_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<li class="card mb-3" id="stage-(\d+)"', html)]


def names(html: str) -> set[str]:
    return set(Stage.objects.filter(pk__in=shown_ids(html)).values_list("name", flat=True))


def card(html: str, pk: int) -> str:
    start = html.index(f'id="stage-{pk}"')
    return html[start : html.index("</li>\n", html.index("card-body", start))]


def page(client, local: str, **query) -> str:
    client.force_login(person(local))
    response = client.get(CALENDAR, query)
    assert response.status_code == 200
    return response.content.decode()


# --- the page --------------------------------------------------------------------------------


@pytest.mark.parametrize("local", sorted(MINE))
def test_mine_shows_the_stages_the_person_answers_for_owes_or_is_told_of(client, cycle, local):
    html = page(client, local)
    assert names(html) == MINE[local]
    assert 'aria-current="page" class="fw-bold">Mine' in html


@pytest.mark.parametrize("local", ["head", "governor", "staff"])
def test_my_school_shows_the_stages_of_school_roles(client, cycle, local):
    html = page(client, local, show="school")
    assert names(html) == SCHOOL_STAGES | MINE[local]
    assert "Your school&#x27;s stages, 2023/24" in html


@pytest.mark.parametrize("local", ["ceo", "head", "governor", "staff"])
def test_all_shows_every_stage_of_the_year_in_date_order(client, cycle, local):
    html = page(client, local, show="all")
    ids = shown_ids(html)
    stages = Stage.objects.in_bulk(ids)
    assert len(ids) == Stage.objects.filter(academic_year__start_year=2023).count() == 18
    assert [stages[i].starts for i in ids] == sorted(stages[i].starts for i in ids)
    for pk in ids:
        assert reverse("cycle:stage", args=[pk]) in card(html, pk)


def test_trust_wide_people_are_not_offered_my_school(client, cycle):
    html = page(client, "ceo", show="school")
    assert "My school" not in html
    assert names(html) == MINE["ceo"]  # an unknown filter is "Mine"


def test_a_person_with_nothing_of_their_own_is_pointed_to_every_stage(client, cycle):
    html = page(client, "staff")
    assert "Nothing in this year's cycle asks anything of you" in html
    assert 'href="?year=2023-24&amp;show=all"' in html


def test_each_stage_says_when_who_what_and_where_it_stands_in_words(client, cycle):
    html = page(client, "head")
    drafts = card(html, stage(FIRST_DRAFTS).pk)
    assert "1 June – 15 July 2023" in drafts
    assert '<dd class="col-sm-9">Headteacher</dd>' in drafts
    assert "Every school&#x27;s plan reaches a state: Submitted to the LGC" in drafts
    assert '<strong class="rag rag-red">Overdue</strong>' in drafts
    # What the head still owes, with its link.
    assert 'href="/school-plans/new/">Start the Saltash Community School SDP 2023/24</a>, due 15 July 2023' in drafts
    # Across a new year the year is written twice.
    assert "1 November 2023 – 31 March 2024" in card(html, stage(COMPLIANCE).pk)
    assert "Not started yet" in card(html, stage(MID_TERM).pk)
    # The autumn self-assessment is open but Saltash has no plan to rate: nothing is owed.
    assert '<strong class="rag rag-green">Done</strong>' in card(html, stage("Self-assessment: autumn term").pk)
    aims = stage("Trustees rate the aims: autumn term").pk
    assert '<strong class="rag rag-amber">Open</strong>' in card(page(client, "trustee"), aims)


def test_where_a_stage_stands_counts_only_what_the_person_may_see(client, cycle):
    """Saltash is late with its first draft: its head sees "Overdue", Brunel's head "Done"
    (Brunel's plan is signed off) and is never told which school is late."""
    drafts = stage(FIRST_DRAFTS).pk
    assert "Overdue" in card(page(client, "head"), drafts)
    brunel = page(client, "head.brunel", show="all")
    assert '<strong class="rag rag-green">Done</strong>' in card(brunel, drafts)
    assert "Saltash" not in brunel.split('<section id="feed"')[0].split("<main")[1]
    # The CEO sees the whole trust: one school still owes it.
    assert "1 still to do" in card(page(client, "ceo", show="all"), drafts)


def test_the_year_switcher_and_a_year_without_a_cycle(client, cycle):
    ensure_cycle(Trust.objects.get(), AcademicYear.objects.create(start_year=2022))
    AcademicYear.objects.create(start_year=2031)  # a year without stages
    client.force_login(person("head"))
    html = client.get(CALENDAR).content.decode()
    assert '<a href="?year=2022-23&amp;show=mine">2022/23</a>' in html
    assert 'href="?year=2023-24&amp;show=mine" aria-current="page" class="fw-bold">2023/24 (now)</a>' in html
    earlier = client.get(CALENDAR, {"year": "2022-23", "show": "all"}).content.decode()
    assert "Every stage, 2022/23" in earlier
    assert "1 June – 15 July 2022" in card(earlier, stage(FIRST_DRAFTS, 2022).pk)
    for slug in ("2031-32", "2019-20", "nonsense"):
        assert client.get(CALENDAR, {"year": slug}).status_code == 404, slug


def test_the_page_makes_the_running_cycle_the_first_time(client, demo):
    Stage.objects.all().delete()
    html = page(client, "head")
    assert Stage.objects.filter(academic_year__start_year=2023).count() == 18
    assert names(html) == MINE["head"]


def test_anonymous_people_are_sent_to_sign_in(client, demo):
    response = client.get(CALENDAR)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- the feed on the page, and its reset ---------------------------------------------------------


def test_the_page_gives_the_person_their_own_feed_address(client, cycle):
    head = person("head")
    assert not CalendarFeed.objects.filter(user=head).exists()
    html = page(client, "head")
    feed = CalendarFeed.objects.get(user=head)
    address = settings.SITE_URL + reverse("cycle:feed", args=[feed.token])
    assert address.startswith("http") and f'value="{address}"' in html
    assert 'href="webcal://' in html and "Reset the feed address" in html
    page(client, "head")
    assert CalendarFeed.objects.get(user=head).token == feed.token  # the same address every time


def test_resetting_the_feed_replaces_its_address(client, cycle):
    html = page(client, "head")
    old = CalendarFeed.objects.get(user=person("head")).token
    assert client.get(reverse("cycle:feed", args=[old])).status_code == 200
    response = client.post(reverse("cycle:feed_reset"))
    assert response.status_code == 302 and response["Location"] == CALENDAR + "#feed"
    new = CalendarFeed.objects.get(user=person("head")).token
    assert new != old and len(new) >= 32
    html = client.get(response["Location"]).content.decode()
    assert "Your calendar feed has a new address. The old one no longer works" in html
    assert new in html and old not in html
    assert client.get(reverse("cycle:feed", args=[old])).status_code == 404
    assert client.get(reverse("cycle:feed", args=[new])).status_code == 200
    assert client.get(reverse("cycle:feed_reset")).status_code == 405


def test_resetting_needs_signing_in(client, demo):
    response = client.post(reverse("cycle:feed_reset"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert not CalendarFeed.objects.exists()


# --- the feed --------------------------------------------------------------------------------


def feed_of(client, local: str) -> tuple[object, icalendar.Calendar]:
    feed, _ = CalendarFeed.objects.get_or_create(user=person(local))
    client.logout()  # calendar apps do not sign in
    response = client.get(reverse("cycle:feed", args=[feed.token]))
    assert response.status_code == 200
    return response, icalendar.Calendar.from_ical(response.content)


def events(cal: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(e["uid"]): e for e in cal.walk("VEVENT")}


@override_settings(SITE_URL="https://plans.example.org")
def test_the_feed_holds_each_of_the_persons_stages_and_its_due_day(client, cycle):
    response, cal = feed_of(client, "head")
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert response["Content-Disposition"] == 'attachment; filename="smart-review-cycle.ics"'
    assert str(cal["version"]) == "2.0" and "SMART Trust Planning" in str(cal["prodid"])
    assert str(cal["x-wr-calname"]) == "SMART review cycle"
    found = events(cal)
    mine = Stage.objects.filter(name__in=MINE["head"], academic_year__start_year=2023)
    assert set(found) == {f"stage-{s.pk}@plans.example.org" for s in mine} | {
        f"stage-{s.pk}-due@plans.example.org" for s in mine
    }
    drafts = stage(FIRST_DRAFTS)
    period, due = found[f"stage-{drafts.pk}@plans.example.org"], found[f"stage-{drafts.pk}-due@plans.example.org"]
    assert str(period["summary"]) == FIRST_DRAFTS
    assert (period.decoded("dtstart"), period.decoded("dtend")) == (D(2023, 6, 1), D(2023, 7, 16))
    assert str(due["summary"]) == f"Due: {FIRST_DRAFTS}"
    assert (due.decoded("dtstart"), due.decoded("dtend")) == (D(2023, 7, 15), D(2023, 7, 16))
    link = f"https://plans.example.org/cycle/stages/{drafts.pk}/"
    assert "What is due: Every school's plan reaches a state." in str(period["description"])
    assert link in str(period["description"]) and str(period["url"]) == link
    assert period.decoded("dtstamp") == TODAY
    # The same UIDs on the next read: calendar apps update the events rather than copy them.
    assert set(events(feed_of(client, "head")[1])) == set(found)


@override_settings(SITE_URL="https://plans.example.org")
def test_the_feed_adds_next_years_stages_once_they_are_made(client, cycle):
    _, cal = feed_of(client, "governor")
    assert len(events(cal)) == 2 * len(MINE["governor"])
    assert not Stage.objects.filter(academic_year__start_year=2024).exists()  # the feed made none
    ensure_cycle(Trust.objects.get(), AcademicYear.objects.get_or_create(start_year=2024)[0])
    _, cal = feed_of(client, "governor")
    assert len(events(cal)) == 4 * len(MINE["governor"])
    period = events(cal)[f"stage-{stage(LGC_AGREE, 2024).pk}@plans.example.org"]
    assert (period.decoded("dtstart"), period.decoded("dtend")) == (D(2024, 6, 15), D(2024, 9, 11))


def test_a_feed_holds_nothing_of_other_people(client, cycle):
    """Only the stages themselves: two heads of different schools (one late, one not) read the
    same events; staff, who answer for no stage, an empty calendar."""

    def contents(cal):
        return sorted((str(e["summary"]), str(e["description"])) for e in cal.walk("VEVENT"))

    _, saltash = feed_of(client, "head")
    _, brunel = feed_of(client, "head.brunel")
    assert contents(saltash) == contents(brunel) and len(contents(brunel)) == 2 * len(MINE["head"])
    text = brunel.to_ical().decode()
    for other in ("Saltash", "Hannah Eddy", "@demo.smart-trust", "Start the"):
        assert other not in text, other
    _, staff = feed_of(client, "staff")
    assert events(staff) == {} and str(staff["x-wr-calname"]) == "SMART review cycle"


def test_unknown_reset_and_inactive_peoples_feeds_are_not_found(client, cycle):
    assert client.get(reverse("cycle:feed", args=["not-a-token"])).status_code == 404
    feed = CalendarFeed.objects.create(user=person("head"))
    url = reverse("cycle:feed", args=[feed.token])
    assert client.get(url).status_code == 200
    assert client.head(url).status_code == 200  # some calendar apps ask with HEAD first
    assert client.post(url).status_code == 405
    User.objects.filter(pk=feed.user_id).update(is_active=False)
    assert client.get(url).status_code == 404


# --- the number of queries -------------------------------------------------------------------


def more_schools(count: int) -> None:
    """`count` more schools, each with a headteacher and a governor, and a 2023/24 SDP in draft or
    submitted; Saltash's head and governor also hold their roles at the first two."""
    trust = Trust.objects.get()
    year = AcademicYear.objects.get(start_year=2023)
    for n in range(count):
        school = School.objects.create(
            trust=trust, name=f"Extra School {n:03d}", slug=f"extra-{n}", phase=Phase.PRIMARY, urn=f"{990000 + n}"
        )
        head = User.objects.create_user(f"head.extra{n}@example.invalid", "x", full_name=f"Head {n}")
        governor = User.objects.create_user(f"governor.extra{n}@example.invalid", "x", full_name=f"Governor {n}")
        RoleAssignment.objects.create(user=head, role=Role.HEADTEACHER, trust=trust, school=school)
        RoleAssignment.objects.create(user=governor, role=Role.LOCAL_GOVERNOR, trust=trust, school=school)
        if n < 2:
            RoleAssignment.objects.create(user=person("head"), role=Role.HEADTEACHER, trust=trust, school=school)
            RoleAssignment.objects.create(user=person("governor"), role=Role.LOCAL_GOVERNOR, trust=trust, school=school)
        state = PlanState.DRAFT if n % 2 else PlanState.SUBMITTED
        SchoolPlan.objects.create(trust=trust, school=school, kind=PlanKind.SDP, academic_year=year, state=state)


def queries(client, local: str, url: str) -> int:
    client.force_login(person(local))
    assert client.get(url).status_code == 200  # the first request renews the session and makes the feed
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_page_and_the_feed_cost_the_same_queries_whatever_the_number_of_schools(client, cycle):
    # The trust checks its areas every month (so every school owes November's checks), at both sizes.
    for name in ("Safeguarding", "Health and safety"):
        ComplianceArea.objects.get_or_create(trust=Trust.objects.get(), name=name)
    feed = CalendarFeed.objects.create(user=person("head"))
    urls = {
        "head, mine": ("head", CALENDAR),
        "head, my school": ("head", CALENDAR + "?show=school"),
        "governor, my school": ("governor", CALENDAR + "?show=school"),
        "ceo, every stage": ("ceo", CALENDAR + "?show=all"),
        "feed": ("head", reverse("cycle:feed", args=[feed.token])),
    }
    small = {name: queries(client, who, url) for name, (who, url) in urls.items()}
    more_schools(12)
    large = {name: queries(client, who, url) for name, (who, url) in urls.items()}
    assert large == small
    # And the pages did read the new schools (the counts compare like with like).
    client.force_login(person("head"))
    html = client.get(CALENDAR).content.decode()
    assert "Record Extra School 000&#x27;s compliance checks for November 2023" in html
    assert "Agree: " not in html  # the head does not owe the governors' step
    client.force_login(person("governor"))
    assert "Extra School 000 SDP" in client.get(CALENDAR).content.decode()
    assert small["ceo, every stage"] <= 40, small
