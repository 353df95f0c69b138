"""Accounts: e-mail sign-in, throttling, password reset and change, session expiry, account page."""

import datetime
import re

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.sessions.models import Session
from django.core import mail
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from smart_trust.demo import demo_email
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def sign_in(client, email, password, **extra):
    return client.post(reverse("login"), {"username": email, "password": password}, **extra)


def test_sign_in_is_case_insensitive_and_lands_home(client, demo):
    response = sign_in(client, demo_email("head").upper(), DEMO_PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_wrong_password_says_what_to_do(client, demo):
    response = sign_in(client, demo_email("head"), "wrong")
    assert response.status_code == 200
    assert "Please enter a correct e-mail address and password" in response.content.decode()


def test_failed_sign_ins_are_throttled_per_account(client, demo):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, demo_email("head"), "wrong", REMOTE_ADDR="10.0.0.1")
    # Even the right password from a new address is refused for this account now...
    response = sign_in(client, demo_email("head"), DEMO_PASSWORD, REMOTE_ADDR="10.0.0.2")
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    # ...while another person can still sign in from that address.
    assert sign_in(client, demo_email("staff"), DEMO_PASSWORD, REMOTE_ADDR="10.0.0.2").status_code == 302


def test_failed_sign_ins_are_throttled_per_address(client, demo):
    for i in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, f"nobody{i}@example.org", "wrong", REMOTE_ADDR="10.0.0.9")
    assert sign_in(client, demo_email("staff"), DEMO_PASSWORD, REMOTE_ADDR="10.0.0.9").status_code == 429


def test_password_reset_by_email_then_sign_in(client, demo):
    response = client.post(reverse("password_reset"), {"email": demo_email("governor")})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [demo_email("governor")]
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", message.body).group(1)
    form_url = client.get(link)["Location"]  # Django swaps the token for a session marker
    response = client.post(
        form_url, {"new_password1": "a-new-long-passphrase", "new_password2": "a-new-long-passphrase"}
    )
    assert response.status_code == 302
    assert sign_in(client, demo_email("governor"), "a-new-long-passphrase").status_code == 302


def test_password_reset_for_unknown_address_reveals_nothing(client, demo):
    response = client.post(reverse("password_reset"), {"email": "stranger@example.org"})
    assert response.status_code == 302 and mail.outbox == []


def test_change_password(client, demo):
    sign_in(client, demo_email("staff"), DEMO_PASSWORD)
    response = client.post(
        reverse("password_change"),
        {"old_password": DEMO_PASSWORD, "new_password1": "another-long-phrase", "new_password2": "another-long-phrase"},
    )
    assert response.status_code == 302
    client.logout()
    assert sign_in(client, demo_email("staff"), "another-long-phrase").status_code == 302


def test_a_session_ends_after_an_idle_hour_and_each_request_extends_it(client, demo):
    idle = settings.SESSION_COOKIE_AGE
    assert idle == 60 * 60  # SESSION_IDLE_MINUTES' default
    with time_machine.travel(datetime.datetime(2024, 1, 8, 9, 0, tzinfo=datetime.UTC), tick=False) as clock:
        sign_in(client, demo_email("staff"), DEMO_PASSWORD)
        clock.shift(idle - 60)
        assert client.get(reverse("account")).status_code == 200
        # Two idle hours since signing in, but under one since the last request: still signed in.
        clock.shift(idle - 60)
        assert client.get(reverse("account")).status_code == 200
        clock.shift(idle + 60)
        response = client.get(reverse("account"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_session_in_use_is_written_at_most_once_a_minute(client, demo):
    def session_writes() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("account")).status_code == 200
        return sum(1 for q in queries.captured_queries if q["sql"].startswith('UPDATE "django_session"'))

    with time_machine.travel(datetime.datetime(2024, 1, 8, 9, 0, tzinfo=datetime.UTC), tick=False) as clock:
        sign_in(client, demo_email("staff"), DEMO_PASSWORD)
        clock.shift(5)
        assert session_writes() == 0  # written when signing in, five seconds ago
        clock.shift(30)
        assert session_writes() == 0
        clock.shift(30)
        assert session_writes() == 1  # over a minute: the expiry moves on
        assert session_writes() == 0
    # Someone not signed in never gets a session row by visiting.
    client.logout()
    before = Session.objects.count()
    client.get(reverse("plans:index"))
    assert Session.objects.count() == before


def test_account_page_lists_roles(client, demo):
    sign_in(client, demo_email("governor"), DEMO_PASSWORD)
    html = client.get(reverse("account")).content.decode()
    assert "Local governor (chair)" in html
    assert "Saltash Community School" in html


def test_changing_the_letter_case_of_the_address_does_not_reset_the_pause(client, demo):
    """Issue 16 item 2: failures count on the normalised address, whatever the spelling."""
    email = demo_email("senior")
    spellings = [email.upper(), email.capitalize(), f"  {email} ", email.swapcase(), email.title()]
    assert len(spellings) == settings.AXES_FAILURE_LIMIT
    # A new address each time, so only the per-account count can pause it: the last failure does.
    statuses = [sign_in(client, s, "wrong", REMOTE_ADDR=f"10.0.1.{i}").status_code for i, s in enumerate(spellings)]
    assert statuses == [200] * (len(spellings) - 1) + [429]
    for spelling in (email, "SENIOR@" + email.split("@")[1], "Senior@" + email.split("@")[1]):
        response = sign_in(client, spelling, DEMO_PASSWORD, REMOTE_ADDR="10.0.1.99")
        assert response.status_code == 429, spelling


def test_the_sign_in_page_writes_the_fields_the_form_renderer_writes(client, db):
    blank = Template("{% load crispy_forms_tags %}{{ form|crispy }}").render(Context({"form": AuthenticationForm()}))
    page = client.get(reverse("login")).content.decode()
    assert blank.strip() and blank.strip() in page
    # Typed in and refused: the form as the person sent it, with its message, not the blank one.
    refused = client.post(reverse("login"), {"username": "nobody@example.org", "password": "wrong"})
    assert 'value="nobody@example.org"' in refused.content.decode()
    assert blank.strip() not in refused.content.decode()
