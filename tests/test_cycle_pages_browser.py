"""The CEO runs the review cycle in a real browser (Debian's Chromium through Playwright), with the
keyboard alone once signed in: she moves a stage's due date, marks a school's task done, reads the
log and sends a failed e-mail again. Every page passes axe, at a desktop width and on a phone
(where the stages' table becomes a list and nothing is wider than the screen)."""

import os
import re

import pytest

from tests.test_browser import OVERFLOWING, check_page, sign_in

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser

YEAR = "2023-24"  # the demo's year: every stage of it has fallen due by now


@pytest.fixture
def cycle_2023(demo_live):
    """The demo's 2023/24 stages, a failed e-mail and a few decisions for the log."""
    from governance.models import User
    from plans.models import AcademicYear
    from reviews.cycle import ensure_cycle
    from reviews.models_cycle import Decision, Message
    from schools.models import Trust
    from smart_trust.demo import demo_email

    stages = ensure_cycle(Trust.objects.get(), AcademicYear.objects.get(start_year=2023))
    head = User.objects.get(email=demo_email("head"))
    failed = Message.objects.create(
        key="browser-failed", recipient=head, to=head.email, subject="Your review cycle today", body="...",
        state=Message.State.FAILED, attempts=6, last_error="SMTPServerDisconnected: Connection unexpectedly closed",
    )  # fmt: skip
    for n, outcome in enumerate([Decision.Outcome.QUEUED, Decision.Outcome.SUPPRESSED, Decision.Outcome.FAILED]):
        Decision.objects.create(
            recipient=head, subject=f"stage-1-school-{n}", reason="late", outcome=outcome, detail=f"Because {n}."
        )
    appraisal = next(s for s in stages if s.name.startswith("Appraisal targets"))
    return appraisal, failed


def new_page(browser, live_server, width=1280):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}, locale="en-GB", timezone_id="Europe/London"
    )
    return context.new_page()


def tab_to(page, test: str, arg=None, most: int = 150) -> None:
    """Press Tab until the focused element passes `test` (a JS function of the element and arg)."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate(f"a => ({test})(document.activeElement, a)", arg):
            return
    raise AssertionError(f"Tab never reached {test} ({arg})")


HREF_ENDS = "(e, a) => (e.getAttribute('href') || '').endsWith(a)"
NAMED = "(e, a) => e.id === a"
BUTTON = "(e, a) => e.tagName === 'BUTTON' && e.textContent.trim().startsWith(a)"


def problems_at(page, width: int) -> list[str]:
    found = check_page(page)
    if page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1"):
        found.append(f"{page.url}: wider than a {width} px screen: {page.evaluate(OVERFLOWING)}")
    return found


def test_the_ceo_runs_the_cycle_with_the_keyboard(browser, live_server, cycle_2023):
    from reviews.models_cycle import Message, StageDone

    appraisal, failed = cycle_2023
    page = new_page(browser, live_server)
    sign_in(page, "ceo")
    problems = []

    page.goto(f"/cycle/?year={YEAR}")
    assert page.locator("h1").inner_text() == "Review cycle 2023/24"
    problems += problems_at(page, 1280)
    # The stage's Edit link, by keyboard, then its due date typed into the date field.
    tab_to(page, HREF_ENDS, f"/cycle/stages/{appraisal.pk}/edit/")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf".*/cycle/stages/{appraisal.pk}/edit/$"))
    problems += problems_at(page, 1280)
    tab_to(page, NAMED, "id_due")
    page.keyboard.type("11152023")  # headless Chromium's date field reads month, day, year
    tab_to(page, BUTTON, "Save the stage")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/cycle/\?year=2023-24#stage-\d+$"))
    assert f"Saved “{appraisal.name}” (2023/24)." in page.inner_text(".messages")
    assert "1 Oct 2023 to 15 Nov 2023" in page.locator(f"#stage-{appraisal.pk}").inner_text()
    appraisal.refresh_from_db()
    assert appraisal.due.isoformat() == "2023-11-15"

    # The stage itself: mark the first school's part done, with a note.
    tab_to(page, HREF_ENDS, f"/cycle/stages/{appraisal.pk}/")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf".*/cycle/stages/{appraisal.pk}/$"))
    assert "6 schools overdue" in page.inner_text("main")
    problems += problems_at(page, 1280)
    tab_to(page, NAMED, "id_school")
    page.keyboard.press("ArrowDown")
    tab_to(page, NAMED, "id_note")
    page.keyboard.type("Targets set at the October meeting")
    tab_to(page, BUTTON, "Mark as done")
    page.keyboard.press("Enter")
    page.locator(".messages").wait_for()
    assert "done for Bishop Cornish CofE Primary School" in page.inner_text(".messages")
    assert "5 schools overdue" in page.inner_text("main")
    assert StageDone.objects.get(stage=appraisal).note == "Targets set at the October meeting"

    # The log: what is overdue, the failed e-mail first, sent again.
    page.goto("/cycle/log/")
    text = page.inner_text("main")
    assert "Overdue now" in text and "Connection unexpectedly closed" in text and "Held back" in text
    problems += problems_at(page, 1280)
    tab_to(page, BUTTON, "Send again")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/cycle/log/#messages$"))
    assert "will be sent again shortly" in page.inner_text(".messages")
    failed.refresh_from_db()
    assert failed.state in {Message.State.PENDING, Message.State.SENT}  # the worker may have sent it already
    page.context.close()
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("width", [375, 320])
def test_the_cycle_pages_fit_a_phone(browser, live_server, cycle_2023, width):
    appraisal, _failed = cycle_2023
    page = new_page(browser, live_server, width=width)
    sign_in(page, "ceo")
    problems = []
    for url in (
        f"/cycle/?year={YEAR}",
        f"/cycle/stages/{appraisal.pk}/",
        f"/cycle/stages/{appraisal.pk}/edit/",
        "/cycle/stages/0/edit/?year=2023-24",
        "/cycle/log/",
    ):
        page.goto(url)
        problems += problems_at(page, width)
    # On a phone the stages are a list (the table is not displayed), each line labelled.
    page.goto(f"/cycle/?year={YEAR}")
    assert not page.locator("table").is_visible()
    assert "Responsible" in page.locator("main ol li").first.inner_text()
    page.context.close()
    assert problems == [], "\n".join(problems)
