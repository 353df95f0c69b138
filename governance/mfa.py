"""Two-factor sign-in: who must use it, the person's devices, and checking a code.

django-otp does the cryptography and the throttling: a TOTP device (an authenticator app) and a
static device holding ten single-use recovery codes. After each wrong code a device waits 1, 2,
4, 8... seconds before it checks another.
"""

import time
from dataclasses import dataclass
from io import BytesIO

import qrcode
import qrcode.image.svg
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

RECOVERY_CODE_COUNT = 10
# A password accepted but no code given yet: the sign-in waits this long for the code.
PENDING_SECONDS = 5 * 60

# Session keys.
PENDING = "two_factor_pending"  # {"user": pk, "backend": path, "next": url, "at": epoch seconds}
SETUP_REQUIRED = "two_factor_setup_required"
NEW_RECOVERY_CODES = "two_factor_new_recovery_codes"
SETUP_KEY = "two_factor_setup_device"


def totp_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def has_two_factor(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def unconfirmed_totp_device(user) -> TOTPDevice:
    """The device being set up: made once, kept until confirmed with a code or replaced."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def otpauth_qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// address as an inline SVG QR code (drawn with fill, no style)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    return svg[svg.index("<svg") :]


def secret_for_typing(device: TOTPDevice) -> str:
    """The key as an app asks for it when it cannot scan: base32, in groups of four."""
    from base64 import b32encode

    text = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@transaction.atomic
def two_factor_confirm(*, device: TOTPDevice) -> list[str]:
    """Turn on two-factor sign-in with a device whose code was right: any older devices go, ten
    new recovery codes are made and returned (shown once, stored only in django-otp's table)."""
    user = device.user
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    StaticDevice.objects.filter(user=user).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return recovery_codes_renew(user=user)


@transaction.atomic
def recovery_codes_renew(*, user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=code) for code in codes)
    return codes


@transaction.atomic
def two_factor_turn_off(*, user) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


@dataclass(frozen=True)
class CodeCheck:
    device: TOTPDevice | StaticDevice | None
    wait_seconds: int = 0  # > 0: refused without checking, too many wrong codes just now


def normalise_code(code: str) -> str:
    return "".join(code.split()).lower()


def check_code(user, code: str) -> CodeCheck:
    """Six digits are checked against the authenticator app, anything else against the recovery
    codes (each works once). Each device throttles its own wrong guesses."""
    code = normalise_code(code)
    if code.isdigit() and len(code) == 6:
        devices = list(TOTPDevice.objects.filter(user=user, confirmed=True))
    else:
        devices = list(StaticDevice.objects.filter(user=user, confirmed=True))
    for device in devices:
        with transaction.atomic():
            device = type(device).objects.select_for_update().get(pk=device.pk)
            allowed, info = device.verify_is_allowed()
            if not allowed:
                return CodeCheck(None, wait_seconds=_wait(info))
            if device.verify_token(code):
                return CodeCheck(device)
    return CodeCheck(None)


def check_code_on_new_device(device: TOTPDevice, code: str) -> CodeCheck:
    """The first code from an app being set up, throttled like any other."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        allowed, info = device.verify_is_allowed()
        if not allowed:
            return CodeCheck(None, wait_seconds=_wait(info))
        return CodeCheck(device if device.verify_token(normalise_code(code)) else None)


def _wait(info: dict | None) -> int:
    locked_until = (info or {}).get("locked_until")
    return max(int(locked_until.timestamp() - time.time()) + 1, 1) if locked_until else 1


def pending_user_id(session) -> int | None:
    """Whose password was accepted in this session less than five minutes ago, still waiting for
    their code."""
    pending = session.get(PENDING)
    if not pending or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    return pending["user"]


class TwoFactorSetupMiddleware:
    """Someone who must use two-factor sign-in and signed in without a device (the sign-in marks
    the session) sees only the set-up pages until they have one. One session key read, no query."""

    ALLOWED = ("two_factor_setup", "two_factor_codes", "logout")

    def __init__(self, get_response):
        self.get_response = get_response
        self._allowed_paths: set[str] | None = None

    def __call__(self, request):
        if request.session.get(SETUP_REQUIRED) and request.user.is_authenticated:
            if self._allowed_paths is None:
                self._allowed_paths = {reverse(name) for name in self.ALLOWED}
            if request.path not in self._allowed_paths and not request.path.startswith("/static/"):
                return redirect("two_factor_setup")
        return self.get_response(request)
