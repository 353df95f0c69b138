"""The trust and its schools (academies)."""

from django.core.validators import FileExtensionValidator, RegexValidator
from django.db import models
from simple_history.models import HistoricalRecords

HEX_COLOUR = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Give a colour as # and six hexadecimal digits, like #1d3557.")


class TrustQuerySet(models.QuerySet):
    def of_person(self, user) -> "Trust | None":
        """The trust a person works in: that of their roles (a superuser without roles gets the
        first trust). One deployment serves one trust today; this is the one place that knows it."""
        return self.filter(roles__user=user).first() or self.order_by("pk").first()


class Trust(models.Model):
    """A multi-academy trust. One deployment serves one trust today, but nothing assumes it."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    short_name = models.CharField(max_length=50, blank=True, help_text="e.g. SMART")
    two_factor_required = models.BooleanField(
        "two-factor sign-in required",
        default=False,
        help_text="The CEO, trustees and the central team must sign in with a code from an authenticator app.",
    )
    # Branding, set by the central team: used by every PDF (smart_trust.pdf) and its cover.
    colour = models.CharField(
        "main colour",
        max_length=7,
        default="#1d3557",
        validators=[HEX_COLOUR],
        help_text="Headings and table headers in the PDFs, as #rrggbb. Dark enough for white text on it.",
    )
    accent_colour = models.CharField(
        "accent colour",
        max_length=7,
        default="#0f5e63",
        validators=[HEX_COLOUR],
        help_text="Strand names and rules in the PDFs, as #rrggbb.",
    )
    logo = models.FileField(
        upload_to="branding/",
        blank=True,
        validators=[FileExtensionValidator(["png", "jpg", "jpeg", "svg"])],
        help_text="PNG, JPEG or SVG; shown on the PDFs' covers and page headers.",
    )
    history = HistoricalRecords()

    objects = TrustQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Phase(models.TextChoices):
    PRIMARY = "primary", "Primary"
    SECONDARY = "secondary", "Secondary"
    ALL_THROUGH = "all_through", "All-through"
    SPECIAL = "special", "Special"


class School(models.Model):
    trust = models.ForeignKey(Trust, on_delete=models.PROTECT, related_name="schools")
    name = models.CharField(max_length=200)
    slug = models.SlugField()
    phase = models.CharField(max_length=20, choices=Phase.choices)
    urn = models.CharField(
        "URN",
        max_length=7,
        unique=True,
        validators=[RegexValidator(r"^\d{6,7}$", "A URN is six or seven digits.")],
        help_text="The DfE unique reference number.",
    )
    lgc_name = models.CharField("local governing committee", max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["trust", "slug"], name="school_slug_unique_in_trust"),
        ]

    def __str__(self) -> str:
        return self.name
