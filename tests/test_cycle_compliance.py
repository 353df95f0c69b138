"""The monthly compliance checks (November to March): the areas (the usual seven for a new trust,
kept by the central team and the CEO), recording a school's month (all of it or nothing, with who
did it in the history), what the review cycle then says is still owed, the pages per persona and
their query counts at two sizes."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from plans.models import AcademicYear
from reviews import compliance
from reviews.compliance import CheckRow, ensure_areas, record_checks
from reviews.cycle import ensure_cycle, owing
from reviews.models import ComplianceArea, ComplianceCheck
from schools.models import School, Trust
from tests.school_plan_builders import person

pytestmark = pytest.mark.django_db

D = datetime.date
LONDON = zoneinfo.ZoneInfo("Europe/London")
NOVEMBER, DECEMBER, JANUARY = D(2023, 11, 1), D(2023, 12, 1), D(2024, 1, 1)
TODAY = D(2023, 12, 5)


def at(day: datetime.date = TODAY, hour: int = 10):
    """The clock at `hour` in London on `day`."""
    return time_machine.travel(datetime.datetime(day.year, day.month, day.day, hour, tzinfo=LONDON), tick=False)


@pytest.fixture
def trust(demo) -> Trust:
    return Trust.objects.get()


@pytest.fixture
def areas(trust) -> list[ComplianceArea]:
    ensure_areas(trust)
    return list(ComplianceArea.objects.filter(trust=trust, is_active=True))


@pytest.fixture
def stages(trust):
    return ensure_cycle(trust, AcademicYear.objects.get(start_year=2023))


def saltash() -> School:
    return School.objects.select_related("trust").get(slug="saltash")


def rows(areas, outcome="met", n=None, notes="") -> list[CheckRow]:
    return [CheckRow(a, outcome, notes) for a in areas[: len(areas) if n is None else n]]


def month_url(month: str = "2023-11", school: str = "saltash") -> str:
    return reverse("cycle:compliance", kwargs={"school": school, "month": month})


def post_data(areas, outcomes: dict[int, tuple[str, str]]) -> dict[str, str]:
    """{area index: (outcome, notes)} as the month's form posts it."""
    data = {}
    for i, area in enumerate(areas):
        outcome, notes = outcomes.get(i, ("", ""))
        if outcome:
            data[f"outcome_{area.pk}"] = outcome
        data[f"notes_{area.pk}"] = notes
    return data


def owed_for(trust, stages, school: School, month: datetime.date, today=TODAY):
    subject_end = f"-school-{school.pk}-{month:%Y-%m}"
    return [o for o in owing(trust, stages, today) if o.subject.endswith(subject_end)]


# --- the areas -------------------------------------------------------------------------------


def test_a_trust_gets_the_usual_seven_areas_once(trust):
    ComplianceArea.objects.filter(trust=trust).delete()
    ensure_areas(trust)
    ensure_areas(trust)  # again: nothing more
    assert list(ComplianceArea.objects.filter(trust=trust).values_list("name", flat=True)) == [
        "Safeguarding",
        "Health and safety",
        "Attendance",
        "SEND",
        "Data protection (GDPR)",
        "Finance",
        "Premises and estates",
    ]


def test_a_trust_with_its_own_areas_keeps_them(trust):
    ComplianceArea.objects.filter(trust=trust).delete()
    ComplianceArea.objects.create(trust=trust, name="Estates", is_active=False)
    ensure_areas(trust)
    assert list(ComplianceArea.objects.filter(trust=trust).values_list("name", flat=True)) == ["Estates"]


# --- recording a month and what the cycle then owes ------------------------------------------


def test_an_owed_month_disappears_once_every_area_is_checked(trust, areas, stages):
    school, head = saltash(), person("head")
    with at():
        november = owed_for(trust, stages, school, NOVEMBER)
        assert len(november) == 1 and november[0].is_overdue(TODAY)  # November ended unchecked
        assert (november[0].done, november[0].total) == (0, 7)
        assert november[0].url == month_url()
        assert person("head").pk in november[0].owners

        record_checks(school=school, month=NOVEMBER, by=head, rows=rows(areas, n=5))
        assert [(o.done, o.total) for o in owed_for(trust, stages, school, NOVEMBER)] == [(5, 7)]

        record_checks(school=school, month=NOVEMBER, by=head, rows=rows(areas[5:]))
        assert owed_for(trust, stages, school, NOVEMBER) == []
        # December is still owed (not yet due), and Brunel's November is untouched
        assert len(owed_for(trust, stages, school, DECEMBER)) == 1
        assert len(owed_for(trust, stages, School.objects.get(slug="brunel"), NOVEMBER)) == 1
    assert ComplianceCheck.objects.filter(school=school, month=NOVEMBER).count() == 7


def test_an_area_made_inactive_is_no_longer_owed(trust, areas, stages):
    school = saltash()
    with at():
        record_checks(school=school, month=NOVEMBER, by=person("head"), rows=rows(areas, n=6))
        assert len(owed_for(trust, stages, school, NOVEMBER)) == 1
        ComplianceArea.objects.filter(pk=areas[6].pk).update(is_active=False)
        assert owed_for(trust, stages, school, NOVEMBER) == []


def test_checks_record_who_and_when_in_the_history(trust, areas, stages):
    school, head, senior = saltash(), person("head"), person("senior")
    with at():
        [check] = record_checks(school=school, month=NOVEMBER, by=head, rows=rows(areas, n=1))
    with at(D(2023, 12, 6), 14):
        changed = record_checks(
            school=school, month=NOVEMBER, by=senior, rows=[CheckRow(areas[0], "not_met", "Two DBS checks missing.")]
        )
    assert changed == [check]
    check.refresh_from_db()
    assert (check.outcome, check.notes, check.by) == ("not_met", "Two DBS checks missing.", senior)
    assert check.at == datetime.datetime(2023, 12, 6, 14, tzinfo=LONDON)
    versions = list(check.history.order_by("history_date"))
    assert [(v.history_user, v.outcome) for v in versions] == [(head, "met"), (senior, "not_met")]
    assert versions[1].history_change_reason == "Safeguarding, November 2023: Not met"


def test_saving_the_same_outcome_again_changes_nothing(trust, areas, stages):
    school, head = saltash(), person("head")
    with at():
        record_checks(school=school, month=NOVEMBER, by=head, rows=rows(areas, n=2))
        assert record_checks(school=school, month=NOVEMBER, by=person("senior"), rows=rows(areas, n=2)) == []
    assert ComplianceCheck.history.filter(school_id=school.pk).count() == 2
    assert set(ComplianceCheck.objects.values_list("by", flat=True)) == {head.pk}


@pytest.mark.parametrize(
    ("month", "words"),
    [
        (JANUARY, "January 2024 has not started yet: its checks can be recorded from 1 January 2024."),
        (
            D(2023, 7, 1),
            "July 2023 is not a month of compliance checks: choose a month from November 2023 to March 2024.",
        ),
        (D(2023, 10, 1), "October 2023 is not a month of compliance checks"),
    ],
)
def test_a_month_outside_the_stages_or_in_the_future_is_refused(trust, areas, stages, month, words):
    with at(), pytest.raises(ValidationError) as refused:
        record_checks(school=saltash(), month=month, by=person("head"), rows=rows(areas))
    assert any(words in m for m in refused.value.messages), refused.value.messages
    assert not ComplianceCheck.objects.exists()


def test_a_bad_row_saves_nothing_of_the_month(trust, areas, stages):
    good = rows(areas, n=3)
    bad = [CheckRow(areas[3], "actions", "  ")]
    with at(), pytest.raises(ValidationError) as refused:
        record_checks(school=saltash(), month=NOVEMBER, by=person("head"), rows=good + bad)
    assert refused.value.messages == ["Say which actions are needed for SEND."]
    assert not ComplianceCheck.objects.exists()


def test_an_inactive_or_other_trusts_area_is_refused(trust, areas, stages):
    other = Trust.objects.create(name="Other trust", slug="other")
    foreign = ComplianceArea.objects.create(trust=other, name="Safeguarding")
    ComplianceArea.objects.filter(pk=areas[0].pk).update(is_active=False)
    areas[0].refresh_from_db()
    with at(), pytest.raises(ValidationError) as refused:
        record_checks(
            school=saltash(),
            month=NOVEMBER,
            by=person("head"),
            rows=[CheckRow(areas[0], "met"), CheckRow(foreign, "met")],
        )
    assert len(refused.value.messages) == 2 and "no longer checked" in refused.value.messages[0]
    assert not ComplianceCheck.objects.exists()


@pytest.mark.parametrize("who", ["governor", "middle", "trustee", "head.brunel", "staff"])
def test_only_the_schools_leaders_and_the_trusts_team_record(trust, areas, stages, who):
    with at(), pytest.raises(PermissionDenied):
        record_checks(school=saltash(), month=NOVEMBER, by=person(who), rows=rows(areas))


# --- the school's month page -----------------------------------------------------------------


def test_the_head_records_november_on_the_page(client, trust, areas, stages):
    client.force_login(person("head"))
    data = post_data(
        areas,
        {
            0: ("met", ""),
            1: ("actions", "Fire doors to be re-hung by half term."),
            2: ("not_met", "Attendance officer post vacant."),
        },
    )
    with at():
        page = client.get(month_url())
        assert page.status_code == 200
        text = page.content.decode()
        assert "0 of 7 areas checked." in text and "Overdue: it was due by 30 November 2023." in text
        assert f'name="outcome_{areas[0].pk}"' in text
        response = client.post(month_url(), data)
        assert response.status_code == 302 and response["Location"] == month_url()
        text = client.get(month_url()).content.decode()
    assert "Saved the checks for Saltash Community School, November 2023: 3 of 7 areas checked so far." in text
    assert "Recorded by Hannah Eddy on 5 Dec 2023, 10:00." in text
    assert "Hannah Eddy recorded Health and safety: Met with actions" in text
    checks = {c.area_id: c for c in ComplianceCheck.objects.filter(school__slug="saltash", month=NOVEMBER)}
    assert checks[areas[1].pk].notes == "Fire doors to be re-hung by half term."
    assert checks[areas[2].pk].outcome == "not_met"
    assert {c.by for c in checks.values()} == {person("head")}
    assert checks[areas[0].pk].history.get().history_user == person("head")

    # The rest later: the page sends back what was recorded, with the new outcomes
    with at():
        assert (
            client.post(month_url(), {**data, **post_data(areas[3:], {i: ("met", "") for i in range(4)})}).status_code
            == 302
        )
        text = client.get(month_url()).content.decode()
    assert "all 7 areas checked" in text and "All 7 areas checked." in text
    assert ComplianceCheck.objects.filter(school__slug="saltash", month=NOVEMBER).count() == 7
    assert ComplianceCheck.objects.get(area=areas[1], month=NOVEMBER).outcome == "actions"


@pytest.mark.parametrize(
    ("outcomes", "message"),
    [
        (
            {0: ("met", ""), 1: ("", "Checked the fire log")},
            "Choose an outcome for Health and safety (Met, Met with actions or Not met), or clear its notes.",
        ),
        ({0: ("met", ""), 3: ("not_met", "")}, "Say what was not met for SEND and what is being done about it."),
        ({0: ("met", ""), 2: ("excellent", "")}, "Choose Met, Met with actions or Not met for Attendance."),
    ],
)
def test_bad_input_says_what_to_fix_and_saves_nothing(client, trust, areas, stages, outcomes, message):
    client.force_login(person("head"))
    with at():
        response = client.post(month_url(), post_data(areas, outcomes))
    assert response.status_code == 400
    text = response.content.decode()
    assert "nothing has been saved yet" in text
    assert message in text.replace("&#x27;", "'")
    assert not ComplianceCheck.objects.exists()


@pytest.mark.parametrize(
    ("month", "message"),
    [
        ("2024-01", "January 2024 has not started yet: its checks can be recorded from 1 January 2024."),
        ("2023-07", "July 2023 is not a month of compliance checks: choose a month from November 2023 to March 2024."),
    ],
)
def test_a_future_or_non_compliance_month_is_refused_on_the_page(client, trust, areas, stages, month, message):
    client.force_login(person("head"))
    with at():
        page = client.get(month_url(month))
        assert page.status_code == 200 and message in page.content.decode()
        assert '<form method="post" novalidate class="compliance-form">' not in page.content.decode()
        response = client.post(month_url(month), post_data(areas, {0: ("met", "")}))
    assert response.status_code == 400 and message in response.content.decode()
    assert not ComplianceCheck.objects.exists()


@pytest.mark.parametrize("month", ["2023-13", "2023-1", "nov-2023", "2023-00", "20231-1", "1999-11"])
def test_a_badly_formed_month_is_not_found(client, trust, areas, month):
    client.force_login(person("head"))
    assert client.get(month_url(month)).status_code == 404


@pytest.mark.parametrize("who", ["governor", "middle", "trustee", "cfo"])
def test_governors_leaders_and_the_trust_read_the_month_without_a_form(client, trust, areas, stages, who):
    with at():
        record_checks(
            school=saltash(),
            month=NOVEMBER,
            by=person("head"),
            rows=[CheckRow(areas[0], "actions", "Update the policy.")],
        )
        client.force_login(person(who))
        page = client.get(month_url())
        assert client.post(month_url(), post_data(areas, {1: ("met", "")})).status_code == 403
    text = page.content.decode()
    assert page.status_code == 200
    assert "Met with actions" in text and "Update the policy." in text and "By Hannah Eddy on 5 Dec 2023, 10:00" in text
    assert "compliance-form" not in text
    assert ComplianceCheck.objects.count() == 1


def test_another_schools_people_are_not_told_the_page_exists(client, trust, areas, stages):
    client.force_login(person("head.brunel"))
    with at():
        assert client.get(month_url()).status_code == 404
        assert client.post(month_url(), post_data(areas, {0: ("met", "")})).status_code == 404
        assert client.get(month_url(school="no-such-school")).status_code == 404
        assert client.get(month_url(school="brunel")).status_code == 200
    assert not ComplianceCheck.objects.exists()


def test_the_central_team_records_for_any_school(client, trust, areas, stages):
    client.force_login(person("central"))
    with at():
        response = client.post(month_url(school="brunel"), post_data(areas, {0: ("met", "")}))
    assert response.status_code == 302
    assert ComplianceCheck.objects.get().by == person("central")


# --- the overview ----------------------------------------------------------------------------


def overview(client, **params):
    return client.get(reverse("cycle:compliance_index"), params)


def test_the_overview_says_each_schools_month_in_words(client, trust, areas, stages):
    with at():
        record_checks(school=saltash(), month=NOVEMBER, by=person("head"), rows=rows(areas))
        record_checks(school=saltash(), month=DECEMBER, by=person("head"), rows=rows(areas, n=5))
        brunel = School.objects.get(slug="brunel")
        record_checks(school=brunel, month=NOVEMBER, by=person("head.brunel"), rows=rows(areas, n=2))
        client.force_login(person("ceo"))
        response = overview(client, year="2023-24")
    assert response.status_code == 200
    grid = response.context["grid"]
    assert [m.label for m in grid.months] == [
        "November 2023",
        "December 2023",
        "January 2024",
        "February 2024",
        "March 2024",
    ]
    words = {school.slug: [c.words for c in cells] for school, cells in grid.rows}
    assert len(words) == 6
    assert words["saltash"] == ["All 7 checked", "5 of 7 checked", "Not yet due", "Not yet due", "Not yet due"]
    assert words["brunel"][:2] == ["Overdue: 2 of 7 checked", "0 of 7 checked"]
    assert words["landulph"][0] == "Overdue: 0 of 7 checked"
    text = response.content.decode()
    assert "All 7 checked" in text and "Overdue: 2 of 7 checked" in text
    assert f'href="{month_url("2023-12")}"' in text


@pytest.mark.parametrize(
    ("who", "schools"),
    [("governor", ["saltash"]), ("middle", ["saltash"]), ("head.brunel", ["brunel"]), ("trustee", None)],
)
def test_school_people_see_only_their_own_school(client, trust, areas, stages, who, schools):
    client.force_login(person(who))
    with at():
        response = overview(client, year="2023-24")
    assert response.status_code == 200
    shown = [s.slug for s, _ in response.context["grid"].rows]
    assert shown == (schools or sorted(shown, key=lambda slug: School.objects.get(slug=slug).name)) and (
        schools or len(shown) == 6
    )


def test_staff_may_not_see_the_checks(client, trust, areas):
    client.force_login(person("staff"))
    assert overview(client).status_code == 403


def test_the_overview_follows_the_current_cycle_and_an_unknown_year_is_not_found(client, trust, areas):
    client.force_login(person("ceo"))
    with at():
        assert overview(client).context["grid"].year.start_year == 2023
        assert overview(client, year="2031-32").status_code == 404
        assert overview(client, year="2023-25").status_code == 404
        assert overview(client, year="nonsense").status_code == 404


def add_schools(trust, n: int, start: int) -> list[School]:
    made = [
        School.objects.create(
            trust=trust, name=f"Extra School {i:02d}", slug=f"extra-{i}", phase="primary", urn=f"{910000 + i}"
        )
        for i in range(start, start + n)
    ]
    return made


def test_the_overview_makes_the_same_number_of_queries_for_more_schools(client, trust, areas, stages):
    client.force_login(person("ceo"))
    head = person("central")

    def count() -> int:
        with at(), CaptureQueriesContext(connection) as queries:
            assert overview(client, year="2023-24").status_code == 200
        return len(queries)

    with at():
        overview(client, year="2023-24")  # the cycle's stages made the first time
    few = count()
    with at():
        for school in add_schools(trust, 12, 1):
            record_checks(school=school, month=NOVEMBER, by=head, rows=rows(areas, n=3))
    many = count()
    assert few == many, (few, many)
    assert few <= 14  # session, user, trust, schools, roles, year, areas, years, stages (4), count, checks


def test_the_month_page_makes_the_same_number_of_queries_with_more_checks(client, trust, areas, stages):
    client.force_login(person("head"))

    def count() -> int:
        with at(), CaptureQueriesContext(connection) as queries:
            assert client.get(month_url()).status_code == 200
        return len(queries)

    with at():
        client.get(month_url())
    few = count()
    with at():
        record_checks(school=saltash(), month=NOVEMBER, by=person("head"), rows=rows(areas))
        record_checks(
            school=saltash(), month=NOVEMBER, by=person("senior"), rows=rows(areas, outcome="actions", notes="x")
        )
    assert count() == few


# --- the areas page --------------------------------------------------------------------------


def areas_data(trust, changes: dict[int, dict] | None = None, new: dict | None = None) -> dict[str, str]:
    current = list(compliance.areas_with_counts(trust))
    data = {
        "form-TOTAL_FORMS": str(len(current) + 1),
        "form-INITIAL_FORMS": str(len(current)),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
    }
    for i, area in enumerate(current):
        values = {"id": area.pk, "name": area.name, "order": area.order, "is_active": area.is_active}
        values.update((changes or {}).get(i, {}))
        for key, value in values.items():
            if key == "is_active":
                if value:
                    data[f"form-{i}-is_active"] = "on"
            else:
                data[f"form-{i}-{key}"] = str(value)
    n = len(current)
    new = new or {}
    data[f"form-{n}-name"] = new.get("name", "")
    data[f"form-{n}-order"] = str(new.get("order", 8))
    if new.get("is_active", True):
        data[f"form-{n}-is_active"] = "on"
    return data


def test_the_central_team_adds_renames_moves_and_retires_areas(client, trust, areas, stages):
    central = person("central")
    client.force_login(central)
    url = reverse("cycle:compliance_areas")
    with at():
        record_checks(school=saltash(), month=NOVEMBER, by=person("head"), rows=rows(areas, n=7))
        assert client.get(url).status_code == 200
        response = client.post(
            url,
            areas_data(
                trust,
                {0: {"order": 9}, 5: {"name": "Finance and audit"}, 6: {"is_active": False}},
                {"name": "Cyber security", "order": 2},
            ),
        )
        assert response.status_code == 302, response.content.decode()
        text = client.get(url).content.decode()
    assert "Saved 4 areas." in text
    names = list(ComplianceArea.objects.filter(trust=trust, is_active=True).values_list("name", flat=True))
    # a tie in order goes by name
    assert names == [
        "Cyber security",
        "Health and safety",
        "Attendance",
        "SEND",
        "Data protection (GDPR)",
        "Finance and audit",
        "Safeguarding",
    ]
    retired = ComplianceArea.objects.get(name="Premises and estates")
    assert not retired.is_active and retired.checks.count() == 1  # kept, with its check
    assert ComplianceArea.history.filter(name="Cyber security").get().history_user == central
    assert ComplianceArea.history.filter(name="Finance and audit").get().history_user == central
    assert "Cat Tremayne added Cyber security" in text
    # the month page shows the retired area's check apart
    client.force_login(person("head"))
    with at():
        month = client.get(month_url()).content.decode()
    assert "Areas no longer checked" in month and "Premises and estates: Met" in month


def test_a_duplicate_or_empty_name_is_refused_and_nothing_is_saved(client, trust, areas):
    client.force_login(person("ceo"))
    url = reverse("cycle:compliance_areas")
    response = client.post(
        url, areas_data(trust, {1: {"name": ""}, 2: {"name": "Attendance"}}, {"name": "safeguarding"})
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "Give the area a name, e.g. Safeguarding." in text
    assert "There is already an area called Safeguarding: give this one another name." in text
    assert ComplianceArea.objects.filter(trust=trust).count() == 7
    assert ComplianceArea.objects.filter(name="Health and safety").exists()


@pytest.mark.parametrize("who", ["head", "trustee", "cfo", "governor"])
def test_only_the_central_team_and_the_ceo_keep_the_areas(client, trust, areas, who):
    client.force_login(person(who))
    url = reverse("cycle:compliance_areas")
    assert client.get(url).status_code == 403
    assert client.post(url, areas_data(trust, {0: {"name": "Renamed"}})).status_code == 403
    assert not ComplianceArea.objects.filter(name="Renamed").exists()
