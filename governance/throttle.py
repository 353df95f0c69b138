"""Sign-in throttling (django-axes) counts failures per account, whatever the address's spelling.

Addresses are stored in lower case and sign-in ignores case, so `SENIOR@...`, `Senior@...` and
` senior@... ` are one account: counting them apart would give an attacker the failure limit once
per spelling. Axes asks `AXES_USERNAME_CALLABLE` for the name it counts, locks and resets on.
"""

from __future__ import annotations

from django.conf import settings


def normalised_email(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    return value.strip().lower()


def axes_username(request, credentials: dict | None) -> str | None:
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        return normalised_email(credentials.get(field))
    data = getattr(request, "data", None) or getattr(request, "POST", {})
    return normalised_email(data.get(field))
