"""School and business development plans (SDP, BDP): what each school, and the trust's business
services, will do this year to deliver the pocket guide.

A plan has priorities (the trust's, one per pocket-guide milestone, and the school's own); each
priority has actions; each action has success criteria (with a KPI, baseline and target where
numeric) and the evidence gathered. Every item keeps its history. Items a person edits carry a
`version` that every save increments, so an edit based on an old copy is refused, not applied.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from governance import policy

from .strategic import AcademicYear, Aim, Milestone, Ordered, PocketGuide

__all__ = [
    "Action",
    "ActionStatus",
    "Evidence",
    "PlanEvent",
    "PlanKind",
    "PlanSeen",
    "PlanState",
    "Priority",
    "SchoolPlan",
    "Step",
    "SuccessCriterion",
    "Term",
]


class Term(models.TextChoices):
    AUTUMN = "autumn", "Autumn term"
    SPRING = "spring", "Spring term"
    SUMMER = "summer", "Summer term"


class PlanKind(models.TextChoices):
    SDP = "sdp", "School development plan"
    BDP = "bdp", "Business development plan"


class PlanState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted to the LGC"
    AGREED = "agreed", "Agreed by the LGC"
    FINALISED = "finalised", "Finalised"
    SIGNED_OFF = "signed_off", "Signed off by the CEO"


# Staff read a plan once it is finalised; before that it is a draft for the people writing it.
PUBLISHED_STATES = (PlanState.FINALISED, PlanState.SIGNED_OFF)
# Priorities, actions and criteria change only while the plan is being written.
EDITABLE_STATES = (PlanState.DRAFT, PlanState.AGREED)


class SchoolPlanQuerySet(models.QuerySet):
    def published(self):
        return self.filter(state__in=PUBLISHED_STATES)

    def visible_to(self, user):
        return policy.visible_school_plans(user, self)

    def with_last_change(self):
        """`last_changed_at`: the latest change to the plan or any of its items (added, edited,
        moved, removed, restored, progress, evidence), read from their history in the same query."""
        latest = [
            Coalesce(
                Subquery(
                    model.history.filter(plan_id=OuterRef("pk"))
                    .order_by()
                    .values("plan_id")
                    .annotate(at=Max("history_date"))
                    .values("at")
                ),
                F("updated_at"),
            )
            for model in (Priority, Action, SuccessCriterion, Evidence)
        ]
        return self.annotate(last_changed_at=Greatest(F("updated_at"), *latest))


class SchoolPlan(models.Model):
    """One school's SDP (or a BDP, trust-wide when it has no school) for one academic year."""

    trust = models.ForeignKey("schools.Trust", on_delete=models.PROTECT, related_name="school_plans")
    school = models.ForeignKey("schools.School", on_delete=models.PROTECT, null=True, blank=True, related_name="plans")
    kind = models.CharField(max_length=3, choices=PlanKind.choices, default=PlanKind.SDP)
    academic_year = models.ForeignKey(AcademicYear, on_delete=models.PROTECT, related_name="+")
    pocket_guide = models.ForeignKey(
        PocketGuide, on_delete=models.PROTECT, null=True, blank=True, related_name="school_plans"
    )
    state = models.CharField(max_length=12, choices=PlanState.choices, default=PlanState.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # Goes up by one with every change to the plan or its items (plans.services, plans.workflow):
    # what is derived from the content (the SMART summary below, cached pages) is valid for one
    # version and recomputed when it moves on.
    content_version = models.PositiveIntegerField(default=1, editable=False)
    # The SMART check's one-line summary, as computed for `smart_version` (see selectors_school).
    smart_summary = models.CharField(max_length=300, blank=True, editable=False)
    smart_ok = models.BooleanField(default=False, editable=False)
    smart_version = models.PositiveIntegerField(default=0, editable=False)
    history = HistoricalRecords(excluded_fields=["content_version", "smart_summary", "smart_ok", "smart_version"])

    objects = SchoolPlanQuerySet.as_manager()

    class Meta:
        ordering = ["-academic_year__start_year", "kind", "school__name"]
        constraints = [
            models.CheckConstraint(
                name="sdp_belongs_to_a_school",
                condition=Q(kind="bdp") | Q(school__isnull=False),
                violation_error_message="A school development plan belongs to one school.",
            ),
            models.UniqueConstraint(
                fields=["kind", "school", "academic_year"],
                condition=Q(school__isnull=False),
                name="one_plan_per_kind_per_school_per_year",
                violation_error_message="This school already has this plan for that year.",
            ),
            models.UniqueConstraint(
                fields=["trust", "kind", "academic_year"],
                condition=Q(school__isnull=True),
                name="one_trust_wide_plan_per_kind_per_year",
                violation_error_message="The trust already has this plan for that year.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("school_plans:detail", kwargs={"pk": self.pk})

    @property
    def short_kind(self) -> str:
        return self.kind.upper()

    @property
    def owner_name(self) -> str:
        return self.school.name if self.school_id else self.trust.name

    @property
    def title(self) -> str:
        return f"{self.owner_name} {self.short_kind} {self.academic_year.label}"

    @property
    def state_phrase(self) -> str:
        """The state inside a sentence: "submitted to the LGC", "signed off by the CEO"."""
        label = self.get_state_display()
        return label[:1].lower() + label[1:]

    @property
    def is_published(self) -> bool:
        return self.state in PUBLISHED_STATES

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES


class Versioned(models.Model):
    """An item edited in forms: `version` goes up by one on every save (see services.save_item).

    Each kind of item says once which of its fields hold what people wrote. The item's form edits
    `EDITABLE_FIELDS`, in that order; a restore puts back those and `LINKED_FIELDS`, and an item's
    history lists them (in the order the model declares them); carry-forward copies them all into
    next year's plan except `YEAR_FIELDS`; the plan's history lines show every editable field
    (tests/test_item_fields.py checks each one).
    """

    # What a person edits in the item's form, in the order the form asks for it.
    EDITABLE_FIELDS: tuple[str, ...] = ()
    # Set when the item is made (from the pocket guide), never in a form.
    LINKED_FIELDS: tuple[str, ...] = ()
    # What belongs to one academic year, so stays behind when the item is carried forward.
    YEAR_FIELDS: tuple[str, ...] = ()

    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    @classmethod
    def restored_fields(cls) -> list[str]:
        """The columns a restore puts back, as attribute names (`lead_id`), in model order."""
        return cls._columns({*cls.EDITABLE_FIELDS, *cls.LINKED_FIELDS})

    @classmethod
    def carried_fields(cls) -> list[str]:
        """The columns carry-forward copies into next year's plan, as attribute names."""
        return cls._columns({*cls.EDITABLE_FIELDS, *cls.LINKED_FIELDS} - {*cls.YEAR_FIELDS})

    @classmethod
    def _columns(cls, names: set[str]) -> list[str]:
        return [f.attname for f in cls._meta.concrete_fields if f.name in names]


class Priority(Versioned, Ordered):
    """A trust priority (from a pocket-guide milestone) or one of the school's own."""

    EDITABLE_FIELDS = ("title", "description")
    LINKED_FIELDS = ("aim", "milestone")
    YEAR_FIELDS = ("milestone",)  # a milestone is one year's: a carried priority keeps only its aim

    plan = models.ForeignKey(SchoolPlan, on_delete=models.CASCADE, related_name="priorities")
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    aim = models.ForeignKey(Aim, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    milestone = models.ForeignKey(Milestone, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    history = HistoricalRecords()

    class Meta(Ordered.Meta):
        verbose_name_plural = "priorities"
        constraints = [
            # The target of the composite foreign key that keeps an action in its priority's plan
            # (PostgreSQL; migration 0004_journey_fixes).
            models.UniqueConstraint(fields=["id", "plan"], name="priority_id_plan_unique"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_trust_priority(self) -> bool:
        return self.milestone_id is not None


class ActionStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETE = "complete", "Complete"


class Action(Versioned, Ordered):
    EDITABLE_FIELDS = (
        "what",
        "lead",
        "status",
        "start_date",
        "start_term",
        "due_date",
        "due_term",
        "resources",
        "cost",
    )
    YEAR_FIELDS = ("start_date", "start_term", "due_date", "due_term")

    # `plan` repeats priority.plan so that history and permissions find an item's plan in one step.
    plan = models.ForeignKey(SchoolPlan, on_delete=models.CASCADE, related_name="+")
    priority = models.ForeignKey(Priority, on_delete=models.CASCADE, related_name="actions")
    what = models.TextField("what will be done")
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="led_actions"
    )
    start_date = models.DateField(null=True, blank=True)
    start_term = models.CharField(max_length=6, choices=Term.choices, blank=True)
    due_date = models.DateField(null=True, blank=True)
    due_term = models.CharField(max_length=6, choices=Term.choices, blank=True)
    resources = models.TextField("resources", blank=True)
    cost = models.DecimalField(
        "cost (£)", max_digits=10, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    status = models.CharField(max_length=12, choices=ActionStatus.choices, default=ActionStatus.NOT_STARTED)
    carried_from = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    history = HistoricalRecords()

    class Meta(Ordered.Meta):
        constraints = [
            # Criteria and evidence repeat their action's plan: see Priority.
            models.UniqueConstraint(fields=["id", "plan"], name="action_id_plan_unique"),
            models.CheckConstraint(
                name="action_due_after_start",
                condition=Q(start_date__isnull=True)
                | Q(due_date__isnull=True)
                | Q(due_date__gte=models.F("start_date")),
                violation_error_message="The due date is before the start date.",
            ),
            models.CheckConstraint(
                name="action_cost_not_negative",
                condition=Q(cost__isnull=True) | Q(cost__gte=0),
                violation_error_message="The cost cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return self.what[:80]


class SuccessCriterion(Versioned, Ordered):
    EDITABLE_FIELDS = ("text", "kpi", "baseline", "target", "unit", "due_date", "due_term")
    YEAR_FIELDS = ("due_date", "due_term")

    plan = models.ForeignKey(SchoolPlan, on_delete=models.CASCADE, related_name="+")
    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="criteria")
    text = models.TextField("success criterion")
    kpi = models.CharField("KPI (what is measured)", max_length=200, blank=True)
    baseline = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    target = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    unit = models.CharField(max_length=30, blank=True, help_text="e.g. %, pupils, days")
    due_date = models.DateField("by (date)", null=True, blank=True)
    due_term = models.CharField("by (term)", max_length=6, choices=Term.choices, blank=True)
    history = HistoricalRecords()

    class Meta(Ordered.Meta):
        verbose_name_plural = "success criteria"

    def __str__(self) -> str:
        return self.text[:80]


class Evidence(models.Model):
    """What shows progress on an action: a note, a link, or both. Added during the year."""

    plan = models.ForeignKey(SchoolPlan, on_delete=models.CASCADE, related_name="+")
    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="evidence")
    note = models.TextField(blank=True)
    link = models.URLField(max_length=500, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["added_at", "pk"]
        verbose_name_plural = "evidence"
        constraints = [
            models.CheckConstraint(
                name="evidence_has_note_or_link",
                condition=~Q(note="") | ~Q(link=""),
                violation_error_message="Give a note, a link or both.",
            )
        ]

    def __str__(self) -> str:
        return self.note[:80] or self.link


class Step(models.TextChoices):
    """The steps of a plan's life; each is offered only to the role that may take it."""

    SUBMIT = "submit", "Submit to the LGC"
    AGREE = "agree", "Agree"
    RETURN = "return", "Return with comments"
    FINALISE = "finalise", "Finalise"
    SIGN_OFF = "sign_off", "Sign off"
    REOPEN = "reopen", "Reopen"


class PlanEvent(models.Model):
    """One step in a plan's life: who took it, when, and what they said. Never edited."""

    plan = models.ForeignKey(SchoolPlan, on_delete=models.CASCADE, related_name="events")
    step = models.CharField(max_length=10, choices=Step.choices)
    from_state = models.CharField(max_length=12, choices=PlanState.choices)
    to_state = models.CharField(max_length=12, choices=PlanState.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_step_display()} by {self.by} on {self.at:%d %b %Y}"


class PlanSeen(models.Model):
    """When a person last looked at a plan for sign-off: the CEO's queue shows what changed since."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey(SchoolPlan, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "plan"], name="one_seen_mark_per_person_per_plan")]

    def __str__(self) -> str:
        return f"{self.user} saw {self.plan} at {self.seen_at:%d %b %Y %H:%M}"
