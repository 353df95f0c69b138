"""The trust's branding rules: colours readable by everyone (WCAG 2.2 AA contrast) and a small logo
in a format the PDFs can draw. The form and the service both ask these, so a refusal says the same
thing whichever refuses it."""

from __future__ import annotations

import math
import re

import defusedxml.ElementTree as SafeET
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from PIL import Image, UnidentifiedImageError

HEX = re.compile(r"^#[0-9a-f]{6}$")
WHITE = "#ffffff"
AA_CONTRAST = 4.5  # WCAG 2.2 success criterion 1.4.3, normal-size text
LOGO_MAX_BYTES = 1024 * 1024
LOGO_TYPES = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG", "svg": "SVG"}
# What an SVG logo may not carry: it could be opened on its own from the media files one day, and
# then a script or a link inside it would run as the site.
SVG_REFUSED_TAGS = {"script", "foreignobject", "iframe", "embed", "object"}


def normalise_hex(value: str) -> str:
    """`1D3557`, ` #1D3557 ` -> `#1d3557`; anything else comes back as typed, for the validator."""
    value = (value or "").strip().lower()
    if re.fullmatch(r"[0-9a-f]{6}", value):
        value = "#" + value
    return value


def _luminance(colour: str) -> float:
    """WCAG relative luminance of a #rrggbb colour."""

    def channel(hex2: str) -> float:
        c = int(hex2, 16) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(one: str, other: str) -> float:
    """The WCAG contrast ratio of two #rrggbb colours, from 1 (the same) to 21 (black on white)."""
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def ratio_words(ratio: float) -> str:
    """`4.47` -> `4.4:1`: rounded down, so a refused colour never reads as if it reached 4.5:1."""
    return f"{math.floor(ratio * 10) / 10:.1f}:1"


def check_colour(colour: str) -> None:
    if not HEX.match(colour or ""):
        raise ValidationError(
            f"“{colour}” is not a colour this can use: give # and six hexadecimal digits, like #1d3557."
        )


def _check_against_white(colour: str, refusal: str) -> None:
    """A valid colour with at least AA contrast against white; `refusal` says what to do, with
    {colour}, {ratio} and {needed} filled in."""
    check_colour(colour)
    ratio = contrast_ratio(colour, WHITE)
    if ratio < AA_CONTRAST:
        raise ValidationError(refusal.format(colour=colour, ratio=ratio_words(ratio), needed=AA_CONTRAST))


def check_main_colour(colour: str) -> None:
    """White text sits on the main colour (the PDFs' headings and table headers)."""
    _check_against_white(
        colour, "{colour} gives white text a contrast of {ratio}; choose a darker colour, at least {needed}:1."
    )


def check_accent_colour(colour: str) -> None:
    """The accent colour is text on white (strand names) and rules."""
    _check_against_white(
        colour,
        "{colour} on white has a contrast of {ratio}; choose a darker colour, at least {needed}:1 against white.",
    )


def logo_extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def check_logo(upload) -> None:
    """At most 1 MB, and really a PNG, JPEG or SVG (its content, not only its name)."""
    kinds = "PNG, JPEG or SVG"
    if upload.size > LOGO_MAX_BYTES:
        raise ValidationError(
            f"The logo is {filesizeformat(upload.size)}; choose a file of at most 1 MB (save it smaller, or as an SVG)."
        )
    extension = logo_extension(upload.name)
    if extension not in LOGO_TYPES:
        raise ValidationError(f"The logo must be a {kinds} file; “{upload.name}” is not.")
    upload.seek(0)
    try:
        if extension == "svg":
            _check_svg(upload.read())
        else:
            with Image.open(upload) as image:
                if image.format != LOGO_TYPES[extension]:
                    raise ValidationError(
                        f"“{upload.name}” is named as a {LOGO_TYPES[extension]} but is not one: "
                        f"save it again as a {kinds} file."
                    )
                image.verify()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError) as exc:
        raise ValidationError(
            f"“{upload.name}” could not be read as an image: save it again as a {kinds} file."
        ) from exc
    finally:
        upload.seek(0)


def _check_svg(data: bytes) -> None:
    what = "The SVG logo"
    try:
        root = SafeET.fromstring(data)
    except Exception as exc:  # defusedxml's refusals (entities, DTDs) and plain parse errors alike
        raise ValidationError(
            f"{what} could not be read as an SVG drawing: save it again from your drawing program."
        ) from exc
    if root.tag.rsplit("}", 1)[-1].lower() != "svg":
        raise ValidationError(f"{what} is not an SVG drawing: its outer element is not <svg>.")
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1].lower() if isinstance(element.tag, str) else ""
        if tag in SVG_REFUSED_TAGS:
            raise ValidationError(f"{what} contains a <{tag}> element; save it without scripts or embedded content.")
        for name, value in element.attrib.items():
            local = name.rsplit("}", 1)[-1].lower()
            if local.startswith("on") or "javascript:" in value.lower().replace(" ", ""):
                raise ValidationError(f"{what} contains a script ({local}); save it without scripts.")
            if local == "href" and not value.startswith("#") and not value.startswith("data:image/"):
                raise ValidationError(
                    f"{what} links to another file ({value[:60]}); save it with everything inside it."
                )
