"""Journeys in a real browser (Debian's Chromium through Playwright), with axe-core on every page.

Any WCAG 2.2 A/AA violation, and any other serious or critical one, fails the test that opened the page.
"""

import io
import os
import re
from urllib.parse import urljoin

import pytest

from tests.conftest import DEMO_PASSWORD

# Playwright's sync API runs an event loop in this thread; Django refuses database calls from a
# thread with a running loop unless told that this is safe, which it is for the test's own fixtures.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser

PLAN = "/plans/tsp-2022-27/"
WCAG_TAGS = {"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"}


@pytest.fixture
def page(browser, live_server, demo_live):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def check_page(page) -> list[str]:
    """axe-core plus the basics every page must have; returns the problems found."""
    from axe_playwright_python.sync_playwright import Axe

    problems = []
    results = Axe().run(page)
    for violation in results.response["violations"]:
        # Every WCAG A/AA rule (2.0 to 2.2) fails the page whatever its impact; other rules
        # (axe's best practices) fail it when serious or critical.
        wcag = any(tag in WCAG_TAGS for tag in violation["tags"])
        if wcag or violation["impact"] in ("serious", "critical"):
            targets = [", ".join(node["target"]) for node in violation["nodes"][:3]]
            problems.append(f"{page.url}: {violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    if page.locator("h1").count() != 1:
        problems.append(f"{page.url}: {page.locator('h1').count()} h1 elements")
    if page.locator("main").count() != 1:
        problems.append(f"{page.url}: no single <main>")
    if not page.locator("html").get_attribute("lang"):
        problems.append(f"{page.url}: no lang on <html>")
    return problems


def test_every_plan_page_passes_axe(page):
    problems = []
    visited = []

    def visit(url):
        page.goto(url)
        visited.append(url)
        problems.extend(check_page(page))

    visit("/")
    visit("/plans/")
    visit(PLAN)
    links = page.locator("nav[aria-labelledby=contents-heading] a").evaluate_all("els => els.map(e => e.href)")
    aim_links = [u for u in links if "/aims/" in u]
    strand_links = [u for u in links if "/strands/" in u]
    assert len(aim_links) == 8 and len(strand_links) == 4
    assert any("/pocket-guide/2023-24/" in u for u in links)
    assert len(links) >= 8 + 4 + 1 + 7  # aims, strands, guide and the sections
    for url in links:
        visit(url)
    visit("/accounts/login/")
    visit("/plans/no-such-plan/")
    assert "Page not found" in page.inner_text("h1")
    assert len(visited) >= 25
    assert problems == []


def test_keyboard_skip_link_and_navigation(page):
    page.goto(PLAN)
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # From the main content, Tab reaches the contents links; Enter follows one.
    for _ in range(40):
        page.keyboard.press("Tab")
        href = page.evaluate("document.activeElement.getAttribute('href') || ''")
        if "/aims/" in href:
            break
    else:
        pytest.fail("no aim link reachable by keyboard")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/aims/TSP\d/$"))
    assert page.locator("h1").inner_text().startswith("TSP")


def test_sign_in_journey_and_wrong_password(page):
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill("head@demo.smart-trust.invalid")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    assert "Please enter a correct e-mail address and password" in page.inner_text("main")
    assert check_page(page) == []
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/$"))
    assert "Signed in as Hannah Eddy" in page.inner_text("header")
    page.get_by_role("link", name="Schools").click()
    assert page.get_by_role("link", name="Saltash Community School").count() == 1
    assert page.get_by_role("link", name="Landulph School").count() == 0
    assert check_page(page) == []


def test_headteacher_is_refused_another_school_by_url(page):
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill("head@demo.smart-trust.invalid")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/$"))
    page.goto("/schools/saltash/")
    assert page.locator("h1").inner_text() == "Saltash Community School"
    response = page.goto("/schools/landulph/")
    assert response.status == 404
    assert "Page not found" in page.inner_text("h1")


def test_staff_see_published_plan_but_no_people_or_other_schools(page):
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill("staff@demo.smart-trust.invalid")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/$"))
    assert page.get_by_role("link", name="People").count() == 0
    page.get_by_role("link", name="Pocket guide 2023/24", exact=True).click()
    assert "SMART Pocket guide 2023/24" in page.inner_text("h1")
    assert page.goto("/people/").status == 403


def test_pocket_guide_reads_without_colour_and_prints_on_one_page(page):
    page.goto(urljoin(PLAN, "pocket-guide/2023-24/"))
    text = page.inner_text("main")
    for group in ("SMART Learners", "SMART Leaders", "SMART Communities", "Business Improvement"):
        assert group in text
    rows = page.locator("table.pocket-guide-grid tbody tr:not(.group-row)")
    assert rows.count() == 8
    for i in range(8):
        assert rows.nth(i).inner_text().count(": yes") == 1  # what a screen reader hears
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    extracted = reader.pages[0].extract_text()
    assert "SMART Pocket guide 2023/24" in extracted
    assert "To embed TOLT as a tier of the Trust" in extracted


def sign_in(page, local: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(f"{local}@demo.smart-trust.invalid")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/$"))


def test_central_team_imports_people_from_a_csv_file(page, tmp_path):
    from governance.models import User

    bad = tmp_path / "bad.csv"
    bad.write_text("name,email,school,role\nNo School,ns@example.org,,Staff\n")
    good = tmp_path / "governors.csv"
    good.write_text("name,email,school,role,chair\nGwen Gov,gwen@example.org,900005,Local governor,yes\n")

    sign_in(page, "central")
    page.get_by_role("link", name="People").click()
    assert check_page(page) == []
    page.get_by_role("link", name="Import from a CSV file").click()
    assert check_page(page) == []
    page.get_by_label("CSV file").set_input_files(str(bad))
    page.get_by_role("button", name="Check the file").click()
    assert "Problems in bad.csv" in page.inner_text("h1")
    assert "A staff belongs to one school" in page.inner_text("main")
    assert check_page(page) == []
    page.get_by_role("link", name="Upload a corrected file").click()
    page.get_by_label("CSV file").set_input_files(str(good))
    page.get_by_role("button", name="Check the file").click()
    assert "becomes local governor at Landulph School" in page.inner_text("main")
    assert check_page(page) == []
    assert not User.objects.filter(email="gwen@example.org").exists()
    page.get_by_role("button", name="Import 1 row").click()
    assert "Imported governors.csv: 1 person added, 1 role granted." in page.inner_text("body")
    gwen = User.objects.get(email="gwen@example.org")
    assert gwen.roles.get().is_chair
    page.get_by_role("link", name="Gwen Gov").click()
    assert check_page(page) == []


# Counts the clicks in a tab (kept in sessionStorage across pages), so a journey's length is measured.
COUNT_CLICKS = """document.addEventListener('click', () => {
  sessionStorage.setItem('clicks', String(Number(sessionStorage.getItem('clicks') || 0) + 1));
}, true);"""


def test_sdp_journey_from_pocket_guide_to_sign_off_then_staff_read_it(browser, live_server, demo_live):
    """The headteacher starts the SDP from the pocket guide, adds a priority, an action and a
    success criterion and submits; the chair of governors agrees; the headteacher finalises; the
    CEO signs off from the queue; staff then read it. axe checks every kind of page on the way."""
    problems: list[str] = []

    def as_person(local: str):
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1024, "height": 900})
        context.add_init_script(COUNT_CLICKS)
        page = context.new_page()
        sign_in(page, local)
        return page

    def check(page):
        problems.extend(check_page(page))

    def clicks(page) -> int:
        return page.evaluate("Number(sessionStorage.getItem('clicks') || 0)")

    head = as_person("head")
    head.get_by_role("link", name="SDPs and BDPs").click()
    check(head)
    head.get_by_role("link", name="Start a plan").click()
    check(head)
    head.get_by_label("Plan", exact=False).first.select_option(label="School development plan")
    head.get_by_label("Whose plan").select_option(label="Saltash Community School")
    head.get_by_role("button", name="Start the plan").click()
    assert head.locator("h1").inner_text() == "Saltash Community School SDP 2023/24"
    assert head.locator("section.priority").count() == 8
    assert "Priority 1: Equitable progress for ALL pupils" in head.inner_text("main")
    check(head)

    head.get_by_role("link", name="Add a school priority").click()
    check(head)
    head.get_by_label("Priority").fill("Reading for pleasure")
    head.get_by_role("button", name="Save").click()
    head.get_by_role("link", name="Add an action to priority 9").click()
    head.get_by_label("What will be done").fill("Weekly library lessons for Year 7")
    head.get_by_label("Lead").select_option(label="Sam Lowe, senior leader")
    head.get_by_label("or due term").select_option(label="Summer term")
    # A mistake first: the form keeps what was typed and says what to fix.
    head.get_by_label("Start date").fill("2024-05-01")
    head.get_by_label("Due date").fill("2024-03-01")
    head.get_by_role("button", name="Save").click()
    assert "The due date is before the start date" in head.inner_text("main")
    assert head.get_by_label("What will be done").input_value() == "Weekly library lessons for Year 7"
    # The error summary at the top takes focus and links to the field.
    assert head.evaluate("document.activeElement.classList.contains('error-summary')")
    head.locator(".error-summary").get_by_role("link").first.click()
    assert head.evaluate("document.activeElement.id") == "id_due_date"
    check(head)
    head.get_by_label("Due date").fill("")
    head.get_by_label("Start date").fill("")
    head.get_by_role("button", name="Save").click()
    head.get_by_role("link", name="Add a success criterion to action 9.1").click()
    head.get_by_label("Success criterion").fill("85% of Year 7 borrow a library book every week")
    head.get_by_role("button", name="Save").click()
    assert "85% of Year 7 borrow a library book every week" in head.inner_text("main")
    check(head)

    before = clicks(head)
    head.get_by_role("link", name="Check and submit to the LGC").click()
    # The trust's eight priorities have no actions yet: the check says so rather than "all fine".
    assert "8 priorities have no actions." in head.inner_text("main")
    check(head)
    head.get_by_label("Comment (optional)").fill("Ready for the LGC")
    head.get_by_role("button", name="Submit to the LGC").click()
    assert "Submitted to the LGC" in head.inner_text("main")
    assert clicks(head) - before == 2  # the SMART check, then submit

    governor = as_person("governor")
    before = clicks(governor)
    governor.get_by_role("link", name="SDPs and BDPs").click()
    governor.get_by_role("link", name="Saltash Community School SDP").click()
    assert governor.get_by_role("link", name="Add a school priority").count() == 0
    governor.get_by_role("link", name="Review the SMART report and agree or return").click()
    check(governor)
    governor.get_by_role("button", name="Agree the plan").click()
    assert "Agreed by the LGC" in governor.inner_text("main")
    assert clicks(governor) - before == 4  # plans, the plan, its SMART report, agree

    head.reload()
    before = clicks(head)
    head.get_by_role("link", name="Finalise").click()
    check(head)  # "Finalise ...?": what it does, then yes or no
    head.get_by_role("button", name="Yes, finalise").click()
    assert "Finalised" in head.inner_text("main")
    assert clicks(head) - before == 2  # finalise, then yes

    ceo = as_person("ceo")
    before = clicks(ceo)
    ceo.get_by_role("navigation", name="Main").get_by_role("link", name="Sign-off queue").click()
    check(ceo)
    ceo.get_by_role("link", name="Sign off Saltash Community School SDP 2023/24").click()
    check(ceo)
    ceo.get_by_role("button", name="Yes, sign off").click()
    assert "Saltash Community School SDP 2023/24 signed off." in ceo.inner_text("body")
    assert ceo.locator("h1").inner_text().startswith("Sign-off queue")
    assert clicks(ceo) - before == 3  # the queue (in the menu), sign off, yes

    # During the year the action's lead records progress on the signed-off plan.
    senior = as_person("senior")
    senior.get_by_role("link", name="SDPs and BDPs").click()
    senior.get_by_role("link", name="Saltash Community School SDP").click()
    senior.get_by_role("link", name="Progress and evidence for action 9.1").click()
    check(senior)
    senior.get_by_label("Status").select_option(label="In progress")
    senior.get_by_label("Evidence: note").fill("Borrowing up 20% since September")
    senior.get_by_role("button", name="Save").click()
    assert "Borrowing up 20% since September" in senior.inner_text("main")

    staff = as_person("staff")
    staff.get_by_role("link", name="SDPs and BDPs").click()
    staff.get_by_role("link", name="Saltash Community School SDP").click()
    text = staff.inner_text("main")
    assert "Weekly library lessons for Year 7" in text and "Signed off by the CEO" in text
    assert "In progress" in text and "Borrowing up 20% since September" in text
    assert staff.get_by_role("link", name="History").count() == 0
    check(staff)
    staff.get_by_role("link", name="School pocket guide").click()
    assert "Reading for pleasure" in staff.inner_text("main")
    check(staff)
    assert problems == [], "\n".join(problems)


def test_a_plan_can_be_written_with_the_keyboard_alone(page):
    from tests.school_plan_builders import sdp

    plan = sdp()
    sign_in(page, "head")
    page.goto(f"/school-plans/{plan.pk}/")
    for _ in range(200):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Add a school priority":
            break
    else:
        pytest.fail("Tab never reached 'Add a school priority'")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/priorities/add/$"))
    page.keyboard.press("Tab")  # the skip link first
    for _ in range(30):
        if page.evaluate("document.activeElement.id") == "id_title":
            break
        page.keyboard.press("Tab")
    page.keyboard.type("Oracy across the curriculum")
    page.keyboard.press("Enter")  # submits the form
    page.wait_for_url(re.compile(r".*/school-plans/\d+/#priority-\d+$"))
    assert "Oracy across the curriculum" in page.inner_text("main")
    # The focus ring is visible wherever the keyboard lands.
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "[document.activeElement.outerHTML.slice(0, 80), getComputedStyle(document.activeElement).outlineStyle]"
    )
    assert focused[1] == "solid", focused


def test_typing_survives_an_expired_session(page):
    """The session runs out while a headteacher types; after signing in again the form offers
    their typing back, and once saved the kept copy is gone."""
    from plans.models import Action
    from tests.school_plan_builders import sdp

    plan = sdp()
    action = Action.objects.get(plan=plan)
    sign_in(page, "head")
    edit = f"/school-plans/{plan.pk}/action/{action.pk}/edit/"
    page.goto(edit)
    page.get_by_label("What will be done").fill("A long paragraph written over an hour")
    page.context.clear_cookies(name="sessionid")  # as if the session had expired meanwhile
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r".*/accounts/login/\?next=.*"))
    page.get_by_label("E-mail address").fill("head@demo.smart-trust.invalid")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/edit/$"))
    assert page.get_by_label("What will be done").input_value() == "Weekly library sessions for Year 7"
    assert "typing from" in page.locator(".draft-offer").inner_text()
    assert check_page(page) == []
    page.get_by_role("button", name="Put back what I typed").click()
    assert page.get_by_label("What will be done").input_value() == "A long paragraph written over an hour"
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r".*/school-plans/\d+/#action-\d+$"))
    action.refresh_from_db()
    assert action.what == "A long paragraph written over an hour"
    page.goto(edit)
    assert page.locator(".draft-offer").count() == 0
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('smart-trust-draft:')).length") == 0


def test_history_and_review_pages_pass_axe_on_a_tablet(browser, live_server, demo_live):
    """Every page of a plan's history and review, at tablet width (768 px), for the headteacher
    and the CEO."""
    from django.utils import timezone

    from plans import services, workflow
    from plans.models import Action
    from tests.school_plan_builders import person, sdp

    plan = sdp(state="signed_off")
    workflow.take_step(plan=plan, step="reopen", by=person("ceo"), comment="New reading data")
    action = Action.objects.get(plan=plan)
    before = timezone.now()
    services.item_save(
        item=action, values={"what": "Reading tutors"}, expected_version=action.version, by=person("head")
    )
    problems = []
    for local, urls in {
        "head": [
            f"/school-plans/{plan.pk}/",
            f"/school-plans/{plan.pk}/history/?from={before.isoformat()}&to={timezone.now().isoformat()}",
            f"/school-plans/{plan.pk}/action/{action.pk}/history/",
            f"/school-plans/{plan.pk}/as-signed-off/",
            f"/school-plans/{plan.pk}/action/{action.pk}/remove/",
            f"/school-plans/{plan.pk}/actions/{action.pk}/progress/",
            f"/school-plans/{plan.pk}/pocket-guide/",
            f"/school-plans/{plan.pk}/smart/",
        ],
        "ceo": ["/school-plans/sign-off/", f"/school-plans/{plan.pk}/"],
    }.items():
        context = browser.new_context(base_url=live_server.url, viewport={"width": 768, "height": 1024})
        page = context.new_page()
        sign_in(page, local)
        for url in urls:
            page.goto(url.replace("+", "%2B"))
            problems.extend(check_page(page))
            # Nothing wider than the screen: the page reflows rather than scrolling sideways.
            if page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1"):
                problems.append(f"{page.url}: wider than a 768 px screen")
        context.close()
    assert problems == [], "\n".join(problems)


# The elements that stick out to the right of the screen, outside any scrolling container.
OVERFLOWING = """[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.table-scroll'))
  .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').trim().slice(0, 40))"""


def test_lists_fit_a_phone_without_sideways_scrolling(browser, live_server, demo_live):
    """At 375 px (a small phone) the plan list, the sign-off queue and the people list reflow:
    the page never scrolls sideways, and axe still finds nothing."""
    from tests.school_plan_builders import sdp

    sdp(state="finalised")
    sdp("brunel", state="submitted")
    problems = []
    for local, urls in {
        "ceo": ["/school-plans/", "/school-plans/sign-off/", "/people/"],
        "head": ["/school-plans/"],
    }.items():
        context = browser.new_context(base_url=live_server.url, viewport={"width": 375, "height": 800})
        page = context.new_page()
        sign_in(page, local)
        for url in urls:
            page.goto(url)
            problems.extend(check_page(page))
            if page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1"):
                problems.append(f"{page.url}: wider than a 375 px screen: {page.evaluate(OVERFLOWING)}")
        context.close()
    assert problems == [], "\n".join(problems)
