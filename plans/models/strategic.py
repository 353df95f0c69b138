"""The trust strategic plan as data: every part a person reads in the document is a row here.

Nothing fixes the number of aims, strands, principles or focus columns: the 2017-22 plan (12 aims)
and the 2022-27 plan (8 aims) are both just rows. Lists are ordered by an explicit `order`.
"""

import re

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.functional import cached_property
from simple_history.models import HistoricalRecords

from governance import policy


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class Ordered(models.Model):
    order = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["order", "pk"]


class AcademicYear(models.Model):
    """September to August; `start_year` 2023 is the academic year 2023/24."""

    start_year = models.PositiveSmallIntegerField(
        unique=True, validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )

    class Meta:
        ordering = ["start_year"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.start_year}/{(self.start_year + 1) % 100:02d}"

    @property
    def slug(self) -> str:
        return f"{self.start_year}-{(self.start_year + 1) % 100:02d}"


class StrategicPlanQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Status.PUBLISHED)

    def visible_to(self, user):
        return policy.visible_plans(user, self)


class StrategicPlan(models.Model):
    trust = models.ForeignKey("schools.Trust", on_delete=models.PROTECT, related_name="plans")
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    short_title = models.CharField(max_length=50, blank=True)
    subtitles = models.JSONField(default=list, blank=True)
    tagline = models.CharField(max_length=300, blank=True)
    start_year = models.PositiveSmallIntegerField()
    end_year = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PUBLISHED)
    introduction = models.TextField(blank=True)
    values_intro = models.TextField(blank=True)
    principles_name = models.CharField(max_length=50, blank=True)
    principles_intro = models.TextField(blank=True)
    vision_intro = models.TextField(blank=True)
    vision_outro = models.TextField(blank=True)
    review_cycle_intro = models.TextField(blank=True)
    references_intro = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = StrategicPlanQuerySet.as_manager()

    class Meta:
        ordering = ["-start_year", "title"]
        constraints = [
            models.CheckConstraint(
                name="plan_period_in_order",
                condition=Q(start_year__lt=models.F("end_year")),
                violation_error_message="The plan must end after it starts.",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("plans:contents", kwargs={"plan": self.slug})

    @property
    def period(self) -> str:
        return f"{self.start_year}-{self.end_year % 100:02d}"


class SharedValue(Ordered):
    plan = models.ForeignKey(StrategicPlan, on_delete=models.CASCADE, related_name="values")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return self.name


class Principle(Ordered):
    plan = models.ForeignKey(StrategicPlan, on_delete=models.CASCADE, related_name="principles")
    letter = models.CharField(max_length=3)
    word = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta(Ordered.Meta):
        constraints = [models.UniqueConstraint(fields=["plan", "letter"], name="principle_letter_unique")]

    def __str__(self) -> str:
        return f"{self.letter} - {self.word}"


class VisionHeading(Ordered):
    plan = models.ForeignKey(StrategicPlan, on_delete=models.CASCADE, related_name="vision")
    heading = models.CharField(max_length=200)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return self.heading


class VisionBullet(Ordered):
    heading = models.ForeignKey(VisionHeading, on_delete=models.CASCADE, related_name="bullets")
    text = models.TextField()
    history = HistoricalRecords()

    def __str__(self) -> str:
        return self.text


class FocusColumn(Ordered):
    """A column of ticks beside the aims (L / P / R here; Learning / Leadership / Parental before)."""

    plan = models.ForeignKey(StrategicPlan, on_delete=models.CASCADE, related_name="focus_columns")
    code = models.CharField(max_length=20)
    name = models.CharField(max_length=100, blank=True)
    history = HistoricalRecords()

    class Meta(Ordered.Meta):
        constraints = [models.UniqueConstraint(fields=["plan", "code"], name="focus_column_code_unique")]

    def __str__(self) -> str:
        return self.name or self.code


class Strand(Ordered):
    plan = models.ForeignKey(StrategicPlan, on_delete=models.CASCADE, related_name="strands")
    slug = models.SlugField()
    name = models.CharField(max_length=200)
    statement = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta(Ordered.Meta):
        constraints = [models.UniqueConstraint(fields=["plan", "slug"], name="strand_slug_unique")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("plans:strand", kwargs={"plan": self.plan.slug, "strand": self.slug})


class StrandRight(Ordered):
    """For one principle, what everyone has the right to in this strand."""

    strand = models.ForeignKey(Strand, on_delete=models.CASCADE, related_name="rights")
    principle = models.ForeignKey(Principle, on_delete=models.CASCADE, related_name="rights")
    text = models.TextField()
    history = HistoricalRecords()

    class Meta(Ordered.Meta):
        constraints = [models.UniqueConstraint(fields=["strand", "principle"], name="one_right_per_principle")]

    def __str__(self) -> str:
        return self.text


class Aim(Ordered):
    plan = models.ForeignKey(StrategicPlan, on_delete=models.CASCADE, related_name="aims")
    strand = models.ForeignKey(Strand, on_delete=models.SET_NULL, null=True, blank=True, related_name="aims")
    code = models.CharField(max_length=20, help_text="e.g. TSP1")
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=500, blank=True)
    focus_columns = models.ManyToManyField(FocusColumn, blank=True, related_name="aims")
    narrative = models.TextField(blank=True)
    long_term_goal = models.TextField(blank=True)
    strategies_heading = models.CharField(max_length=100, blank=True)
    history = HistoricalRecords(m2m_fields=[focus_columns])

    class Meta(Ordered.Meta):
        constraints = [models.UniqueConstraint(fields=["plan", "code"], name="aim_code_unique")]

    def __str__(self) -> str:
        return f"{self.code}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("plans:aim", kwargs={"plan": self.plan.slug, "aim": self.code})


class Driver(Ordered):
    """A key driver or indicator of an aim."""

    aim = models.ForeignKey(Aim, on_delete=models.CASCADE, related_name="drivers")
    text = models.TextField()
    history = HistoricalRecords()

    def __str__(self) -> str:
        return self.text


class Strategy(Ordered):
    """A key strategy; numbered (2.4, 2.4.1) or a plain bullet, nested under `parent`."""

    aim = models.ForeignKey(Aim, on_delete=models.CASCADE, related_name="strategies")
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="children")
    number = models.CharField(max_length=20, blank=True)
    title = models.CharField(max_length=300, blank=True)
    text = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta(Ordered.Meta):
        verbose_name_plural = "strategies"
        constraints = [
            models.UniqueConstraint(
                fields=["aim", "number"],
                condition=~Q(number=""),
                name="strategy_number_unique_in_aim",
            )
        ]

    def __str__(self) -> str:
        return " ".join(part for part in (self.number, self.title or self.text[:60]) if part)


class KeyDocument(Ordered):
    plan = models.ForeignKey(StrategicPlan, on_delete=models.CASCADE, related_name="key_documents")
    name = models.CharField(max_length=200)
    notes = models.TextField(blank=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return self.name


class Responsibility(Ordered):
    """A role in the planning process and its duties ("The CEO is responsible for:")."""

    plan = models.ForeignKey(StrategicPlan, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=200)
    history = HistoricalRecords()

    class Meta(Ordered.Meta):
        verbose_name_plural = "responsibilities"

    def __str__(self) -> str:
        return self.role


class Duty(Ordered):
    responsibility = models.ForeignKey(Responsibility, on_delete=models.CASCADE, related_name="duties")
    text = models.TextField()
    history = HistoricalRecords()

    class Meta(Ordered.Meta):
        verbose_name_plural = "duties"

    def __str__(self) -> str:
        return self.text


MONTHS = [
    (1, "January"), (2, "February"), (3, "March"), (4, "April"), (5, "May"), (6, "June"),
    (7, "July"), (8, "August"), (9, "September"), (10, "October"), (11, "November"),
    (12, "December"),
]  # fmt: skip


class ReviewPeriod(Ordered):
    """A period of the yearly review cycle; may span months and wrap the year end (Nov-Mar)."""

    plan = models.ForeignKey(StrategicPlan, on_delete=models.CASCADE, related_name="review_cycle")
    label = models.CharField(max_length=100)
    start_month = models.PositiveSmallIntegerField(choices=MONTHS)
    end_month = models.PositiveSmallIntegerField(choices=MONTHS)
    history = HistoricalRecords()

    class Meta(Ordered.Meta):
        constraints = [
            models.CheckConstraint(
                name="review_period_months_valid",
                condition=Q(start_month__gte=1, start_month__lte=12, end_month__gte=1, end_month__lte=12),
            )
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def months(self) -> list[int]:
        """The calendar months covered, in order, wrapping past December."""
        length = (self.end_month - self.start_month) % 12 + 1
        return [(self.start_month - 1 + i) % 12 + 1 for i in range(length)]


class ReviewActivity(Ordered):
    period = models.ForeignKey(ReviewPeriod, on_delete=models.CASCADE, related_name="activities")
    text = models.TextField()
    history = HistoricalRecords()

    class Meta(Ordered.Meta):
        verbose_name_plural = "review activities"

    def __str__(self) -> str:
        return self.text


class Reference(Ordered):
    plan = models.ForeignKey(StrategicPlan, on_delete=models.CASCADE, related_name="references")
    title = models.CharField(max_length=300)
    notes = models.TextField(blank=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return self.title


class GlossaryTerm(Ordered):
    plan = models.ForeignKey(StrategicPlan, on_delete=models.CASCADE, related_name="glossary")
    term = models.CharField(max_length=100)
    meaning = models.TextField()
    history = HistoricalRecords()

    def __str__(self) -> str:
        return self.term


class PocketGuideQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Status.PUBLISHED, plan__status=Status.PUBLISHED)

    def visible_to(self, user):
        return policy.visible_pocket_guides(user, self)


class PocketGuide(models.Model):
    """One page per academic year: what the whole trust does this year."""

    plan = models.ForeignKey(StrategicPlan, on_delete=models.CASCADE, related_name="pocket_guides")
    academic_year = models.ForeignKey(AcademicYear, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=300)
    year_label = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PUBLISHED)
    intro = models.TextField(blank=True)
    aims_heading = models.CharField(max_length=200, blank=True)
    milestones_heading = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = PocketGuideQuerySet.as_manager()

    class Meta:
        ordering = ["-academic_year__start_year"]
        constraints = [models.UniqueConstraint(fields=["plan", "academic_year"], name="one_guide_per_year")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("plans:pocket_guide", kwargs={"plan": self.plan.slug, "year": self.academic_year.slug})


class ColumnHeadline(Ordered):
    """A block of headline bullets for the whole year, for one focus column (shown above the grid)
    or for one group of the guide (shown where the group is: the business group's own list of
    whole-trust priorities)."""

    guide = models.ForeignKey(PocketGuide, on_delete=models.CASCADE, related_name="column_headlines")
    column = models.ForeignKey(FocusColumn, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    group = models.ForeignKey(
        "PocketGuideGroup", on_delete=models.CASCADE, null=True, blank=True, related_name="headline_blocks"
    )
    heading = models.CharField(max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta(Ordered.Meta):
        constraints = [
            models.CheckConstraint(
                name="headline_block_on_a_column_or_a_group",
                condition=Q(column__isnull=False, group__isnull=True) | Q(column__isnull=True, group__isnull=False),
                violation_error_message="A headline block belongs to a focus column or to a group, not both.",
            )
        ]

    def __str__(self) -> str:
        return self.heading or str(self.column or self.group)


class ColumnHeadlineBullet(Ordered):
    headline = models.ForeignKey(ColumnHeadline, on_delete=models.CASCADE, related_name="bullets")
    text = models.TextField()
    history = HistoricalRecords()

    def __str__(self) -> str:
        return self.text


class PocketGuideGroup(Ordered):
    """A band of the pocket guide grid; usually a strand, but a guide may group aims its own way."""

    guide = models.ForeignKey(PocketGuide, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(max_length=200)
    strand = models.ForeignKey(Strand, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    headline = models.CharField(max_length=300, blank=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return self.name


def numbered(number: str, text: str) -> str:
    """`text` with the guide's number in front, unless it is empty or already starts with it."""
    if not number or not text or re.match(rf"{re.escape(number)}[.)]?(\s|$)", text):
        return text
    return f"{number}. {text}"


class Milestone(Ordered):
    """One aim's row in a year's pocket guide: its yearly label and phrase, this year's focus
    ticks when they differ from the aim's, and the year's milestone sentence (older guides have
    only the label and phrase)."""

    # `guide` repeats group.guide so that the database can enforce one milestone per aim per year.
    guide = models.ForeignKey(PocketGuide, on_delete=models.CASCADE, related_name="milestones")
    group = models.ForeignKey(PocketGuideGroup, on_delete=models.CASCADE, related_name="milestones")
    aim = models.ForeignKey(Aim, on_delete=models.CASCADE, related_name="milestones")
    number = models.CharField(max_length=10, blank=True)
    label = models.CharField(max_length=200, blank=True)
    phrase = models.CharField(max_length=500, blank=True)
    focus_columns = models.ManyToManyField(
        FocusColumn, blank=True, related_name="milestones", help_text="This year's ticks; none: the aim's."
    )
    milestone = models.TextField(blank=True)
    elaboration = models.TextField(blank=True)
    history = HistoricalRecords(m2m_fields=[focus_columns])

    class Meta(Ordered.Meta):
        constraints = [models.UniqueConstraint(fields=["guide", "aim"], name="one_milestone_per_aim_per_year")]

    def __str__(self) -> str:
        return (self.milestone or self.label or self.phrase)[:80]

    @cached_property
    def ticks(self) -> list[FocusColumn]:
        """The focus columns this row ticks: its own for the year, else the aim's."""
        return list(self.focus_columns.all()) or list(self.aim.focus_columns.all())

    @property
    def numbered_label(self) -> str:
        return numbered(self.number, self.label or self.aim.title)

    @property
    def numbered_milestone(self) -> str:
        return numbered(self.number, self.milestone)


class PocketGuideUpdate(Ordered):
    """An update or variation added during the year."""

    guide = models.ForeignKey(PocketGuide, on_delete=models.CASCADE, related_name="updates")
    date = models.DateField()
    text = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"{self.date}: {self.text[:60]}"
