"""The trust-wide and school rating pages cost the same number of SQL queries for the small trust of
tests/reviews_trust_builders.py (three rated schools) and after 57 more schools with rated plans:
no page reads one school at a time."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from plans.models import SchoolPlan
from tests.reviews_trust_builders import build, more_schools
from tests.school_plan_builders import client_for

pytestmark = pytest.mark.django_db

SPRING = "2024-25-spring"
PAGES = {
    "heatmap": ("ceo", reverse("reviews:heatmap") + f"?term={SPRING}"),
    "heatmap, filtered": ("ceo", reverse("reviews:heatmap") + f"?term={SPRING}&phase=primary&strand=learners"),
    "cell": ("ceo", reverse("reviews:cell", args=[SPRING, "saltash", "TSP1"])),
    "golden thread": ("ceo", reverse("reviews:golden_thread", args=["tsp-2022-27", "TSP1"]) + f"?term={SPRING}"),
    "board report": ("trustee", reverse("reviews:board_report", args=[SPRING])),
    "export csv": ("ceo", reverse("reviews:export", args=[SPRING, "csv"])),
    "export xlsx": ("ceo", reverse("reviews:export", args=[SPRING, "xlsx"])),
    "school": ("governor", reverse("reviews:school", args=["saltash"]) + "?year=2024-25"),
    "lgc report": ("governor", reverse("reviews:lgc_report", args=["saltash", SPRING])),
}


def more_pages() -> dict[str, tuple[str, str]]:
    """The rating page of Saltash's plan as its governor, and the CEO's and a governor's home."""
    plan = SchoolPlan.objects.get(school__slug="saltash", academic_year__start_year=2024, kind="sdp")
    return {
        "rate": ("governor", reverse("reviews:rate", args=[plan.pk, "spring"])),
        "home, CEO": ("ceo", reverse("home")),
        "home, governor": ("governor", reverse("home")),
    }


def counts(*, fresh: bool = False) -> dict[str, int]:
    """Each page's queries on its second request: served from what is kept (the heatmap's parts),
    or with `fresh` rendered afresh (the cache emptied first)."""
    found = {}
    for name, (who, url) in {**PAGES, **more_pages()}.items():
        client = client_for(who)
        client.get(url)  # the session's first request renews it: count the second
        if fresh:
            cache.clear()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, name
        found[name] = len(queries)
    return found


def test_rating_pages_cost_the_same_queries_with_three_schools_and_with_sixty():
    build()
    small, small_fresh = counts(), counts(fresh=True)
    more_schools(57)
    large, large_fresh = counts(), counts(fresh=True)
    assert large == small
    assert large_fresh == small_fresh
    # Kept, the heatmap reads only what its key is made of.
    assert small["heatmap"] < small_fresh["heatmap"], (small, small_fresh)
    # And the pages did show the new schools (the counts compare like with like).
    html = client_for("ceo").get(PAGES["heatmap"][1]).content.decode()
    assert "Extra School 007" in html
    assert small["heatmap"] <= 16, small
