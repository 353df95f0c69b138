"""Two-factor sign-in pages: the code after the password, and setting it up or turning it off.

The cryptography and the throttling of wrong codes are django-otp's; see governance/mfa.py.
"""

import functools
import logging
import time

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView, redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice

from . import mfa, policy

log = logging.getLogger(__name__)


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=40,
        help_text="The six digits your authenticator app shows now, or one of your recovery codes.",
        error_messages={"required": "Enter the code from your authenticator app or a recovery code."},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"}),
    )


class SetupCodeForm(CodeForm):
    code = forms.CharField(
        label="Code from the app",
        max_length=10,
        help_text="Six digits, as the app shows them now.",
        error_messages={"required": "Enter the six digits your authenticator app shows."},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def refusal(check: mfa.CodeCheck, *, setting_up: bool = False) -> str:
    if check.wait_seconds:
        return f"Too many wrong codes. Wait {check.wait_seconds} seconds, then try again."
    if setting_up:  # no recovery codes exist yet
        return "That code is not right. Check the app shows this account and the phone's clock is right."
    return "That code is not right. Check the app shows this account, or use a recovery code."


@functools.cache
def blank_sign_in_fields() -> str:
    """The sign-in form's fields before anything is typed: the same for every visitor of a release
    (no value, no error, no token: the CSRF token is written beside them), rendered once per
    process. The busiest page skips the form renderer that was half its time."""
    return render_to_string("registration/_sign_in_fields.html", {"form": AuthenticationForm()})


class SignInView(LoginView):
    """Django's sign-in, with a second step for people who use two-factor sign-in."""

    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if not context["form"].is_bound:
            context["blank_fields"] = mark_safe(blank_sign_in_fields())  # noqa: S308 - our own template
        return context

    def form_valid(self, form):
        user = form.get_user()
        if mfa.has_two_factor(user):
            # The password was right; the person is not signed in until the code is too.
            self.request.session[mfa.PENDING] = {
                "user": user.pk,
                "backend": user.backend,
                "next": self.get_success_url(),
                "at": time.time(),
            }
            return redirect("login_code")
        response = super().form_valid(form)
        if policy.must_use_two_factor(user):
            self.request.session[mfa.SETUP_REQUIRED] = True
            messages.info(self.request, "Your trust asks you to set up two-factor sign-in before you go on.")
            return redirect("two_factor_setup")
        return response


@never_cache
@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: a code from the app or a recovery code."""
    user_id = mfa.pending_user_id(request.session)
    if user_id is None:
        if request.user.is_authenticated:
            return redirect("home")
        request.session.pop(mfa.PENDING, None)
        messages.info(request, "Sign in with your e-mail address and password first.")
        return redirect("login")
    user = get_user_model().objects.get(pk=user_id)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = mfa.check_code(user, form.cleaned_data["code"])
        if check.device is None:
            log.warning("Two-factor code refused for user %s (wait %s s)", user.pk, check.wait_seconds)
            form.add_error("code", refusal(check))
        else:
            pending = request.session.pop(mfa.PENDING)
            login(request, user, backend=pending["backend"])
            otp_login(request, check.device)
            if isinstance(check.device, StaticDevice):
                left = mfa.recovery_codes_left(user)
                messages.warning(request, f"You used a recovery code; {left} left. Each works once.")
            target = pending["next"]
            if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
                target = reverse("home")
            return redirect(target)
    return render(request, "registration/login_code.html", {"form": form})


@require_GET
@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "governance/two_factor.html",
        {
            "enabled": mfa.has_two_factor(user),
            "required": policy.must_use_two_factor(user),
            "codes_left": mfa.recovery_codes_left(user),
            "form": CodeForm(),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Scan the QR code (or type the key), then prove it works with one code."""
    user = request.user
    if mfa.has_two_factor(user) and not request.session.get(mfa.SETUP_REQUIRED):
        messages.info(request, "Two-factor sign-in is already on. Turn it off first to use another app.")
        return redirect("two_factor")
    device = mfa.unconfirmed_totp_device(user)
    form = SetupCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = mfa.check_code_on_new_device(device, form.cleaned_data["code"])
        if check.device is None:
            form.add_error("code", refusal(check, setting_up=True))
        else:
            codes = mfa.two_factor_confirm(device=device)
            otp_login(request, device)
            request.session.pop(mfa.SETUP_REQUIRED, None)
            request.session[mfa.NEW_RECOVERY_CODES] = codes
            log.info("Two-factor sign-in turned on for user %s", user.pk)
            return redirect("two_factor_codes")
    return render(
        request,
        "governance/two_factor_setup.html",
        {"form": form, "qr_svg": mfa.otpauth_qr_svg(device), "secret": mfa.secret_for_typing(device)},
    )


@never_cache
@require_GET
@login_required
def two_factor_codes(request: HttpRequest) -> HttpResponse:
    """The new recovery codes, shown once: the page after set-up, never again."""
    codes = request.session.pop(mfa.NEW_RECOVERY_CODES, None)
    if not codes:
        return redirect("two_factor")
    return render(request, "governance/two_factor_codes.html", {"codes": codes})


@require_POST
@login_required
def two_factor_off(request: HttpRequest) -> HttpResponse:
    """Turning it off takes a code too, so a session left open cannot quietly remove it."""
    user = request.user
    if not mfa.has_two_factor(user):
        messages.info(request, "Two-factor sign-in is not on.")
        return redirect("two_factor")
    form = CodeForm(request.POST)
    check = mfa.check_code(user, form.data.get("code", "")) if form.is_valid() else mfa.CodeCheck(None)
    if check.device is None:
        if form.is_valid():
            form.add_error("code", refusal(check))
        return render(
            request,
            "governance/two_factor.html",
            {
                "enabled": True,
                "required": policy.must_use_two_factor(user),
                "codes_left": mfa.recovery_codes_left(user),
                "form": form,
            },
            status=400,
        )
    mfa.two_factor_turn_off(user=user)
    log.info("Two-factor sign-in turned off for user %s", user.pk)
    if policy.must_use_two_factor(user):
        request.session[mfa.SETUP_REQUIRED] = True
        messages.warning(request, "Two-factor sign-in is off. Your trust requires it: set it up again now.")
        return redirect("two_factor_setup")
    messages.success(request, "Two-factor sign-in is off. You sign in with your password alone.")
    return redirect("two_factor")


def admin_login(request: HttpRequest, extra_context=None) -> HttpResponse:
    """The admin's own sign-in form would skip the code: it sends people to ours. Someone signed
    in without admin access is refused rather than sent round in a circle."""
    if request.user.is_authenticated:
        raise PermissionDenied
    return redirect_to_login(request.GET.get("next") or reverse("admin:index"), reverse("login"))
