"""Two-factor sign-in (django-otp): set up with an authenticator app, sign in with a code or a
recovery code, wrong codes throttled, required for the CEO, trustees and the central team when the
trust switches it on."""

import re
import time
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from governance import mfa
from governance.models import User
from schools.models import Trust
from smart_trust.demo import demo_email
from tests.conftest import DEMO_PASSWORD


def code_for(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app would show (django-otp's own TOTP, not ours)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():06d}"


def person(local: str) -> User:
    return User.objects.get(email=demo_email(local))


def turn_on(user: User) -> list[str]:
    device = mfa.unconfirmed_totp_device(user)
    return mfa.two_factor_confirm(device=device)


def sign_in_with_password(client, local: str, next_url: str = "") -> object:
    data = {"username": demo_email(local), "password": DEMO_PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data)


def signed_in_as(client) -> User | None:
    response = client.get(reverse("account"))
    return response.context["user"] if response.status_code == 200 else None


def test_set_up_with_a_qr_code_confirm_with_a_code_and_see_ten_recovery_codes_once(client, sign_in_as):
    user = sign_in_as("senior")
    page = client.get(reverse("two_factor_setup"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and 'aria-label="QR code' in html
    assert " style=" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]  # the CSP holds for the QR code
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    typed_key = re.search(r'id="two-factor-key">([A-Z2-7 ]+)<', html).group(1)
    assert typed_key.replace(" ", "") in device.config_url
    assert "issuer=SMART%20Trust%20Planning" in device.config_url  # the name the app shows

    wrong = client.post(reverse("two_factor_setup"), {"code": "000000" if code_for(device) != "000000" else "111111"})
    assert wrong.status_code == 200 and "not right" in wrong.content.decode()
    assert not mfa.has_two_factor(user)

    device.refresh_from_db()
    device.throttle_reset()
    response = client.post(reverse("two_factor_setup"), {"code": code_for(device)})
    assert response.status_code == 302 and response["Location"] == reverse("two_factor_codes")
    assert mfa.has_two_factor(user)
    shown = client.get(reverse("two_factor_codes"))
    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", shown.content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    assert set(codes) == set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    # Shown once: the page does not show them again.
    again = client.get(reverse("two_factor_codes"))
    assert again.status_code == 302 and again["Location"] == reverse("two_factor")
    assert "Two-factor sign-in is on." in client.get(reverse("two_factor")).content.decode()


def test_sign_in_asks_for_the_code_after_the_password(client, demo):
    user = person("senior")
    turn_on(user)
    device = mfa.totp_device(user)
    response = sign_in_with_password(client, "senior", next_url=reverse("school_plans:index"))
    assert response.status_code == 302 and response["Location"] == reverse("login_code")
    assert signed_in_as(client) is None  # the password alone does not sign in

    wrong = client.post(reverse("login_code"), {"code": "12345x"})
    assert wrong.status_code == 200 and "not right" in wrong.content.decode()
    assert signed_in_as(client) is None

    device.refresh_from_db()
    device.throttle_reset()
    response = client.post(reverse("login_code"), {"code": code_for(device)})
    assert response.status_code == 302 and response["Location"] == reverse("school_plans:index")
    assert signed_in_as(client) == user
    assert client.session["otp_device_id"] == device.persistent_id


def test_a_person_without_two_factor_signs_in_with_the_password_alone(client, demo):
    response = sign_in_with_password(client, "staff")
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert signed_in_as(client) == person("staff")


def test_a_recovery_code_works_once(client, demo):
    codes = turn_on(person("head"))
    sign_in_with_password(client, "head")
    response = client.post(reverse("login_code"), {"code": f" {codes[0].upper()} "})
    assert response.status_code == 302
    assert "9 left" in client.get(reverse("home")).content.decode()
    assert signed_in_as(client) == person("head")

    client.post(reverse("logout"))
    sign_in_with_password(client, "head")
    again = client.post(reverse("login_code"), {"code": codes[0]})
    assert again.status_code == 200 and signed_in_as(client) is None
    assert mfa.recovery_codes_left(person("head")) == 9


def test_wrong_codes_are_throttled_then_the_right_code_works_after_the_wait(client, demo):
    user = person("ceo")
    turn_on(user)
    device = mfa.totp_device(user)
    sign_in_with_password(client, "ceo")
    right = code_for(device)
    wrong = "000000" if right != "000000" else "111111"
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(4):
            client.post(reverse("login_code"), {"code": wrong})
            clock.shift(0.1)
        refused = client.post(reverse("login_code"), {"code": right})
        assert "Too many wrong codes. Wait" in refused.content.decode()
        assert signed_in_as(client) is None
        device.refresh_from_db()
        assert device.throttling_failure_count >= 1
        # django-otp waits 1, 2, 4, 8... seconds after successive failures.
        clock.shift(timedelta(seconds=20))
        accepted = client.post(reverse("login_code"), {"code": code_for(device)})
    assert accepted.status_code == 302
    assert signed_in_as(client) == user


def test_the_code_step_expires_and_needs_a_password_first(client, demo):
    assert client.get(reverse("login_code"))["Location"] == reverse("login")
    user = person("senior")
    turn_on(user)
    sign_in_with_password(client, "senior")
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        response = client.post(reverse("login_code"), {"code": code_for(mfa.totp_device(user))})
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert signed_in_as(client) is None


def test_turning_it_off_takes_a_code(client, sign_in_as):
    user = sign_in_as("middle")
    codes = turn_on(user)
    refused = client.post(reverse("two_factor_off"), {"code": "zzzzzzzz"})
    assert refused.status_code == 400 and mfa.has_two_factor(user)
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):  # after the wait a wrong code costs
        response = client.post(reverse("two_factor_off"), {"code": codes[1]})
    assert response.status_code == 302
    assert not mfa.has_two_factor(user) and mfa.recovery_codes_left(user) == 0
    client.post(reverse("logout"))
    assert sign_in_with_password(client, "middle")["Location"] == reverse("home")


@pytest.mark.parametrize("local", ["ceo", "trustee", "central"])
def test_when_the_trust_requires_it_the_ceo_trustees_and_central_team_set_it_up_before_anything_else(
    client, demo, local
):
    Trust.objects.update(two_factor_required=True)
    response = sign_in_with_password(client, local, next_url=reverse("people"))
    assert response.status_code == 302 and response["Location"] == reverse("two_factor_setup")
    for url in (reverse("home"), reverse("account"), reverse("school_plans:index"), reverse("two_factor")):
        assert client.get(url)["Location"] == reverse("two_factor_setup"), url
    assert client.get(reverse("two_factor_setup")).status_code == 200
    device = TOTPDevice.objects.get(user=person(local), confirmed=False)
    done = client.post(reverse("two_factor_setup"), {"code": code_for(device)})
    assert done["Location"] == reverse("two_factor_codes")
    assert client.get(reverse("two_factor_codes")).status_code == 200
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.parametrize("local", ["staff", "head", "governor", "cfo"])
def test_when_the_trust_requires_it_other_roles_may_still_choose(client, demo, local):
    Trust.objects.update(two_factor_required=True)
    response = sign_in_with_password(client, local)
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_nobody_is_required_while_the_trust_has_not_switched_it_on(client, demo):
    assert sign_in_with_password(client, "ceo")["Location"] == reverse("home")


def test_a_required_person_with_a_device_is_asked_for_the_code_not_sent_to_set_up(client, demo):
    Trust.objects.update(two_factor_required=True)
    user = person("trustee")
    turn_on(user)
    assert sign_in_with_password(client, "trustee")["Location"] == reverse("login_code")
    client.post(reverse("login_code"), {"code": code_for(mfa.totp_device(user))})
    assert client.get(reverse("home")).status_code == 200


def test_the_admin_sign_in_goes_through_the_two_factor_sign_in(client, demo):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    user = person("central")
    turn_on(user)
    sign_in_with_password(client, "central", next_url=reverse("admin:index"))
    assert client.get(reverse("admin:index")).status_code == 302  # not signed in before the code
    response = client.post(reverse("login_code"), {"code": code_for(mfa.totp_device(user))})
    assert response["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200


def test_a_signed_in_person_without_admin_access_is_refused_the_admin_not_looped(client, sign_in_as):
    sign_in_as("staff")
    assert client.get(reverse("admin:login")).status_code == 403


def test_the_code_step_never_sends_to_another_site(client, demo):
    user = person("senior")
    turn_on(user)
    response = sign_in_with_password(client, "senior", next_url="https://evil.example/")
    response = client.post(reverse("login_code"), {"code": code_for(mfa.totp_device(user))})
    assert response["Location"] == reverse("home")
