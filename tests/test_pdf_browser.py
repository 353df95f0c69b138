"""The PDFs downloaded from a real browser (Chromium), from the links where people look: a member of
staff gets the pocket guide from their home page in one click; a governor gets the SDP with this
term's ratings from the plan's page; the pages with the links pass axe."""

import io
import os

import pytest
from pypdf import PdfReader

from smart_trust.demo import demo_email
from tests.conftest import DEMO_PASSWORD
from tests.test_browser import check_page

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser


def signed_in(browser, live_server, local: str):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(demo_email(local))
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login" not in url)
    return context, page


def downloaded(page, click) -> PdfReader:
    with page.expect_download() as info:
        click()
    data = open(info.value.path(), "rb").read()  # noqa: PTH123, SIM115 - Playwright's temporary file
    assert data.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(data))


def test_staff_download_the_pocket_guide_from_home_in_one_click(browser, live_server, demo_live):
    context, page = signed_in(browser, live_server, "staff")
    try:
        page.goto("/")
        assert check_page(page) == []
        reader = downloaded(page, lambda: page.get_by_role("link", name="PDF of the pocket guide 2023/24").click())
        assert len(reader.pages) == 1
        assert "Equitable progress for ALL pupils" in reader.pages[0].extract_text()
        # And from the guide's own page, which passes axe with its download button.
        page.goto("/plans/tsp-2022-27/pocket-guide/2023-24/")
        assert check_page(page) == []
        reader = downloaded(page, lambda: page.get_by_role("link", name="Download the pocket guide").click())
        assert len(reader.pages) == 1
    finally:
        context.close()


def test_a_governor_downloads_the_sdp_with_its_ratings_from_the_plan_page(browser, live_server, demo_live):
    from governance.models import RoleAssignment
    from plans.models import SchoolPlan

    plan = SchoolPlan.objects.filter(state="signed_off", school__roles__role="local_governor").first()
    governor = RoleAssignment.objects.filter(role="local_governor", school=plan.school).first().user
    context, page = signed_in(browser, live_server, governor.email.split("@")[0])
    try:
        page.goto(f"/school-plans/{plan.pk}/")
        assert check_page(page) == []
        reader = downloaded(page, lambda: page.get_by_role("link", name="Download PDF").click())
        text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
        for priority in plan.priorities.all():
            assert " ".join(priority.title.split()[:4]) in text, priority.title
    finally:
        context.close()
