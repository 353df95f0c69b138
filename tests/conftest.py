import os
import shutil

import pytest

from schools.demo import load_demo

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


@pytest.fixture
def demo(db):
    """The demo trust, schools, people and the real 2022-27 plan."""
    return load_demo(password=DEMO_PASSWORD)


@pytest.fixture
def chromium_path() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    require(os.path.exists(path), "Debian's chromium")
    return path
