"""In Chromium: the Content Security Policy refuses nothing on the main pages (so no inline script
or style is left, and Bootstrap's and our scripts still run), and two-factor sign-in works end to
end with a code computed here, with axe on its pages."""

import re
import time
from base64 import b32decode

import pytest
from django_otp.oath import TOTP

from tests.conftest import DEMO_PASSWORD
from tests.test_browser import check_page

pytestmark = pytest.mark.browser

# Recorded before any page script runs (an init script is not subject to the page's CSP).
LISTEN_FOR_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture
def watched(browser, live_server, demo_live):
    """A page that records every CSP violation: the DOM event and Chromium's console message."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.add_init_script(LISTEN_FOR_VIOLATIONS)
    page = context.new_page()
    page.console_refusals = []
    page.on(
        "console",
        lambda message: (
            page.console_refusals.append(message.text)
            if "Refused to" in message.text or "Content Security Policy" in message.text
            else None
        ),
    )
    yield page
    context.close()


def violations(page) -> list[str]:
    return [f"{page.url}: {v}" for v in page.evaluate("window.__csp || []")] + page.console_refusals


def sign_in(page, local: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(f"{local}@demo.smart-trust.invalid")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_main_pages_raise_no_content_security_policy_violation(watched):
    from tests.school_plan_builders import sdp

    plan = sdp()
    page = watched
    found = []
    public = ["/", "/plans/", "/plans/tsp-2022-27/", "/plans/tsp-2022-27/learners/", "/accounts/login/"]
    for url in public:
        response = page.goto(url)
        assert "script-src 'self'" in response.headers["content-security-policy"]
        found += violations(page)
    sign_in(page, "central")
    page.wait_for_url(re.compile(r".*/$"))
    for url in [
        "/",
        "/accounts/",
        "/accounts/two-factor/",
        "/accounts/two-factor/set-up/",
        "/people/",
        "/people/add/",
        "/people/import/",
        "/schools/",
        "/school-plans/",
        f"/school-plans/{plan.pk}/",
        f"/school-plans/{plan.pk}/history/",
    ]:
        response = page.goto(url)
        assert response.status == 200, url
        assert "private" in response.headers["cache-control"] and "no-store" in response.headers["cache-control"]
        found += violations(page)

    # Our scripts run: an empty form's error summary takes focus (static/js/error-summary.js).
    page.goto("/people/add/")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    # Bootstrap's script runs: on a phone the menu opens from its button.
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/")
    page.get_by_role("button", name="Show or hide the menu").click()
    page.locator("#main-nav.show").wait_for(timeout=5000)
    assert page.get_by_role("link", name="People").is_visible()
    found += violations(page)
    assert found == []


def app_code(secret: str, *, steps_ahead: int = 0) -> str:
    """What the person's authenticator app shows, from the key the page printed."""
    key = secret.replace(" ", "")
    totp = TOTP(b32decode(key + "=" * (-len(key) % 8)), step=30, t0=0, digits=6)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def test_set_up_two_factor_then_sign_in_with_a_code(watched):
    page = watched
    problems = []
    sign_in(page, "senior")
    page.wait_for_url(re.compile(r".*/$"))
    page.goto("/accounts/")
    page.get_by_role("link", name="Two-factor sign-in").click()
    problems += check_page(page)
    page.get_by_role("link", name="Set up two-factor sign-in").click()
    assert page.get_by_role("img", name=re.compile("QR code")).is_visible()
    problems += check_page(page)
    secret = page.locator("#two-factor-key").inner_text()

    page.get_by_label("Code from the app").fill("000000" if app_code(secret) != "000000" else "111111")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    assert page.locator("[data-error-summary]").is_visible()
    problems += check_page(page)
    time.sleep(1.1)  # django-otp waits a second after a wrong code
    page.get_by_label("Code from the app").fill(app_code(secret))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    page.wait_for_url(re.compile(r".*/recovery-codes/$"))
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    problems += check_page(page)

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "senior")
    page.wait_for_url(re.compile(r".*/accounts/login/code/$"))
    problems += check_page(page)
    # The set-up code's 30-second step is used; the app's next code is accepted (one step of drift).
    page.get_by_label("Code").fill(app_code(secret, steps_ahead=1))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/$"))
    assert page.get_by_role("link", name=re.compile("Signed in as")).is_visible()

    # And with a recovery code, once.
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "senior")
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/$"))
    assert page.get_by_text("You used a recovery code; 9 left").is_visible()
    problems += check_page(page)
    assert problems == [] and violations(page) == []
