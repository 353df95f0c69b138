"""The trust-wide and school rating pages in Chromium: axe finds nothing on any of them, on a desktop
and on a 375 px phone, where the heatmap scrolls sideways inside its own region, never the page."""

import os

import pytest

from tests.test_browser import OVERFLOWING, check_page, sign_in

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser

SPRING = "2024-25-spring"
PAGES = {
    "ceo": [
        f"/ratings/trust/?term={SPRING}",
        f"/ratings/trust/{SPRING}/saltash/TSP1/",
        f"/ratings/aims/tsp-2022-27/TSP1/?term={SPRING}",
        f"/ratings/trust/{SPRING}/report/",
        "/plans/tsp-2022-27/aims/TSP1/",
    ],
    "governor": ["/ratings/schools/saltash/?year=2024-25", f"/ratings/schools/saltash/{SPRING}/report/"],
}


def sweep(browser, live_server, pages: dict[str, list[str]]) -> list[str]:
    """Each person's pages at 1280 and 375 px: every axe problem, every page wider than the screen
    (a page that does not answer 200 fails at once)."""
    problems = []
    for width in (1280, 375):
        for local, urls in pages.items():
            context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 900})
            page = context.new_page()
            sign_in(page, local)
            for url in urls:
                response = page.goto(url)
                assert response.status == 200, url
                problems.extend(check_page(page))
                if page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1"):
                    problems.append(f"{page.url}: wider than a {width} px screen: {page.evaluate(OVERFLOWING)}")
            context.close()
    return problems


def test_rating_read_pages_pass_axe_and_fit_a_phone(browser, live_server, demo_live):
    from tests.reviews_trust_builders import build

    build()
    assert sweep(browser, live_server, PAGES) == []


def test_the_heatmap_scrolls_inside_its_region_on_a_phone(browser, live_server, demo_live):
    from tests.reviews_trust_builders import build

    build()
    context = browser.new_context(base_url=live_server.url, viewport={"width": 375, "height": 800})
    page = context.new_page()
    sign_in(page, "ceo")
    page.goto(f"/ratings/trust/?term={SPRING}")
    region = page.get_by_role("region", name="Schools by trust aim")
    assert region.evaluate("e => e.scrollWidth > e.clientWidth")  # the table is wider: it scrolls here
    region.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('.heatmap-scroll').scrollLeft > 0")
    # The filters work without JavaScript: a plain GET form.
    page.get_by_label("Phase").select_option("secondary")
    page.get_by_role("button", name="Show", exact=True).click()
    page.wait_for_url("**phase=secondary**")
    assert page.locator(".heatmap tbody tr").count() == 1
    context.close()


def test_the_other_rating_pages_pass_axe_and_fit_a_phone(browser, live_server, demo_live):
    """Home with what is waiting, the trust's aims, an action's rating history, the terms and their
    forms: axe finds nothing, on a desktop and a phone."""
    from plans.models import Action, SchoolPlan
    from reviews.models import TermDates

    plan = SchoolPlan.objects.get(school__slug="brunel", academic_year__start_year=2023)
    action = Action.objects.filter(plan=plan).first()
    autumn = TermDates.objects.get(academic_year__start_year=2023, term="autumn")
    pages = {
        "ceo": [
            "/",
            "/ratings/trust-aims/2023-24-summer/",
            "/ratings/terms/",
            f"/ratings/terms/{autumn.pk}/edit/",
            f"/ratings/terms/{autumn.pk}/reopen/",
        ],
        "governor.brunel": ["/", f"/ratings/plans/{plan.pk}/actions/{action.pk}/history/"],
    }
    assert sweep(browser, live_server, pages) == []
