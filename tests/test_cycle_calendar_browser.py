"""The review cycle's calendar in a real browser (Debian's Chromium through Playwright), as the
Saltash headteacher: axe finds nothing with each filter, at a desk's width and a phone's (where
nothing scrolls sideways), and the filters, the feed's address and its reset are reached and
used with the keyboard alone. The live server runs on today's date: the running cycle's stages
are made by the first visit, whatever today is."""

import os
import re
from urllib.parse import urlsplit

import pytest

from tests.test_browser import OVERFLOWING, check_page, sign_in

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser

CALENDAR = "/cycle/calendar/"


def new_page(browser, live_server, width=1280):
    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 900})
    return context.new_page()


def test_the_calendar_passes_axe_and_fits_a_phone(browser, live_server, demo_live):
    problems = []
    for width in (1280, 375):
        page = new_page(browser, live_server, width)
        sign_in(page, "head")
        for query in ("", "?show=school", "?show=all"):
            page.goto(CALENDAR + query)
            assert page.locator(".calendar-stages > li").count() > 0, query
            problems.extend(check_page(page))
            # Nothing wider than the screen: the stages are a list that reflows, not a wide table.
            if page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1"):
                problems.append(f"{page.url}: wider than a {width} px screen: {page.evaluate(OVERFLOWING)}")
        page.context.close()
    assert problems == [], "\n".join(problems)


def tab_to(page, test: str, what: str, limit: int = 200) -> None:
    """Press Tab until `test` (a function of the focused element) is true."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(e => {test})(document.activeElement)"):
            return
    pytest.fail(f"Tab never reached {what}")


def test_the_filters_the_feed_and_its_reset_work_with_the_keyboard(browser, live_server, demo_live):
    from governance.models import User
    from reviews.models_cycle import CalendarFeed
    from smart_trust.demo import demo_email

    page = new_page(browser, live_server)
    sign_in(page, "head")
    page.goto(CALENDAR)
    mine = page.locator(".calendar-stages > li").count()
    # The skip link, then on to the filter that shows every stage.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"
    page.keyboard.press("Enter")
    tab_to(page, "e.textContent.trim().startsWith('Every stage')", "the “Every stage” filter")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*show=all$"))
    assert page.locator(".calendar-stages > li").count() > mine
    assert page.locator("h2#stages-title").inner_text().startswith("Every stage")
    assert page.locator("a[aria-current=page]", has_text="Every stage").count() == 1

    # The feed's address is in a box the keyboard reaches (to copy it), and it is the person's own.
    tab_to(page, "e.id === 'feed-url'", "the feed's address")
    address = page.locator("#feed-url").input_value()
    head = User.objects.get(email=demo_email("head"))
    old = CalendarFeed.objects.get(user=head).token
    assert address.endswith(f"/cycle/calendar/{old}.ics")
    ics = page.request.get(urlsplit(address).path)
    assert ics.status == 200 and ics.headers["content-type"].startswith("text/calendar")
    assert "BEGIN:VCALENDAR" in ics.text()

    # Reset the address with the keyboard: the page says so and shows the new one; the old is gone.
    tab_to(page, "e.textContent.trim() === 'Reset the feed address'", "the reset button")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/cycle/calendar/#feed$"))
    assert "The old one no longer works" in page.locator(".messages").inner_text()
    new = CalendarFeed.objects.get(user=head).token
    assert new != old and page.locator("#feed-url").input_value().endswith(f"/cycle/calendar/{new}.ics")
    assert page.request.get(urlsplit(address).path).status == 404
    page.context.close()
