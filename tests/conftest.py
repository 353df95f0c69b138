import os
import shutil

import pytest

from governance.models import User
from smart_trust.demo import demo_email, load_demo

DEMO_PASSWORD = "demo-pass-for-tests"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(condition: bool, what: str) -> None:
    """Skip on a developer machine that lacks `what`; in CI a missing part is a failure."""
    if condition:
        return
    if in_ci():
        pytest.fail(f"{what} is missing in CI; .ci/run must install it")
    pytest.skip(f"{what} is not installed here (CI installs it)")


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: the database rolls back after a test, the cache does
    not, so a page rendered in one test must not be found by the next (plans.page_cache)."""
    from django.core.cache import cache

    from smart_trust import pdf

    cache.clear()
    pdf.public_entries.clear()
    yield


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Every test database starts with the demo trust, loaded once per session (it takes a
    second); each test's changes roll back. Tests that flush the database (live server) load it
    again with `demo_live`."""
    with django_db_blocker.unblock():
        load_demo(password=DEMO_PASSWORD)


@pytest.fixture
def demo(db) -> None:
    """The demo trust, schools, people and the real 2022-27 plan: loaded with the database above;
    the fixture names the dependency."""


@pytest.fixture
def no_demo_sdps(demo) -> None:
    """The demo trust without its five signed-off, rated 2023/24 SDPs (smart_trust.demo), for
    tests that follow plans from their start or count every plan. Removed without history rows
    (quicker; the test's transaction rolls the removal back)."""
    from django.test import override_settings

    from plans.models import SchoolPlan

    with override_settings(SIMPLE_HISTORY_ENABLED=False):
        SchoolPlan.objects.all().delete()


@pytest.fixture
def demo_live(transactional_db):
    """The demo data for tests whose database is flushed after each test."""
    return load_demo(password=DEMO_PASSWORD)


# Debian's Chromium, headless, as the machine allows it (no sandbox as root, no GPU, no network calls home).
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium, which the browser tests drive (Playwright's own download does not work here)."""
    path = shutil.which("chromium") or "/usr/bin/chromium"
    require(os.path.exists(path), "Debian's chromium")
    return path


@pytest.fixture(scope="module")
def browser(chromium_path):
    """One Chromium per test module, for every browser test."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def sign_in_as(client, demo):
    """`sign_in_as("head")`: the test client signed in as a demo person; returns the person."""

    def sign_in(local: str) -> User:
        person = User.objects.get(email=demo_email(local))
        client.force_login(person)
        return person

    return sign_in


@pytest.fixture
def central(sign_in_as) -> User:
    """Signed in as the demo central team member, who manages people."""
    return sign_in_as("central")
