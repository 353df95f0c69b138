"""The trust's colours and logo (issue 19): the central team and the CEO set them on one page; the
colours must be readable (WCAG 2.2 AA, 4.5:1 with white) and the logo small and really an image."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from governance import branding, services
from governance.models import User
from schools.models import Trust
from smart_trust.demo import demo_email

URL = reverse("schools:branding")
SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<rect width="10" height="10" fill="#1d3557"/></svg>'
)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def png(size: int = 8) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), "#1d3557").save(out, "PNG")
    return out.getvalue()


def trust() -> Trust:
    return Trust.objects.order_by("pk").first()


def post(client, **data):
    return client.post(URL, {"colour": "#123456", "accent_colour": "#0f5e63", **data})


# --- the colour maths ------------------------------------------------------------------------


def test_contrast_ratios_are_wcags():
    assert branding.contrast_ratio("#000000", "#ffffff") == pytest.approx(21)
    assert branding.contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1)
    assert branding.ratio_words(branding.contrast_ratio("#ffcc00", "#ffffff")) == "1.5:1"
    # #767676 is the lightest grey that passes on white (4.54:1); #777777 fails (4.47:1, said 4.4:1).
    assert branding.contrast_ratio("#767676", "#ffffff") >= 4.5
    assert branding.ratio_words(branding.contrast_ratio("#777777", "#ffffff")) == "4.4:1"


# --- the page ----------------------------------------------------------------------------------


def test_page_shows_the_colours_as_text_and_a_swatch_without_inline_styles(client, sign_in_as):
    sign_in_as("central")
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    t = trust()
    assert f"<code>{t.colour}</code>" in html and f'fill="{t.colour}"' in html
    assert "style=" not in html and "<style" not in html
    assert 'enctype="multipart/form-data"' in html


def test_schools_page_links_to_it_for_the_central_team_and_the_ceo_only(client, sign_in_as):
    for persona, linked in (("central", True), ("ceo", True), ("trustee", False), ("head", False)):
        sign_in_as(persona)
        assert (URL in client.get(reverse("schools:index")).content.decode()) is linked, persona


def test_saving_keeps_the_colours_and_a_logo_and_history_says_who(client, sign_in_as):
    ceo = sign_in_as("ceo")
    logo = SimpleUploadedFile("crest.png", png(), content_type="image/png")
    response = post(client, colour="1D3557 ", accent_colour="#0F5E63", logo=logo)
    assert response.status_code == 302 and response["Location"] == URL
    t = trust()
    assert (t.colour, t.accent_colour) == ("#1d3557", "#0f5e63")
    assert t.logo.name.startswith("branding/") and t.logo.name.endswith(".png")
    last = t.history.order_by("-history_date").first()
    assert last.history_user == ceo and "new logo" in last.history_change_reason
    # The page now shows the logo inline (the media files are not served by the app).
    assert 'src="data:image/png;base64,' in client.get(URL).content.decode()


def test_an_svg_logo_is_kept_and_can_be_removed(client, sign_in_as):
    sign_in_as("central")
    assert post(client, logo=SimpleUploadedFile("crest.svg", SVG, content_type="image/svg+xml")).status_code == 302
    assert trust().logo.name.endswith(".svg")
    assert post(client, remove_logo="on").status_code == 302
    assert not trust().logo


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"colour": "navy"}, "colour", "“navy” is not a colour this can use: give # and six hexadecimal digits"),
        (
            {"colour": "#ffcc00"},
            "colour",
            "#ffcc00 gives white text a contrast of 1.5:1; choose a darker colour, at least 4.5:1.",
        ),
        ({"colour": ""}, "colour", "Give the main colour"),
        (
            {"accent_colour": "#99ccff"},
            "accent_colour",
            "#99ccff on white has a contrast of 1.6:1; choose a darker colour",
        ),
        ({"accent_colour": "#12345"}, "accent_colour", "is not a colour this can use"),
    ],
)
def test_bad_or_unreadable_colours_are_refused_and_nothing_saved(client, sign_in_as, data, field, message):
    sign_in_as("central")
    before = trust()
    history = before.history.count()
    response = post(client, **data)
    assert response.status_code == 400
    assert any(message in e for e in response.context["form"].errors[field]), response.context["form"].errors
    html = response.content.decode()
    assert "There is a problem" in html and f'href="#id_{field}"' in html
    after = trust()
    assert (after.colour, after.accent_colour) == (before.colour, before.accent_colour)
    assert after.history.count() == history


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("big.png", b"\x89PNG" + b"0" * (1024 * 1024), "choose a file of at most 1 MB"),
        ("crest.gif", b"GIF89a" + b"0" * 20, "must be a PNG, JPEG or SVG file"),
        ("crest.pdf", b"%PDF-1.7", "must be a PNG, JPEG or SVG file"),
        ("fake.png", b"this is not a picture", "could not be read as an image"),
        ("fake.jpg", png(), "is named as a JPEG but is not one"),
        ("crest.svg", b"<html><body>hi</body></html>", "is not an SVG drawing"),
        ("crest.svg", SVG.replace(b"<rect", b"<script>alert(1)</script><rect"), "contains a <script> element"),
        ("crest.svg", SVG.replace(b"<rect", b'<rect onload="alert(1)"'), "contains a script (onload)"),
        (
            "crest.svg",
            b'<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>',
            "could not be read as an SVG",
        ),
    ],
)
def test_too_big_or_wrong_type_logos_are_refused_and_nothing_saved(client, sign_in_as, name, content, message):
    sign_in_as("central")
    history = trust().history.count()
    response = post(client, logo=SimpleUploadedFile(name, content))
    assert response.status_code == 400
    assert any(message in e for e in response.context["form"].errors["logo"]), response.context["form"].errors
    t = trust()
    assert not t.logo and t.colour != "#123456"
    assert t.history.count() == history


def test_the_service_checks_the_rules_and_the_person_itself(demo):
    central = User.objects.get(email=demo_email("central"))
    with pytest.raises(ValidationError) as refused:
        services.trust_branding_save(trust=trust(), by=central, colour="#ffcc00", accent_colour="#ffffff")
    assert set(refused.value.message_dict) == {"colour", "accent_colour"}
    head = User.objects.get(email=demo_email("head"))
    with pytest.raises(PermissionDenied):
        services.trust_branding_save(trust=trust(), by=head, colour="#123456", accent_colour="#0f5e63")
    assert trust().colour != "#123456"


@pytest.mark.parametrize(("persona", "status"), [("trustee", 403), ("head", 403), ("staff", 403), ("cfo", 403)])
def test_others_may_not_post(client, sign_in_as, persona, status):
    sign_in_as(persona)
    assert post(client).status_code == status
    assert trust().colour != "#123456"


def test_anonymous_is_sent_to_sign_in(client, demo):
    response = post(client)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
