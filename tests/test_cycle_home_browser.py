"""The first thing after signing in: what is due, in a real browser (Chromium) with axe.

The browser runs on today's clock, so the test gives the trust the academic year whose cycle runs
today (beat would make its stages; the demo's own year is 2023/24). Saltash has no SDP for it: its
head sees that first, marked overdue in words, and follows it in one click; the CEO sees each
stage across the trust and reaches the log; on a phone nothing scrolls sideways."""

import datetime
import os

import pytest
from django.utils import timezone

from tests.test_browser import check_page
from tests.test_pdf_browser import signed_in

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser


@pytest.fixture
def this_year(demo_live):
    from plans.models import AcademicYear
    from reviews import cycle
    from schools.models import Trust

    today = timezone.localdate()
    year, _ = AcademicYear.objects.get_or_create(start_year=cycle.cycle_start_year(today))
    cycle.ensure_cycle(Trust.objects.get(), year)
    return year


def test_the_head_sees_what_is_overdue_first_and_follows_it(browser, live_server, this_year):
    context, page = signed_in(browser, live_server, "head")
    try:
        page.goto("/")
        waiting = page.get_by_role("region", name="Waiting for you")
        first = waiting.get_by_role("listitem").first
        if timezone.localdate() > datetime.date(this_year.start_year, 7, 15):
            assert first.inner_text().startswith("Overdue")
        link = first.get_by_role("link")
        assert link.inner_text().startswith("Start the Saltash Community School SDP")
        assert check_page(page) == []
        link.click()  # one click to where it is done
        page.wait_for_url("**/school-plans/new/**")
        assert check_page(page) == []
    finally:
        context.close()


def test_the_ceo_sees_the_cycle_across_the_trust_on_a_phone(browser, live_server, this_year):
    context, page = signed_in(browser, live_server, "ceo")
    try:
        page.set_viewport_size({"width": 375, "height": 800})
        page.goto("/")
        trust = page.get_by_role("region", name="The cycle across the trust")
        assert trust.get_by_role("listitem").count() >= 1
        assert "still owed" in trust.inner_text()
        assert check_page(page) == []
        assert not page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
        trust.get_by_role("link", name="What was sent, held back and why").click()
        page.wait_for_url("**/cycle/log/**")
        assert check_page(page) == []
    finally:
        context.close()
