"""The whole plan's PDF from a real browser (Chromium): from the plan's contents, the "being
prepared" page (which passes axe and breaks no Content Security Policy rule) checks by itself,
says in its live region when the PDF is ready and opens it (shown in the browser), with no click."""

import io
import os

import pytest
from pypdf import PdfReader

from tests.conftest import LAUNCH_ARGS
from tests.test_browser import check_page

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser


def test_the_wait_page_opens_the_plan_pdf_when_it_is_ready(chromium_path, live_server, demo_live):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS, headless=True)
        context = browser.new_context(base_url=live_server.url, accept_downloads=True)
        page = context.new_page()
        refused = []
        page.on("console", lambda message: refused.append(message.text) if "Content Security" in message.text else None)
        try:
            page.goto("/plans/tsp-2022-27/")
            page.get_by_role("link", name="Download the plan (PDF)").click()
            page.wait_for_url("**/plans/tsp-2022-27/pdf/")
            assert "being prepared" in page.locator("h1").inner_text()
            assert check_page(page) == []

            def is_the_pdf(response) -> bool:
                return response.url.endswith("/pdf/") and response.headers.get("content-type") == "application/pdf"

            with page.expect_response(is_the_pdf, timeout=30_000) as info:
                page.get_by_role("status").filter(has_text="The PDF is ready").wait_for(timeout=30_000)
            assert info.value.status == 200  # the page went to the file by itself
            data = context.request.get("/plans/tsp-2022-27/pdf/").body()  # (the browser's viewer keeps its copy)
            reader = PdfReader(io.BytesIO(data))
            assert len(reader.pages) > 20
            assert "TSP1: Equitable Progress for all" in " ".join(page.extract_text() for page in reader.pages[:3])
            assert refused == []
        finally:
            context.close()
            browser.close()
