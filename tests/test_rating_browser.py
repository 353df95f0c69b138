"""The rating page in a real browser (Debian's Chromium through Playwright): the issue's target
measured (a governor rates a 60-action SDP with the keyboard alone in at most 70 interactions,
without a page load), the page without JavaScript, typing kept on a failed save, axe and a phone.
"""

import datetime
import os
import re

import pytest
from django.utils import timezone

from tests.test_browser import OVERFLOWING, check_page, sign_in

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser

PRIORITIES = 12
ACTIONS_EACH = 5
# The actions (in page order) the governors rate amber or red, and what they say.
NOT_GREEN = {
    6: ("a", "amber", "Attendance fell in February; the new tutor rota starts after Easter."),
    19: ("r", "red", "No phonics catch-up sessions have run since January."),
    33: ("a", "amber", "Only half the departments have written their reading plans."),
    52: ("r", "red", "The careers fair was cancelled and not yet rebooked."),
}
# Counts every keydown and click that reaches the page, so the test's own count is checked by it.
COUNT_EVENTS = """
window.__events = {keydown: 0, click: 0};
document.addEventListener('keydown', () => { window.__events.keydown += 1; }, true);
// A click by pointer (detail > 0), not the click a link fires on Enter.
document.addEventListener('click', (e) => { if (e.detail > 0) { window.__events.click += 1; } }, true);
"""
# The page's CSP forbids eval, so waits are functions (with an argument), not expressions.
RATED = "n => document.querySelector('.rate-count').textContent === n"


def sixty_action_sdp():
    """A signed-off Saltash SDP for 2023/24 with 12 priorities (the pocket guide's 8 and 4 of the
    school's own) of 5 actions each, every other one measured; the spring term open again, and the
    headteacher's self-assessment of every action (with a figure, so a governor's green needs none)."""
    from plans import services as plan_services
    from plans import workflow
    from plans.models import Action, Priority
    from reviews import selectors
    from reviews import services as review_services
    from tests.school_plan_builders import person, sdp

    head = person("head")
    plan = sdp(state="draft", with_action=False)
    for n in range(PRIORITIES - Priority.objects.filter(plan=plan).count()):
        plan_services.item_save(
            item=plan_services.Priority(plan=plan),
            values={"title": f"School priority {n + 1}", "description": "The school's own."},
            expected_version=None,
            by=head,
        )
    priorities = list(Priority.objects.filter(plan=plan).order_by("order", "pk"))
    assert len(priorities) == PRIORITIES
    for p, priority in enumerate(priorities, start=1):
        for a in range(1, ACTIONS_EACH + 1):
            action = plan_services.item_save(
                item=plan_services.Action(plan=plan, priority=priority),
                values={"what": f"Action {p}.{a}: work towards the priority", "lead": head, "due_term": "summer"},
                expected_version=None,
                by=head,
            )
            plan_services.item_save(
                item=plan_services.SuccessCriterion(plan=plan, action=action),
                values={"text": f"Criterion of action {p}.{a}", **({"target": 80, "unit": "%"} if a % 2 else {})},
                expected_version=None,
                by=head,
            )
    for step, who in [("submit", "head"), ("agree", "governor"), ("finalise", "head"), ("sign_off", "ceo")]:
        plan = workflow.take_step(plan=plan, step=step, by=person(who), comment="")
    term = selectors.term_of(plan.academic_year, "spring")
    term.reopened_until = timezone.localdate() + datetime.timedelta(days=30)
    term.save(update_fields=["reopened_until"])
    actions = list(Action.objects.filter(plan=plan).order_by("priority__order", "order", "pk"))
    assert len(actions) == PRIORITIES * ACTIONS_EACH
    for action in actions:
        review_services.rate(
            term=term,
            voice="self",
            item=action,
            value="green",
            commentary="On track.",
            current_value="72%",
            evidence="Termly data drop",
            by=head,
            expected_version=None,
        )
    return plan, term, actions


def new_page(browser, live_server, width=1280, **options):
    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 900}, **options)
    return context.new_page()


def rate_url(plan) -> str:
    return f"/ratings/plans/{plan.pk}/spring/?voice=governors"


class Counter:
    """Every interaction of the journey: a key pressed, a click, a text typed (one each)."""

    def __init__(self, page):
        self.page = page
        self.count = 0
        self.keys = 0
        self.typed = 0
        self.log: list[str] = []

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.count += 1
        self.keys += 1
        self.log.append(key)

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)
        self.count += 1
        self.typed += len(text)
        self.log.append(f"type {text[:12]}…")


def active(page) -> str:
    return page.evaluate("document.activeElement.id || document.activeElement.className")


def test_a_governor_rates_a_sixty_action_plan_in_at_most_seventy_interactions(browser, live_server, demo_live):
    """Keyboard only, from the rating page as it opens (signing in and opening the page are not
    counted): reach the first action, then one key per green and key, commentary and Enter per
    amber or red. Every rating is saved in the background: no page load from start to end."""
    from reviews.models import Rating

    plan, term, actions = sixty_action_sdp()
    page = new_page(browser, live_server)
    sign_in(page, "governor")
    page.add_init_script(COUNT_EVENTS)
    loads = []
    page.goto(rate_url(plan))
    page.on("load", lambda: loads.append(page.url))
    page.evaluate("window.__marker = 1")
    ids = page.locator("article[data-rate-url]").evaluate_all("els => els.map(e => e.id)")
    assert ids == [f"action-{a.pk}" for a in actions]
    assert page.locator(".rate-progress").inner_text() == "0 of 60 rated"

    counter = Counter(page)
    # Reach the first card: Tab to the "Start with the first action not yet rated" link, then Enter.
    for _ in range(40):
        if page.evaluate("document.activeElement.classList.contains('rate-start')"):
            break
        counter.press("Tab")
    else:
        pytest.fail("Tab never reached the link to the first action not yet rated")
    counter.press("Enter")
    reach = counter.count
    assert active(page) == ids[0]

    for i, card in enumerate(ids):
        assert active(page) == card, f"the focus is not on action {i + 1} but on {active(page)}"
        if i in NOT_GREEN:
            key, _, commentary = NOT_GREEN[i]
            counter.press(key)
            page.wait_for_function("id => document.activeElement.id === id", arg=f"a{actions[i].pk}-commentary")
            counter.type(commentary)
            counter.press("Enter")
        else:
            counter.press("g")
        page.wait_for_function(RATED, arg=str(i + 1))
        page.wait_for_function(
            "n => document.activeElement && !document.activeElement.closest('[data-saving]') "
            "&& document.activeElement.id !== n",
            arg=card,
        )

    print(
        f"\nRATING JOURNEY: {counter.count} interactions for {len(ids)} actions "
        f"({reach} to reach the first action, {counter.keys} key presses in all, "
        f"{len(NOT_GREEN)} commentaries typed; sign-in and opening the page not counted)"
    )
    # The page saw exactly what was counted: each key once, each typed text character by character.
    events = page.evaluate("window.__events")
    assert events == {"keydown": counter.keys + counter.typed, "click": 0}, events
    assert counter.count <= 70, counter.log
    # No page load: the same document from start to end.
    assert page.evaluate("window.__marker") == 1
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
    assert loads == []
    assert page.locator(".rate-progress").inner_text() == "60 of 60 rated"
    # The plan's summary line followed the ratings made on the page: nothing is left not rated.
    summary = page.locator(".rate-plan-summary").inner_text()
    assert "not rated" not in summary and "green" in summary, summary
    assert page.locator(".rate-start").is_hidden()  # nothing left to start with
    # When all are rated the focus rests on the progress, which says so.
    assert page.evaluate("document.activeElement.classList.contains('rate-progress')")

    ratings = {r.action_id: r for r in Rating.objects.filter(plan=plan, term=term, voice="governors")}
    assert len(ratings) == 60
    for i, action in enumerate(actions):
        rating = ratings[action.pk]
        if i in NOT_GREEN:
            assert (rating.value, rating.commentary) == NOT_GREEN[i][1:]
        else:
            assert (rating.value, rating.commentary) == ("green", "")
        assert rating.by.email.startswith("governor@")


def test_without_javascript_a_rating_is_an_ordinary_form(browser, live_server, demo_live):
    from reviews.models import Rating

    plan, term, actions = sixty_action_sdp()
    page = new_page(browser, live_server, java_script_enabled=False)
    sign_in(page, "governor")
    page.goto(rate_url(plan))
    card = page.locator(f"#action-{actions[2].pk}")
    # Without the script the commentary and figure boxes are always there.
    assert card.get_by_label("Commentary").is_visible()
    card.locator("label.rag-choice-amber").click()
    card.get_by_role("button", name="Save rating").click()
    # A red or amber without commentary comes back with what to fix.
    assert "Not saved: see below." in card.inner_text()
    assert "needs a commentary" in card.inner_text()
    assert not Rating.objects.filter(action=actions[2], voice="governors").exists()
    card = page.locator(f"#action-{actions[2].pk}")
    assert card.locator("input[value=amber]").is_checked()
    card.get_by_label("Commentary").fill("Half the classes have started.")
    card.get_by_role("button", name="Save rating").click()
    page.wait_for_url(re.compile(rf".*\?voice=governors#action-{actions[2].pk}$"))
    assert "Rating saved." in page.inner_text("body")
    # Back at the card just saved: the start link's autofocus does not take the reader to the top.
    assert not page.evaluate("document.activeElement.classList.contains('rate-start')")
    assert page.evaluate("window.scrollY") > 0
    assert page.locator(".rate-progress").inner_text() == "1 of 60 rated"
    rating = Rating.objects.get(action=actions[2], voice="governors", term=term)
    assert (rating.value, rating.commentary) == ("amber", "Half the classes have started.")


def test_a_failed_save_keeps_the_commentary(browser, live_server, demo_live):
    """The server fails, then the connection: each time the amber and the commentary typed stay
    on the card, which says it was not saved; once the connection is back, Enter saves them."""
    from reviews.models import Rating

    plan, term, actions = sixty_action_sdp()
    page = new_page(browser, live_server)
    sign_in(page, "governor")
    page.goto(rate_url(plan))
    page.evaluate("window.__marker = 1")
    card = page.locator(f"#action-{actions[0].pk}")
    card.focus()
    page.keyboard.press("a")
    box = card.get_by_label("Commentary")
    assert page.evaluate("document.activeElement.name") == "commentary"
    typed = "Reading ages rose by less than we hoped."
    page.keyboard.type(typed)
    status = card.locator(".rate-status")
    saves = re.compile(r".*/ratings/plans/\d+/spring/action/\d+/$")
    for failure, said in [
        (lambda route: route.fulfill(status=500, body="Server Error (500)"), "the server answered 500"),
        (lambda route: route.abort("internetdisconnected"), "the connection failed"),
    ]:
        page.route(saves, failure)
        box.focus()
        page.keyboard.press("Enter")
        status.filter(has_text=said).wait_for()
        assert "Not saved" in status.inner_text() and "Your typing is still here" in status.inner_text()
        assert box.input_value() == typed
        assert card.locator("input[value=amber]").is_checked()
        assert page.evaluate("document.activeElement.name") == "commentary"
        page.unroute(saves)
    assert not Rating.objects.filter(action=actions[0], voice="governors").exists()
    assert page.locator(".rate-progress").inner_text() == "0 of 60 rated"

    # Back online, Enter in the commentary saves it, still without a page load.
    box.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(RATED, arg="1")
    rating = Rating.objects.get(action=actions[0], voice="governors", term=term)
    assert (rating.value, rating.commentary) == ("amber", typed)
    # The link to the first action not yet rated now leads to the second.
    assert page.locator(".rate-start").get_attribute("href") == f"#action-{actions[1].pk}"
    assert page.evaluate("window.__marker") == 1


def test_typing_survives_an_expired_session_on_the_rating_page(browser, live_server, demo_live):
    """The session runs out while a governor writes a commentary: Enter does not save, the card
    says why and keeps the typing; once signed in again (in another tab), Enter saves it."""
    from reviews.models import Rating

    plan, term, actions = sixty_action_sdp()
    page = new_page(browser, live_server)
    sign_in(page, "governor")
    page.goto(rate_url(plan))
    page.evaluate("window.__marker = 1")
    card = page.locator(f"#action-{actions[0].pk}")
    card.focus()
    page.keyboard.press("r")
    typed = "Nothing has started: the lead left in January."
    page.keyboard.type(typed)
    page.context.clear_cookies(name="sessionid")  # as if the session had expired meanwhile
    page.keyboard.press("Enter")
    status = card.locator(".rate-status")
    status.filter(has_text="Not saved").wait_for()
    assert "signed out" in status.inner_text()
    assert card.get_by_label("Commentary").input_value() == typed
    assert card.locator("input[value=red]").is_checked()
    assert not Rating.objects.filter(action=actions[0], voice="governors").exists()

    other = page.context.new_page()
    sign_in(other, "governor")
    other.close()
    card.get_by_label("Commentary").focus()
    page.keyboard.press("Enter")
    page.wait_for_function(RATED, arg="1")
    rating = Rating.objects.get(action=actions[0], voice="governors", term=term)
    assert (rating.value, rating.commentary) == ("red", typed)
    assert page.evaluate("window.__marker") == 1


def test_rating_page_passes_axe_and_fits_a_phone(browser, live_server, demo_live):
    from reviews.models import Rating

    plan, term, actions = sixty_action_sdp()
    # Without the self-assessment's figure, a bare green on the first (measured) action is refused.
    Rating.objects.filter(action=actions[0]).delete()
    problems = []
    for width in (1280, 375):
        page = new_page(browser, live_server, width=width)
        sign_in(page, "governor")
        page.goto(rate_url(plan))
        # A card showing what to fix and one saved are on the page that axe checks, with the rest.
        page.locator(f"#action-{actions[0].pk}").focus()
        page.keyboard.press("g")
        page.locator(f"#action-{actions[0].pk} .invalid-feedback").wait_for()
        assert "needs this term's figure or evidence" in page.locator(f"#action-{actions[0].pk}").inner_text()
        page.locator(f"#action-{actions[1].pk}").focus()
        page.keyboard.press("g")
        # (At the second width the green is there already: choosing it again saves nothing new.)
        page.locator(f"#action-{actions[1].pk} .rate-status").filter(has_text="Saved: Green").wait_for()
        assert page.locator(".rate-progress").inner_text() == "1 of 60 rated"
        problems.extend(check_page(page))
        # Nothing wider than the screen: the page reflows rather than scrolling sideways.
        if page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1"):
            problems.append(f"{page.url}: wider than a {width} px screen: {page.evaluate(OVERFLOWING)}")
        page.context.close()
    assert problems == [], "\n".join(problems)
