"""The trust and its schools (academies)."""

from django.core.validators import RegexValidator
from django.db import models
from simple_history.models import HistoricalRecords


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
