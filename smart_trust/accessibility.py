"""GET /accessibility/: the accessibility statement the Public Sector Bodies Accessibility
Regulations 2018 ask of an academy trust's website, for everyone, signed in or not."""

import datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from schools.models import Trust

# When the statement was written and last looked at again: change REVIEWED whenever it is.
PREPARED = datetime.date(2026, 11, 26)
REVIEWED = datetime.date(2026, 11, 26)


@require_GET
def accessibility_statement(request: HttpRequest) -> HttpResponse:
    trust = Trust.objects.order_by("pk").first()
    contact = settings.ACCESSIBILITY_CONTACT
    return render(
        request,
        "accessibility.html",
        {
            "trust_name": trust.name if trust else "the trust",
            "contact": contact,
            "contact_is_email": "@" in contact and " " not in contact.strip(),
            "prepared": PREPARED,
            "reviewed": REVIEWED,
        },
    )
