"""Every page `make bench` measures costs the same number of SQL queries for a trust of 8 schools
and one of 16 (with twice the people, plans and history): the bench's page list, checked with
the large demo loader at two sizes. Each page is asked for twice, so what a page keeps per content
version (plans.page_cache, the stored SMART summaries) is counted both made and kept."""

import io
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext

from governance.models import Role, RoleAssignment
from plans.models import SchoolPlan, StrategicPlan
from plans.models.school_plans import PUBLISHED_STATES
from smart_trust import pdf

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "ops"))

import bench  # noqa: E402 - ops/ is a folder of scripts, not a package

pytestmark = pytest.mark.django_db


class Measured(Exception):
    """Raised to roll one size's trust back once its pages are counted."""


def page_queries(schools: int) -> dict[str, tuple[int, int]]:
    """Load the large trust at this size, then count each bench page's queries: first request
    (after a cleared cache), second request."""
    call_command("load_demo", schools=schools, years=1, password="bench-size-pass", stdout=io.StringIO())
    sdp = (  # as the bench's DISCOVER finds it: the latest year's published SDP with the most actions
        SchoolPlan.objects.filter(kind="sdp", state__in=PUBLISHED_STATES)
        .annotate(actions=Count("priorities__actions"))
        .select_related("school", "academic_year")
        .order_by("-academic_year__start_year", "-actions", "pk")
        .first()
    )
    plan = StrategicPlan.objects.get()
    ids = {"plan": plan.slug, "aim": plan.aims.first().code, "year": sdp.academic_year.slug, "sdp": sdp.pk}
    people = {
        "ceo": RoleAssignment.objects.get(role=Role.CEO).user,
        "head": RoleAssignment.objects.get(role=Role.HEADTEACHER, school=sdp.school).user,
        "staff": RoleAssignment.objects.filter(role=Role.STAFF, school=sdp.school).first().user,
        "governor": RoleAssignment.objects.filter(role=Role.LOCAL_GOVERNOR, school=sdp.school).first().user,
    }
    cache.clear()
    pdf.public_entries.clear()  # the other size's entries name versions that were rolled back
    counts = {}
    for page in bench.PAGES:
        client = Client()
        if page.who != bench.ANONYMOUS:
            client.force_login(people[page.who])
        pair = []
        for _ in range(2):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(page.url_path(ids))
            assert response.status_code == 200, (page.name, response.status_code)
            pair.append(len(queries))
        counts[page.name] = tuple(pair)
    return counts


def at_size(schools: int) -> dict[str, tuple[int, int]]:
    found = {}
    try:
        with transaction.atomic():
            found = page_queries(schools)
            raise Measured
    except Measured:
        pass
    return found


def test_every_bench_page_costs_the_same_queries_at_8_schools_and_at_16(demo):
    small, large = at_size(8), at_size(16)
    assert set(small) == {page.name for page in bench.PAGES}
    assert large == small
    # Kept parts make the second request no dearer than the first, for every page.
    assert all(second <= first for first, second in small.values()), small
