"""The monthly compliance checks in a real browser (Debian's Chromium through Playwright): the
headteacher records November's checks on a phone-size screen with the keyboard alone, a mistake
is shown with what to fix and fixed from the error summary, and axe finds nothing on the pages."""

import datetime
import os

import pytest
from django.utils import timezone

from tests.test_browser import OVERFLOWING, check_page, sign_in

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 800}


def last_november() -> datetime.date:
    """The latest November already begun (the browser runs on the real clock)."""
    today = timezone.localdate()
    return datetime.date(today.year if today.month >= 11 else today.year - 1, 11, 1)


def prepare():
    """The cycle of the year holding the latest November, and the trust's areas."""
    from plans.models import AcademicYear
    from reviews.compliance import active_areas, ensure_areas
    from reviews.cycle import ensure_cycle
    from schools.models import Trust

    november = last_november()
    trust = Trust.objects.get()
    year, _ = AcademicYear.objects.get_or_create(start_year=november.year)
    ensure_cycle(trust, year)
    ensure_areas(trust)
    return november, active_areas(trust)


def phone_page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport=PHONE)
    return context.new_page()


def focused(page) -> str:
    return page.evaluate("document.activeElement.id || document.activeElement.tagName")


def wider_than_the_screen(page) -> list[str]:
    if page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1"):
        return [f"{page.url}: wider than a {PHONE['width']} px screen: {page.evaluate(OVERFLOWING)}"]
    return []


def test_the_head_records_november_on_a_phone_with_the_keyboard_alone(browser, live_server, demo_live):
    from reviews.models import ComplianceCheck

    november, areas = prepare()
    assert len(areas) == 7
    page = phone_page(browser, live_server)
    sign_in(page, "head")
    url = f"/cycle/compliance/saltash/{november:%Y-%m}/"
    page.goto(url)
    problems = check_page(page) + wider_than_the_screen(page)

    # Tab to the first area's first outcome (Met).
    first = f"id_outcome_{areas[0].pk}_0"
    for _ in range(40):
        if focused(page) == first:
            break
        page.keyboard.press("Tab")
    else:
        pytest.fail("Tab never reached the first area's outcome")

    # Each area: Space chooses Met (an arrow key moves to and chooses the others), Tab to its
    # notes, Tab on to the next area. Health and safety: Met with actions; SEND: Not met, whose
    # notes are forgotten at first.
    for i, area in enumerate(areas):
        assert focused(page) == f"id_outcome_{area.pk}_0", (i, focused(page))
        if i == 1:
            page.keyboard.press("ArrowRight")
        elif i == 3:
            page.keyboard.press("ArrowRight")
            page.keyboard.press("ArrowRight")
        else:
            page.keyboard.press("Space")
        page.keyboard.press("Tab")
        assert focused(page) == f"id_notes_{area.pk}"
        if i == 1:
            page.keyboard.type("Fire doors to be re-hung by half term.")
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"
    page.keyboard.press("Enter")
    page.wait_for_load_state()

    # Refused whole, saying what to fix; the summary has the focus and its link leads to the notes.
    summary = page.locator("[data-error-summary]")
    summary.wait_for()
    assert "Say what was not met for SEND and what is being done about it." in summary.inner_text()
    assert ComplianceCheck.objects.count() == 0
    page.wait_for_function("() => document.activeElement.hasAttribute('data-error-summary')")
    problems += check_page(page) + wider_than_the_screen(page)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert focused(page) == f"id_notes_{areas[3].pk}"
    # What was chosen stayed on the page.
    assert page.locator(f"#id_outcome_{areas[3].pk}_2").is_checked()
    assert page.locator(f"#id_notes_{areas[1].pk}").input_value() == "Fire doors to be re-hung by half term."
    page.keyboard.type("SEND register not reviewed since September; SENCo to review by 15 December.")
    for _ in range(30):
        if page.evaluate("document.activeElement.type") == "submit":
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{url}")
    page.locator(".messages").wait_for()
    assert f"Saltash Community School, {november:%B %Y}: all 7 areas checked." in page.locator(".messages").inner_text()
    assert "All 7 areas checked." in page.inner_text("main")
    assert "Hannah Eddy recorded SEND: Not met" in page.inner_text("main")
    problems += check_page(page) + wider_than_the_screen(page)

    checks = {c.area_id: c for c in ComplianceCheck.objects.filter(school__slug="saltash", month=november)}
    assert len(checks) == 7
    assert [checks[a.pk].outcome for a in areas] == ["met", "actions", "met", "not_met", "met", "met", "met"]
    assert {c.by.email for c in checks.values()} == {"head@demo.smart-trust.invalid"}

    # The overview says so in words, and fits the phone too.
    page.goto(f"/cycle/compliance/?year={november.year}-{(november.year + 1) % 100:02d}")
    row = page.locator("tr", has=page.locator("th", has_text="Saltash Community School"))
    assert "All 7 checked" in row.inner_text()
    problems += check_page(page) + wider_than_the_screen(page)
    page.context.close()
    assert problems == [], "\n".join(problems)


def test_the_areas_page_passes_axe_on_a_phone(browser, live_server, demo_live):
    prepare()
    page = phone_page(browser, live_server)
    sign_in(page, "central")
    page.goto("/cycle/compliance/areas/")
    problems = check_page(page) + wider_than_the_screen(page)
    # A duplicate name comes back with what to fix, and the page still passes.
    page.get_by_label("Name of the new area (leave empty to add none)").fill("safeguarding")
    page.get_by_role("button", name="Save the areas").click()
    assert "There is already an area called Safeguarding" in page.locator("[data-error-summary]").inner_text()
    problems += check_page(page) + wider_than_the_screen(page)
    page.context.close()
    assert problems == [], "\n".join(problems)
