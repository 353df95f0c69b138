"""The heatmap's figures and table are kept per version of what they show (reviews.views_trust.
heatmap_parts): a second request renders nothing, and any change to what the heatmap shows (a
rating, a school's name, an action's evidence, a term reopened, another day) shows on the next
request, whoever made it, with nothing invalidated by hand. A cache that is down costs a render."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from plans import services as plan_services
from reviews import selectors_trust, services, views_trust
from schools.models import School, Trust
from tests.reviews_trust_builders import build, rate, term
from tests.school_plan_builders import client_for, person
from tests.test_reviews_trust import words

pytestmark = pytest.mark.django_db

SPRING = "2024-25-spring"
URL = reverse("reviews:heatmap") + f"?term={SPRING}"


def table(client, url: str = URL) -> str:
    """The heatmap's table (the page around it holds a CSRF token that differs per request)."""
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index("<table") : html.index("</table>")]


def saltash_row(html: str) -> str:
    row = next(r for r in html.split("<tr>") if "Saltash" in r)
    return words(row)


def queries(client, url: str = URL) -> int:
    with CaptureQueriesContext(connection) as done:
        assert client.get(url).status_code == 200
    return len(done)


@pytest.fixture
def built():
    return build()


@pytest.fixture
def ceo(built):
    client = client_for("ceo")
    client.get(URL)  # the session's first request renews it; the heatmap is kept from here
    return client


def test_a_second_request_is_served_kept_and_renders_nothing(ceo):
    first = table(ceo)
    kept = queries(ceo)
    cache.clear()
    fresh = queries(ceo)
    assert kept < fresh  # the figures' queries ran only when nothing was kept
    assert table(ceo) == first


def test_a_new_rating_shows_at_once(ceo, built):
    before = saltash_row(table(ceo))
    assert "1 amber, 2 green, 1 not rated" in before and "1 not rated, 1 overdue, 2 stale" in before
    rate(built.a["a4"], "spring", "green")  # as the rating page rates
    after = saltash_row(table(ceo))
    assert "1 amber, 3 green" in after and "0 not rated" in after


def test_a_schools_new_name_shows_at_once(ceo):
    assert "Saltash Community School" in table(ceo)
    school = School.objects.get(slug="saltash")
    school.name = "Saltash Academy"
    school.save()  # as the schools' screens save it
    html = table(ceo)
    assert "Saltash Academy" in html and "Saltash Community School" not in html


def test_new_evidence_on_an_action_shows_at_once(ceo, built):
    assert "2 stale" in saltash_row(table(ceo))
    plan_services.evidence_add(action=built.a["a2"], note="Ambassadors' log", link="", by=person("head"))
    assert "1 stale" in saltash_row(table(ceo))


def test_a_reopened_term_is_rendered_afresh(ceo):
    table(ceo)
    kept = queries(ceo)
    trust = Trust.objects.get()
    spring, terms, today = term("spring"), selectors_trust.all_terms(), timezone.localdate()
    version = selectors_trust.heatmap_version(trust=trust, term=spring, terms=terms, today=today)
    services.reopen(term=spring, until=today + datetime.timedelta(days=7), reason="Late governors", by=person("ceo"))
    terms = selectors_trust.all_terms()
    assert selectors_trust.heatmap_version(trust=trust, term=term("spring"), terms=terms, today=today) != version
    assert queries(ceo) > kept  # not the entry kept before the reopening


def test_another_day_shows_what_has_fallen_overdue_since(built):
    """Author visits are due on 31 January 2025: judged during the spring term, they are not
    overdue on the 31st and are the next morning (within the day a kept entry lasts)."""
    for moment, overdue in (
        (datetime.datetime(2025, 1, 31, 12, tzinfo=datetime.UTC), "0 overdue"),
        (datetime.datetime(2025, 2, 1, 9, tzinfo=datetime.UTC), "1 overdue"),
    ):
        with time_machine.travel(moment, tick=False):
            assert overdue in saltash_row(table(client_for("ceo")))


def test_the_filters_each_have_their_own_entry(ceo):
    every = table(ceo)
    primary = table(ceo, URL + "&phase=primary")
    assert "Saltash" in every and "Saltash" not in primary.split("</thead>")[1]
    assert table(ceo) == every


def test_a_cell_is_named_by_its_school_its_aim_and_its_words(ceo):
    html = table(ceo)
    link = re.search(r'<a href="[^"]+/saltash/TSP1/" id="(hc\d+-\d+)" aria-labelledby="(hs\d+) (ha\d+) \1">', html)
    assert link, "the Saltash TSP1 cell's link"
    own, school, aim = link.groups()
    assert re.search(rf'id="{school}"><a [^>]+>Saltash Community School</a>', html)
    assert re.search(rf'<span class="aim-code" id="{aim}">TSP1</span>', html)
    # The page has each id once.
    ids = re.findall(r' id="([^"]+)"', client_for("ceo").get(URL).content.decode())
    assert len(ids) == len(set(ids))


def test_the_board_report_shares_the_kept_table(ceo):
    heatmap = table(ceo, reverse("reviews:heatmap") + f"?term={SPRING}")
    report = table(client_for("trustee"), reverse("reviews:board_report", args=[SPRING]))
    assert report == heatmap


def test_a_new_release_of_the_templates_is_rendered_afresh(ceo, monkeypatch):
    table(ceo)
    kept = queries(ceo)
    monkeypatch.setattr(views_trust, "HEATMAP_SOURCE", views_trust.HEATMAP_SOURCE + "-changed")
    assert queries(ceo) > kept


def test_a_cache_that_is_down_costs_a_render_not_an_error_page(built):
    with override_settings(CACHES={"default": {"BACKEND": "tests.test_page_cache.BrokenCache"}}):
        assert "1 amber, 2 green, 1 not rated" in saltash_row(table(client_for("ceo")))
