"""The review cycle as data, and what it tells people.

Each academic year has its stages (`Stage`): dates, who is responsible, what is due and who is
told. The default stages (reviews.cycle.DEFAULT_STAGES, from the seed's review cycle) are copied
into each new year and the CEO edits them. What a stage asks is worked out from the data it
names (plans in a state, a term's ratings, the month's compliance checks, a task marked done),
so a person is chased only while they still owe something.

Telling people goes through three tables, all in PostgreSQL, written in the same transaction as
the change that caused them:
- `Notice`: one decision to tell one person about one subject for one reason ("due", "late",
  "submitted"...). Its unique key makes a second decision impossible, whoever makes it.
- `Message`: one e-mail (a single notice sent at once, or a person's daily digest). The worker
  sends it, marks it sent in the same transaction that holds its row, and retries failures with
  back-off; one that keeps failing is shown to the CEO.
- `Decision`: the log of every decision, including what was held back and why.
"""

from __future__ import annotations

import datetime
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from governance.models import Role
from plans.models import AcademicYear, PlanState

from .models import TermDates

__all__ = [
    "CalendarFeed",
    "ComplianceArea",
    "ComplianceCheck",
    "Decision",
    "Due",
    "Message",
    "Notice",
    "Reason",
    "Stage",
    "StageDone",
]


class Due(models.TextChoices):
    PLAN_STATE = "plan_state", "Every school's plan reaches a state"
    POCKET_GUIDE = "pocket_guide", "The year's pocket guide is published"
    SELF_ASSESSMENT = "self_assessment", "Leaders' self-assessment for a term"
    GOVERNOR_RATINGS = "governor_ratings", "Governors' ratings for a term"
    AIM_RATINGS = "aim_ratings", "Trustees' ratings of the trust's aims for a term"
    COMPLIANCE = "compliance", "Each month's compliance checks, per area"
    TASK = "task", "A task each responsible person (or school) marks done"
    NOTHING = "nothing", "Nothing is chased (for information)"


TERM_DUES = {Due.SELF_ASSESSMENT, Due.GOVERNOR_RATINGS, Due.AIM_RATINGS}


class Stage(models.Model):
    """One stage of one year's review cycle."""

    trust = models.ForeignKey("schools.Trust", on_delete=models.CASCADE, related_name="stages")
    academic_year = models.ForeignKey(AcademicYear, on_delete=models.PROTECT, related_name="stages")
    order = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    starts = models.DateField(help_text="When the stage opens (a term's stages follow its rating window).")
    due = models.DateField(help_text="When what it asks is due.")
    responsible = models.CharField(max_length=20, choices=Role.choices, help_text="Who owes what is due.")
    due_kind = models.CharField("what is due", max_length=20, choices=Due.choices, default=Due.TASK)
    plan_state = models.CharField("the state plans must reach", max_length=12, choices=PlanState.choices, blank=True)
    term = models.ForeignKey(TermDates, on_delete=models.CASCADE, null=True, blank=True, related_name="stages")
    told = models.JSONField(
        default=list, blank=True, help_text="The roles told when the stage opens (besides those who owe)."
    )
    remind_days_before = models.PositiveSmallIntegerField(
        default=7, help_text="Owners are reminded this many days before it is due (0: not at all)."
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["academic_year__start_year", "starts", "order", "pk"]
        constraints = [
            models.CheckConstraint(
                name="stage_due_after_it_starts",
                condition=Q(due__gte=models.F("starts")),
                violation_error_message="The stage is due before it starts.",
            ),
            models.CheckConstraint(
                name="stage_plan_state_only_for_plan_stages",
                condition=Q(due_kind="plan_state", plan_state__gt="") | ~Q(due_kind="plan_state"),
                violation_error_message="Say which state the plans must reach.",
            ),
            models.CheckConstraint(
                name="stage_term_for_rating_stages",
                condition=Q(due_kind__in=sorted(TERM_DUES), term__isnull=False) | ~Q(due_kind__in=sorted(TERM_DUES)),
                violation_error_message="A rating stage belongs to a term.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.academic_year.label})"

    def is_open(self, today: datetime.date) -> bool:
        return self.starts <= today

    def is_overdue(self, today: datetime.date) -> bool:
        return today > self.due


class StageDone(models.Model):
    """A task stage marked done, by a school (its head or leaders) or by the trust (school empty)."""

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="done")
    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["stage", "school"], name="stage_done_once_per_school"),
            models.UniqueConstraint(
                fields=["stage"], condition=Q(school__isnull=True), name="stage_done_once_for_the_trust"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stage} done by {self.by}"


class ComplianceArea(models.Model):
    """An area each school checks every month from November to March (safeguarding, health and
    safety...): data the trust keeps, never code."""

    trust = models.ForeignKey("schools.Trust", on_delete=models.CASCADE, related_name="compliance_areas")
    name = models.CharField(max_length=120)
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True, help_text="Checked each month.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "name"]
        constraints = [models.UniqueConstraint(fields=["trust", "name"], name="compliance_area_named_once")]

    def __str__(self) -> str:
        return self.name


class ComplianceCheck(models.Model):
    """One school's check of one area for one month (the month's first day)."""

    class Outcome(models.TextChoices):
        MET = "met", "Met"
        ACTIONS = "actions", "Met with actions"
        NOT_MET = "not_met", "Not met"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="compliance_checks")
    area = models.ForeignKey(ComplianceArea, on_delete=models.PROTECT, related_name="checks")
    month = models.DateField(help_text="The first day of the month checked.")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    notes = models.TextField(blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["month", "area__order"]
        constraints = [
            models.UniqueConstraint(fields=["school", "area", "month"], name="one_check_per_area_per_month"),
            models.CheckConstraint(name="check_month_is_first_day", condition=Q(month__day=1)),
        ]

    def __str__(self) -> str:
        return f"{self.area} at {self.school} for {self.month:%B %Y}: {self.get_outcome_display()}"


class Reason(models.TextChoices):
    # Reminders of a stage (the ladder), in the order they come.
    OPENED = "opened", "The stage opened"
    SOON = "soon", "Due soon"
    DUE = "due", "Due today"
    LATE = "late", "A day late"
    REVIEWER = "reviewer", "Late: told their reviewer"
    CEO = "ceo", "Late: told the CEO"
    # The plan's life, sent when the change commits.
    SUBMITTED = "submitted", "Plan submitted to the LGC"
    RETURNED = "returned", "Plan returned to draft"
    AGREED = "agreed", "Plan agreed by the LGC"
    FINALISED = "finalised", "Plan finalised"
    SIGNED_OFF = "signed_off", "Plan signed off"
    REOPENED = "reopened", "Plan reopened"
    # The May e-mail.
    PUBLISHED = "published", "Pocket guide published"


LADDER = [Reason.OPENED, Reason.SOON, Reason.DUE, Reason.LATE, Reason.REVIEWER, Reason.CEO]
RUNG = {reason: i for i, reason in enumerate(LADDER)}


class Notice(models.Model):
    """A decision to tell one person about one subject for one reason; made once, ever."""

    class State(models.TextChoices):
        WAITING = "waiting", "Waiting for the next digest"
        QUEUED = "queued", "In a message"
        SUPPRESSED = "suppressed", "Held back"

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices")
    subject = models.CharField(max_length=120, help_text="What it is about: stage-12-plan-40, plan-40, guide-3.")
    reason = models.CharField(max_length=12, choices=Reason.choices)
    # What the caps count by: the subject for reminders; the plan for each event of its life.
    topic = models.CharField(max_length=120)
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, null=True, blank=True, related_name="notices")
    text = models.CharField(max_length=400, help_text="The line in the e-mail.")
    url = models.CharField(max_length=300, help_text="The direct link (a path on the site).")
    due = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=10, choices=State.choices, default=State.WAITING)
    why = models.CharField(max_length=300, blank=True, help_text="Why it was held back.")
    message = models.ForeignKey("Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="notices")

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "subject", "reason"], name="one_notice_per_person_subject_reason"
            )
        ]
        indexes = [
            models.Index(fields=["state", "recipient"], name="notice_waiting"),
            models.Index(fields=["recipient", "topic"], name="notice_topic"),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} to {self.recipient}: {self.text}"

    @property
    def rung(self) -> int:
        return RUNG.get(self.reason, len(LADDER))


class Message(models.Model):
    """One e-mail to one person, sent once: its `key` is unique, and the worker marks it sent in
    the transaction that holds its row."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (gave up retrying)"

    class Kind(models.TextChoices):
        NOW = "now", "Sent at once"
        DIGEST = "digest", "Daily digest"

    key = models.CharField(max_length=160, unique=True)
    kind = models.CharField(max_length=6, choices=Kind.choices, default=Kind.NOW)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages")
    to = models.EmailField()
    subject = models.CharField(max_length=250)
    body = models.TextField()
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    send_after = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["state", "send_after"], name="message_to_send"),
            models.Index(fields=["recipient", "-created_at"], name="message_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} to {self.to} ({self.get_state_display()})"

    @property
    def message_id(self) -> str:
        """The same Message-ID on every attempt, so a mail system that sees it twice can tell."""
        domain = getattr(settings, "MESSAGE_ID_DOMAIN", "smart-trust.local")
        return f"<{self.key.replace(' ', '-')}@{domain}>"


class Decision(models.Model):
    """The log the CEO reads: every decision about telling someone, and every one held back."""

    class Outcome(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        HELD = "held", "Held until later"
        SUPPRESSED = "suppressed", "Held back"
        RETRY = "retry", "Failed, will retry"
        FAILED = "failed", "Failed"

    at = models.DateTimeField(default=timezone.now)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(max_length=120)
    reason = models.CharField(max_length=12, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    detail = models.CharField(max_length=400)
    message = models.ForeignKey(Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["-at"], name="decision_latest")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_outcome_display()}: {self.detail}"


def new_token() -> str:
    return secrets.token_urlsafe(24)


class CalendarFeed(models.Model):
    """A person's calendar feed: its address carries `token`, which they can reset."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True, default=new_token)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"
