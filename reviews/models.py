"""Termly RAG ratings: the terms with their rating windows, and the ratings themselves.

A rating is one voice's judgement of one item for one term: the school's leaders' self-assessment
or the governors' rating of an action (or a priority's overall judgement), or the trustees' rating
of a trust aim. There is one current rating per item, term and voice; every change to it is kept
in its history (who and when). Nothing carries over from one term to the next: an item nobody
rated this term is "not rated" (reviews.rules), whatever it was last term.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from plans.models import AcademicYear, Action, Aim, Priority, SchoolPlan, Term

__all__ = ["Rating", "RatingValue", "ReviewSettings", "TermDates", "TermReopening", "Voice"]

TERM_ORDER = {Term.AUTUMN: 0, Term.SPRING: 1, Term.SUMMER: 2}


class RatingValue(models.TextChoices):
    RED = "red", "Red"
    AMBER = "amber", "Amber"
    GREEN = "green", "Green"
    NOT_YET_DUE = "not_yet_due", "Not yet due"
    COMPLETE = "complete", "Complete"


class Voice(models.TextChoices):
    SELF = "self", "Self-assessment"
    GOVERNORS = "governors", "Governors"
    TRUSTEES = "trustees", "Trustees"


class ReviewSettings(models.Model):
    """How a trust rates: which values beyond Red, Amber and Green it uses, and who reads them."""

    trust = models.OneToOneField("schools.Trust", on_delete=models.CASCADE, related_name="review_settings")
    use_not_yet_due = models.BooleanField("offer “Not yet due”", default=True)
    use_complete = models.BooleanField("offer “Complete”", default=True)
    staff_see_ratings = models.BooleanField(
        "staff read their school's ratings",
        default=False,
        help_text="Staff read the ratings of their school's published plan.",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "review settings"
        verbose_name_plural = "review settings"

    def __str__(self) -> str:
        return f"Review settings of {self.trust}"

    @property
    def values(self) -> list[str]:
        """The values offered, in the order a rating form shows them."""
        offered = [RatingValue.RED, RatingValue.AMBER, RatingValue.GREEN]
        if self.use_not_yet_due:
            offered.append(RatingValue.NOT_YET_DUE)
        if self.use_complete:
            offered.append(RatingValue.COMPLETE)
        return [str(v) for v in offered]


class TermDates(models.Model):
    """One term of one academic year: when it runs and when its ratings are open."""

    academic_year = models.ForeignKey(AcademicYear, on_delete=models.PROTECT, related_name="terms")
    term = models.CharField(max_length=6, choices=Term.choices)
    starts = models.DateField()
    ends = models.DateField()
    rating_opens = models.DateField()
    rating_closes = models.DateField()
    # Set by the CEO's reopening (TermReopening keeps who, when and why): the ratings are open
    # again until this day, whatever the window says.
    reopened_until = models.DateField(null=True, blank=True, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "term"
        ordering = ["academic_year__start_year", "starts"]
        constraints = [
            models.UniqueConstraint(fields=["academic_year", "term"], name="one_term_of_each_kind_per_year"),
            models.CheckConstraint(
                name="term_ends_after_it_starts",
                condition=Q(ends__gte=models.F("starts")),
                violation_error_message="The term ends before it starts.",
            ),
            models.CheckConstraint(
                name="rating_window_closes_after_it_opens",
                condition=Q(rating_closes__gte=models.F("rating_opens")),
                violation_error_message="The rating window closes before it opens.",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    def get_absolute_url(self) -> str:
        return reverse("reviews:terms")

    @property
    def label(self) -> str:
        return f"{self.get_term_display()} {self.academic_year.label}"

    @property
    def name(self) -> str:
        """ "the spring term" inside a sentence."""
        return f"the {self.term} term"

    @property
    def slug(self) -> str:
        return f"{self.academic_year.slug}-{self.term}"

    @property
    def sort_key(self) -> tuple[int, int]:
        return (self.academic_year.start_year, TERM_ORDER[self.term])

    def is_open(self, today: datetime.date | None = None) -> bool:
        today = today or timezone.localdate()
        if self.reopened_until and today <= self.reopened_until:
            return True
        return self.rating_opens <= today <= self.rating_closes

    def open_until(self, today: datetime.date | None = None) -> datetime.date | None:
        """The last day ratings may be given, when they may be given today."""
        today = today or timezone.localdate()
        if not self.is_open(today):
            return None
        if self.reopened_until and today <= self.reopened_until:
            return max(self.reopened_until, self.rating_closes)
        return self.rating_closes


class TermReopening(models.Model):
    """The CEO opened a closed term's ratings again: who, when, why and until when. Never edited."""

    term = models.ForeignKey(TermDates, on_delete=models.CASCADE, related_name="reopenings")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    until = models.DateField()
    reason = models.TextField()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.term} reopened by {self.by} until {self.until:%d %b %Y}"


class Rating(models.Model):
    """One voice's rating of one item (an action, a priority, or a trust aim) for one term."""

    term = models.ForeignKey(TermDates, on_delete=models.PROTECT, related_name="ratings")
    voice = models.CharField(max_length=10, choices=Voice.choices)
    # A school plan's item (the plan repeats the item's, so a plan's ratings are one filter) ...
    plan = models.ForeignKey(SchoolPlan, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    action = models.ForeignKey(Action, on_delete=models.CASCADE, null=True, blank=True, related_name="ratings")
    priority = models.ForeignKey(Priority, on_delete=models.CASCADE, null=True, blank=True, related_name="ratings")
    # ... or an aim of the trust's strategic plan.
    aim = models.ForeignKey(Aim, on_delete=models.CASCADE, null=True, blank=True, related_name="ratings")
    value = models.CharField(max_length=12, choices=RatingValue.choices)
    commentary = models.TextField(blank=True)
    current_value = models.CharField("where the measure stands now", max_length=100, blank=True)
    evidence = models.TextField("evidence this term", blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        ordering = ["term", "pk"]
        constraints = [
            models.CheckConstraint(
                name="rating_points_at_one_item",
                condition=(
                    Q(action__isnull=False, priority__isnull=True, aim__isnull=True, plan__isnull=False)
                    | Q(action__isnull=True, priority__isnull=False, aim__isnull=True, plan__isnull=False)
                    | Q(action__isnull=True, priority__isnull=True, aim__isnull=False, plan__isnull=True)
                ),
                violation_error_message="A rating is of one action, one priority or one aim.",
            ),
            models.UniqueConstraint(
                fields=["term", "voice", "action"],
                condition=Q(action__isnull=False),
                name="one_rating_per_action_term_voice",
            ),
            models.UniqueConstraint(
                fields=["term", "voice", "priority"],
                condition=Q(priority__isnull=False),
                name="one_rating_per_priority_term_voice",
            ),
            models.UniqueConstraint(
                fields=["term", "voice", "aim"],
                condition=Q(aim__isnull=False),
                name="one_rating_per_aim_term_voice",
            ),
        ]
        indexes = [models.Index(fields=["plan", "term"], name="rating_plan_term")]

    def __str__(self) -> str:
        return f"{self.get_value_display()} ({self.get_voice_display()}, {self.term})"


# The review cycle and what it tells people (stages, compliance checks, notices, messages).
from .models_cycle import *  # noqa: E402, F403
