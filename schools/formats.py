"""Numbers and money as people write them: "85%", "3 days", "£12,500", "£12,500.50".

Used by the pages (through the `formats` template filters), the plan history's line-by-line
comparison and the SMART check's reasons, so a number reads the same everywhere.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def number(value) -> str:
    """24.00 -> "24", 12.50 -> "12.5", 12500 -> "12,500"."""
    if value is None or value == "":
        return ""
    value = Decimal(str(value))
    text = f"{value:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def measure(value, unit: str = "") -> str:
    """A number with its unit: "85%" (no space before %), "3 days"."""
    if value is None or value == "":
        return ""
    unit = (unit or "").strip()
    if not unit:
        return number(value)
    return f"{number(value)}{unit}" if unit == "%" else f"{number(value)} {unit}"


def money(value) -> str:
    """Pounds: whole pounds without pence ("£12,500"), otherwise two places ("£12,500.50")."""
    if value is None or value == "":
        return ""
    value = Decimal(str(value))
    if value == value.to_integral_value():
        return f"£{value:,.0f}"
    return f"£{value:,.2f}"


def moment(value: datetime.datetime | None, seconds: bool = False) -> str:
    """A moment in the trust's time zone, as the history pages write it: "26 Nov 2026 14:05"
    (with seconds, "26 Nov 2026 14:05:33"). The same text as Django's date filter with "j M Y H:i"
    at a fraction of its cost: a plan's history writes hundreds of them."""
    if value is None:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    text = f"{local.day} {MONTHS[local.month - 1]} {local.year} {local.hour:02d}:{local.minute:02d}"
    return f"{text}:{local.second:02d}" if seconds else text


def day(value: datetime.datetime | None) -> str:
    """The day of a moment in the trust's time zone: "26 Nov 2026" (the date filter's "j M Y")."""
    return moment(value).rsplit(" ", 1)[0]


def moment_iso(value: datetime.datetime | None) -> str:
    """The moment in ISO 8601, in the trust's time zone (as the date filter's "c")."""
    if value is None:
        return ""
    return (timezone.localtime(value) if timezone.is_aware(value) else value).isoformat()
