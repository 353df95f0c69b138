"""The branding page and the accessibility statement in a real browser: axe finds nothing at
desktop width and at 320 px (1280 px at 400% zoom), nothing scrolls sideways, and the strict CSP
refuses nothing (the swatches are SVG fills, not inline styles)."""

import pytest

from tests.test_browser import OVERFLOWING, check_page, sign_in

pytestmark = pytest.mark.browser


def test_branding_and_accessibility_pages_pass_axe_at_1280_and_320_px(browser, live_server, demo_live):
    problems = []
    for width in (1280, 320):
        context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 900})
        page = context.new_page()
        page.on("console", lambda m: "Content Security Policy" in m.text and problems.append(f"CSP: {m.text}"))
        page.goto("/")
        page.get_by_role("link", name="Accessibility statement").click()
        page.wait_for_url("**/accessibility/")
        problems.extend(check_page(page))
        sign_in(page, "central")
        page.goto("/schools/branding/")
        problems.extend(check_page(page))
        # A colour too light for white text: refused, the error summary says why, both swatches shown.
        page.get_by_label("Main colour").fill("#ffcc00")
        page.get_by_role("button", name="Save the colours and logo").click()
        page.get_by_text("#ffcc00 gives white text a contrast of 1.5:1").first.wait_for()
        assert page.locator("figure svg").count() == 2
        problems.extend(check_page(page))
        for url in ("/accessibility/", "/schools/branding/"):
            page.goto(url)
            if page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1"):
                problems.append(f"{page.url}: wider than {width} px: {page.evaluate(OVERFLOWING)}")
        context.close()
    assert problems == [], "\n".join(problems)
