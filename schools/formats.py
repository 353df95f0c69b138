"""Numbers and money as people write them: "85%", "3 days", "£12,500", "£12,500.50".

Used by the pages (through the `formats` template filters), the plan history's line-by-line
comparison and the SMART check's reasons, so a number reads the same everywhere.
"""

from __future__ import annotations

from decimal import Decimal


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
