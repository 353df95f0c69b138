"""The trust's branding: its colours and logo, which every PDF uses. Set by the central team and
the CEO (governance.policy.manages_branding); the rules are in governance.branding."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from governance import branding, policy, services
from schools.models import Trust

from .forms import BrandingForm

LOGO_MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "svg": "image/svg+xml"}


@dataclass(frozen=True)
class Preview:
    """A swatch drawn as SVG: its fill attributes are not styles, so the strict CSP allows them."""

    caption: str
    colour: str
    accent_colour: str

    @property
    def white_on_main(self) -> str:
        return branding.ratio_words(branding.contrast_ratio(self.colour, branding.WHITE))

    @property
    def accent_on_white(self) -> str:
        return branding.ratio_words(branding.contrast_ratio(self.accent_colour, branding.WHITE))


def _logo_data_uri(trust: Trust) -> str:
    """The logo inlined as a data: address (the media files are not served by the app; the CSP
    allows data: images, and an SVG shown through <img> runs nothing)."""
    if not trust.logo:
        return ""
    media_type = LOGO_MEDIA_TYPES.get(branding.logo_extension(trust.logo.name))
    try:
        if media_type is None or trust.logo.size > branding.LOGO_MAX_BYTES:
            return ""
        with trust.logo.open("rb") as f:
            return f"data:{media_type};base64,{base64.b64encode(f.read()).decode()}"
    except OSError:  # the file has gone from storage: the page still works
        return ""


@login_required
@require_http_methods(["GET", "POST"])
def trust_branding(request: HttpRequest) -> HttpResponse:
    if not policy.manages_branding(request.user):
        raise PermissionDenied("The central team and the CEO set the trust's colours and logo.")
    trust = Trust.objects.of_person(request.user)
    if trust is None:
        raise Http404("There is no trust yet.")
    form = BrandingForm(
        request.POST or None,
        request.FILES or None,
        initial={"colour": trust.colour, "accent_colour": trust.accent_colour},
        has_logo=bool(trust.logo),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.trust_branding_save(trust=trust, by=request.user, **form.cleaned_data)
        except ValidationError as exc:  # the service's own check, should the form miss something
            form.add_error(None, exc)
        else:
            messages.success(request, f"Saved the colours and logo of {trust.name}. New PDFs use them.")
            return redirect("schools:branding")
    previews = [Preview("Now", trust.colour, trust.accent_colour)]
    if form.is_bound:
        chosen = [branding.normalise_hex(form.data.get(name, "")) for name in ("colour", "accent_colour")]
        if all(branding.HEX.match(c) for c in chosen) and tuple(chosen) != (trust.colour, trust.accent_colour):
            previews.append(Preview("What you chose (not saved)", *chosen))
    return render(
        request,
        "governance/branding.html",
        {"trust": trust, "form": form, "previews": previews, "logo_src": _logo_data_uri(trust)},
        status=400 if form.errors else 200,
    )
