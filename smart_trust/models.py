"""What the project itself keeps: jobs waiting for the broker, when a worker last answered, and
the versions of data that kept page parts are keyed on."""

import uuid

from django.db import models


class OutboxJob(models.Model):
    """A job written in the same transaction as the change that asked for it. It is handed to the
    broker after commit and deleted once the broker has it; while the broker is down it waits
    here and the worker's heartbeat sends it later, so a request never waits and no job is lost."""

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    created = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.task} #{self.pk}"


class Heartbeat(models.Model):
    """One row per periodic signal; the worker's heartbeat task writes "worker" every half minute."""

    name = models.CharField(max_length=40, primary_key=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"


class DataVersion(models.Model):
    """How many times a body of data has changed ("people": every person, role and school;
    "plan-content": every row of the strategic plan), moved on in the same transaction as each
    change (smart_trust.rendered.data_changed), so what is kept per version is never outdated.
    `epoch` is new with every new database, so a cache that outlives one never answers for
    another."""

    name = models.CharField(max_length=40, primary_key=True)
    epoch = models.UUIDField(default=uuid.uuid4, editable=False)
    number = models.PositiveBigIntegerField(default=1)

    def __str__(self) -> str:
        return f"{self.name} {self.epoch}.{self.number}"


class RenderedDocument(models.Model):
    """One PDF rendered for one version of its content (smart_trust.pdf). `key` names everything
    the content depends on, so a change makes a new row and the thousand people who download the
    same version read one file: the row is written once, by the one render that made it."""

    class State(models.TextChoices):
        RENDERING = "rendering", "Being prepared"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=40)
    key = models.CharField(max_length=64, unique=True)
    title = models.CharField(max_length=300)
    state = models.CharField(max_length=10, choices=State.choices, default=State.RENDERING)
    file = models.CharField(max_length=300, blank=True, help_text="The name in the PDF storage.")
    pages = models.PositiveIntegerField(default=0)
    size = models.PositiveIntegerField(default=0, help_text="Bytes.")
    seconds = models.FloatField(default=0, help_text="How long the render took.")
    notes = models.TextField(blank=True, help_text="What the person who publishes it should know (it did not fit).")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["kind", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_state_display()})"
