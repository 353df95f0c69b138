"""The older-shape plan (tests/fixtures/older-shape-plan.yaml) in Chromium: axe on every page, and
its label-only pocket guide with group blocks still prints on one A4 landscape page."""

import io

import pytest

from plans.planfile import import_plan_text
from tests.plan_builders import older_shape_text
from tests.test_browser import check_page

pytestmark = pytest.mark.browser

PLAN = "/plans/ksp-2017-22/"


@pytest.fixture
def page(browser, live_server, demo_live):
    import_plan_text(older_shape_text(), source="older-shape-plan.yaml")
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def test_every_page_of_the_older_plan_passes_axe(page):
    page.goto(PLAN)
    problems = check_page(page)
    links = page.locator("main a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    # The pages of the plan (its PDF link answers a file or a "being prepared" page, checked in
    # tests/test_pdf_plan_browser.py).
    urls = sorted({url for url in links if url.startswith(PLAN) and url != PLAN and not url.endswith("/pdf/")})
    assert len(urls) == 6 + 12 + 3 + 2  # sections, aims, strands, pocket guides
    for url in urls:
        page.goto(url)
        problems.extend(check_page(page))
    assert problems == []


def test_label_only_guide_reads_its_key_and_prints_on_one_page(page):
    page.goto(PLAN + "pocket-guide/2021-22/")
    assert "Lg Learning" in page.inner_text(".focus-key")
    rows = page.locator("table.pocket-guide-grid tbody tr:not(.group-row):not(.group-block)")
    assert rows.count() == 12
    assert "Whole-trust priorities" in page.inner_text("tbody:has(.group-block)")
    page.emulate_media(media="print")
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    from pypdf import PdfReader

    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
