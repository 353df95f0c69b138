"""Terms and their rating windows: when a term's ratings are open, the CEO's reopening (recorded,
with a reason, by the CEO alone), the central team's changes of dates (refused when the dates do
not fit, with nothing saved) and the trust's review settings."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from plans.models import AcademicYear
from reviews import services
from reviews.models import ReviewSettings, TermDates, TermReopening
from schools.models import Trust
from smart_trust.rendered import data_version
from tests.school_plan_builders import person

pytestmark = pytest.mark.django_db

D = datetime.date


def term(kind: str = "autumn", year: int = 2023) -> TermDates:
    return TermDates.objects.select_related("academic_year").get(academic_year__start_year=year, term=kind)


def on(day: datetime.date):
    """The clock at nine in the morning of `day` (London), for the views' "today"."""
    return time_machine.travel(datetime.datetime(day.year, day.month, day.day, 9, tzinfo=datetime.UTC), tick=False)


# --- the window ------------------------------------------------------------------------------


def test_a_new_year_gets_three_terms_with_the_usual_dates(demo):
    year = AcademicYear.objects.create(start_year=2031)
    terms = {t.term: t for t in TermDates.objects.filter(academic_year=year)}
    assert set(terms) == {"autumn", "spring", "summer"}
    autumn = terms["autumn"]
    assert (autumn.starts, autumn.ends) == (D(2031, 9, 4), D(2031, 12, 20))
    assert (autumn.rating_opens, autumn.rating_closes) == (D(2031, 11, 18), D(2031, 12, 13))
    assert terms["spring"].starts == D(2032, 1, 6)


@pytest.mark.parametrize(
    ("today", "is_open"),
    [
        (D(2023, 11, 17), False),  # the day before the window opens
        (D(2023, 11, 18), True),  # the first day
        (D(2023, 12, 1), True),
        (D(2023, 12, 13), True),  # the last day
        (D(2023, 12, 14), False),  # the day after it closes
        (D(2024, 3, 5), False),
    ],
)
def test_ratings_are_open_only_inside_the_window(demo, today, is_open):
    autumn = term()
    assert (autumn.rating_opens, autumn.rating_closes) == (D(2023, 11, 18), D(2023, 12, 13))
    assert autumn.is_open(today) is is_open
    assert autumn.open_until(today) == (D(2023, 12, 13) if is_open else None)


def test_reopening_opens_a_closed_term_until_the_day_chosen_and_records_who_and_why(demo):
    autumn, ceo = term(), person("ceo")
    today = D(2024, 1, 15)
    assert not autumn.is_open(today)
    version = data_version(services.RATINGS)
    reopening = services.reopen(term=autumn, until=D(2024, 1, 31), reason="The LGC met late", by=ceo, today=today)
    autumn.refresh_from_db()
    assert autumn.is_open(today) and autumn.is_open(D(2024, 1, 31))
    assert autumn.open_until(today) == D(2024, 1, 31)
    assert not autumn.is_open(D(2024, 2, 1))  # closed again the day after
    assert (reopening.by, reopening.until, reopening.reason) == (ceo, D(2024, 1, 31), "The LGC met late")
    assert list(autumn.reopenings.all()) == [reopening]
    last = autumn.history.latest("history_date")
    assert last.history_user == ceo and last.history_change_reason == "Reopened until 31 Jan 2024"
    assert data_version(services.RATINGS) != version  # kept figures are redone


@pytest.mark.parametrize(
    ("reason", "until", "field", "words"),
    [
        ("", D(2024, 1, 31), "reason", "Say why the term is reopened"),
        ("   ", D(2024, 1, 31), "reason", "Say why the term is reopened"),
        ("Late LGC", D(2024, 1, 14), "until", "Choose a day from today (15 January 2024) on."),
        ("Late LGC", D(2024, 6, 1), "until", "Reopen for at most three months"),
    ],
)
def test_a_reopening_without_a_reason_or_with_a_bad_day_is_refused(demo, reason, until, field, words):
    autumn = term()
    with pytest.raises(ValidationError) as refused:
        services.reopen(term=autumn, until=until, reason=reason, by=person("ceo"), today=D(2024, 1, 15))
    assert words in refused.value.message_dict[field][0]
    autumn.refresh_from_db()
    assert autumn.reopened_until is None and not autumn.reopenings.exists()


# --- the pages -------------------------------------------------------------------------------


def test_the_ceo_reopens_a_closed_term_from_its_page(client, demo):
    autumn = term()
    client.force_login(person("ceo"))
    with on(D(2024, 1, 15)):
        page = client.get(reverse("reviews:terms")).content.decode()
        assert reverse("reviews:term_reopen", args=[autumn.pk]) in page  # closed: a reopen button
        assert reverse("reviews:term_reopen", args=[term("spring").pk]) not in page  # not yet open
        form = client.get(reverse("reviews:term_reopen", args=[autumn.pk]))
        assert form.status_code == 200 and 'value="2024-01-29"' in form.content.decode()  # a fortnight on
        response = client.post(
            reverse("reviews:term_reopen", args=[autumn.pk]),
            {"until": "2024-01-31", "reason": "The LGC met after the window closed."},
        )
        assert response.status_code == 302
        page = client.get(response["Location"]).content.decode()
    assert "Reopened the ratings of the autumn term 2023/24 until 31 January 2024." in page
    assert "Until 31 Jan 2024, by Chris Evans on 15 Jan 2024: “The LGC met after the window closed.”" in page
    assert "Open now until 31 January 2024 (reopened)" in page
    assert TermReopening.objects.get(term=autumn).by == person("ceo")


def test_a_reopening_without_a_reason_is_refused_on_the_page_and_nothing_is_kept(client, demo):
    autumn = term()
    client.force_login(person("ceo"))
    with on(D(2024, 1, 15)):
        response = client.post(reverse("reviews:term_reopen", args=[autumn.pk]), {"until": "2024-01-31", "reason": ""})
    assert response.status_code == 400
    assert "Say why the term is reopened: the governors and the Board will read it." in response.content.decode()
    assert 'value="2024-01-31"' in response.content.decode()  # what was typed stays
    autumn.refresh_from_db()
    assert autumn.reopened_until is None and not autumn.reopenings.exists()


def test_a_term_not_yet_open_cannot_be_reopened(client, demo):
    spring = term("spring")
    client.force_login(person("ceo"))
    with on(D(2024, 1, 15)):
        response = client.post(reverse("reviews:term_reopen", args=[spring.pk]), {"until": "2024-01-31", "reason": "x"})
    assert response.status_code == 400
    assert "open on 1 March 2024: there is nothing to reopen yet" in response.content.decode()
    assert not spring.reopenings.exists()


@pytest.mark.parametrize("who", ["central", "trustee", "governor", "head"])
def test_only_the_ceo_reopens_a_term(client, demo, who):
    autumn = term()
    client.force_login(person(who))
    with on(D(2024, 1, 15)):
        response = client.post(
            reverse("reviews:term_reopen", args=[autumn.pk]), {"until": "2024-01-31", "reason": "Please"}
        )
        page = client.get(reverse("reviews:terms")).content.decode()
    assert response.status_code == 403
    assert not autumn.reopenings.exists()
    assert reverse("reviews:term_reopen", args=[autumn.pk]) not in page


def test_the_terms_page_shows_every_year_its_windows_and_edit_links_only_for_the_term_keepers(client, demo):
    AcademicYear.objects.get_or_create(start_year=2024)
    with on(D(2023, 12, 1)):
        client.force_login(person("trustee"))
        page = client.get(reverse("reviews:terms")).content.decode()
        assert "<h1>Terms and rating windows</h1>" in page
        assert "2023/24" in page and "2024/25" in page
        assert "Open now until 13 December 2023" in page  # autumn 2023/24
        assert "Opens on 1 March 2024" in page  # spring 2023/24
        assert "Change dates" not in page and "How the trust rates" not in page
        client.force_login(person("central"))
        page = client.get(reverse("reviews:terms")).content.decode()
    assert reverse("reviews:term_edit", args=[term().pk]) in page
    assert "How the trust rates" in page and reverse("reviews:settings") in page
    assert "/reopen/" not in page  # the CEO's alone


def test_the_terms_page_costs_the_same_queries_for_more_years(client, demo):
    ceo = person("ceo")
    client.force_login(ceo)
    far = {"by": ceo, "until": D(2099, 1, 1), "today": D(2098, 12, 1)}
    services.reopen(term=term(), reason="x", **far)
    client.get(reverse("reviews:terms"))
    with CaptureQueriesContext(connection) as before:
        assert client.get(reverse("reviews:terms")).status_code == 200
    for start_year in (2025, 2026, 2027):
        AcademicYear.objects.get_or_create(start_year=start_year)
        services.reopen(term=term("spring", start_year), reason="y", **far)
    with CaptureQueriesContext(connection) as after:
        page = client.get(reverse("reviews:terms")).content.decode()
    assert "2027/28" in page and page.count("“y”") == 3
    assert len(after) == len(before), [q["sql"] for q in after.captured_queries]


# --- changing the dates ----------------------------------------------------------------------

GOOD = {"starts": "2023-09-05", "ends": "2023-12-19", "rating_opens": "2023-11-20", "rating_closes": "2024-01-12"}


@pytest.mark.parametrize(
    ("changed", "field", "words"),
    [
        ({"rating_closes": "2023-11-10"}, "rating_closes", "Ratings must close on or after the day they open"),
        ({"ends": "2023-09-01"}, "ends", "The term must end after it starts (5 September 2023)"),
        ({"starts": "2023-08-20"}, "starts", "The 2023/24 year runs from 1 September 2023 to 31 August 2024"),
        ({"rating_opens": "2023-09-01"}, "rating_opens", "open them on or after its first day (5 September 2023)"),
        ({"rating_opens": "2023-12-20", "rating_closes": "2024-01-02"}, "rating_opens", "on or before its last day"),
        ({"rating_closes": "2024-02-01"}, "rating_closes", "at most six weeks after the term ends"),
        ({"ends": "2024-01-10"}, "ends", "The spring term starts on 6 January 2024: end this term before it."),
        ({"starts": ""}, "starts", "Enter the first day of the term."),
        ({"rating_opens": "next week"}, "rating_opens", "Enter the ratings open on as a date"),
    ],
)
def test_dates_that_do_not_fit_are_refused_with_what_to_fix_and_nothing_is_saved(client, demo, changed, field, words):
    autumn = term()
    before = (autumn.starts, autumn.ends, autumn.rating_opens, autumn.rating_closes, autumn.history.count())
    client.force_login(person("central"))
    response = client.post(reverse("reviews:term_edit", args=[autumn.pk]), GOOD | changed)
    assert response.status_code == 400
    assert words in str(response.context["form"].errors[field]), response.context["form"].errors
    assert "nothing has been saved yet" in response.content.decode()
    autumn.refresh_from_db()
    assert (autumn.starts, autumn.ends, autumn.rating_opens, autumn.rating_closes, autumn.history.count()) == before


def test_the_central_team_changes_a_terms_dates_recorded_in_its_history(client, demo):
    autumn = term()
    version = data_version(services.RATINGS)
    client.force_login(person("central"))
    response = client.post(reverse("reviews:term_edit", args=[autumn.pk]), GOOD)
    assert response.status_code == 302
    autumn.refresh_from_db()
    assert (autumn.starts, autumn.rating_closes) == (D(2023, 9, 5), D(2024, 1, 12))
    assert autumn.is_open(D(2024, 1, 10))  # a window that closes after the term ends
    last = autumn.history.latest("history_date")
    assert last.history_user == person("central") and last.history_change_reason == "Dates changed"
    assert data_version(services.RATINGS) != version


@pytest.mark.parametrize("who", ["trustee", "cfo", "governor", "head"])
def test_only_the_central_team_and_the_ceo_change_dates(client, demo, who):
    autumn = term()
    client.force_login(person(who))
    response = client.post(reverse("reviews:term_edit", args=[autumn.pk]), GOOD)
    assert response.status_code == 403
    autumn.refresh_from_db()
    assert autumn.starts == D(2023, 9, 4)


# --- the trust's settings --------------------------------------------------------------------


def test_the_term_keepers_change_how_the_trust_rates(client, demo):
    trust = Trust.objects.get()
    assert services.settings_for(trust).values == ["red", "amber", "green", "not_yet_due", "complete"]
    client.force_login(person("ceo"))
    response = client.post(reverse("reviews:settings"), {"use_complete": "on", "staff_see_ratings": "on"})
    assert response.status_code == 302 and response["Location"].endswith("#settings")
    saved = ReviewSettings.objects.get(trust=trust)
    assert (saved.use_not_yet_due, saved.use_complete, saved.staff_see_ratings) == (False, True, True)
    assert saved.values == ["red", "amber", "green", "complete"]
    assert saved.history.latest("history_date").history_user == person("ceo")
    page = client.get(response["Location"]).content.decode()
    assert "Saved how the trust rates." in page


def test_a_trustee_cannot_change_how_the_trust_rates(client, demo):
    client.force_login(person("trustee"))
    assert client.post(reverse("reviews:settings"), {"staff_see_ratings": "on"}).status_code == 403
    assert not ReviewSettings.objects.exists()


def test_the_admin_lists_terms_and_ratings_read_only(client, demo):
    client.force_login(person("central"))
    assert client.get(reverse("admin:reviews_termdates_changelist")).status_code == 200
    assert client.get(reverse("admin:reviews_termdates_change", args=[term().pk])).status_code == 200
    assert client.get(reverse("admin:reviews_rating_changelist")).status_code == 200
    assert client.get(reverse("admin:reviews_rating_add")).status_code == 403
    assert client.get(reverse("admin:reviews_reviewsettings_changelist")).status_code == 200
