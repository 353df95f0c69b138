"""An action, a success criterion and evidence repeat their parent's plan; the database makes sure
the two agree. On PostgreSQL a composite foreign key (child's parent id, plan) -> parent (id, plan)
refuses a mismatch; the unique constraints on (id, plan) are what it points at. Other databases
rely on the check in plans.services.

Trust priorities were started with the milestone's number in their title ("1. Equitable
progress"), which the page then numbered again; the number goes (the page numbers by place)."""

import re

from django.db import migrations, models
from django.utils import timezone

NUMBERED = re.compile(r"^\s*\d+(\.\d+)*[.)]\s+")


def unnumber_trust_priorities(apps, schema_editor):
    """Each changed title also gets a history row, so the history (the plan as it was, compare,
    restore) agrees with the data."""
    Priority = apps.get_model("plans", "Priority")
    HistoricalPriority = apps.get_model("plans", "HistoricalPriority")
    now = timezone.now()
    for priority in Priority.objects.exclude(milestone=None):
        title = NUMBERED.sub("", priority.title)
        if title and title != priority.title:
            Priority.objects.filter(pk=priority.pk).update(title=title)
            priority.title = title
            HistoricalPriority.objects.create(
                **{f.attname: getattr(priority, f.attname) for f in Priority._meta.concrete_fields},
                history_date=now,
                history_type="~",
                history_change_reason="Milestone number taken off the title (the page numbers priorities)",
            )


COMPOSITE_KEYS = [
    # (table, constraint, child columns, parent table)
    ("plans_action", "action_plan_is_its_prioritys", "priority_id, plan_id", "plans_priority"),
    ("plans_successcriterion", "criterion_plan_is_its_actions", "action_id, plan_id", "plans_action"),
    ("plans_evidence", "evidence_plan_is_its_actions", "action_id, plan_id", "plans_action"),
]


def add_composite_keys(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, name, columns, parent in COMPOSITE_KEYS:
        schema_editor.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY ({columns}) "
            f"REFERENCES {parent} (id, plan_id) DEFERRABLE INITIALLY IMMEDIATE"
        )


def drop_composite_keys(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, name, _columns, _parent in COMPOSITE_KEYS:
        schema_editor.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0003_plan_shapes"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="action",
            constraint=models.UniqueConstraint(fields=("id", "plan"), name="action_id_plan_unique"),
        ),
        migrations.AddConstraint(
            model_name="priority",
            constraint=models.UniqueConstraint(fields=("id", "plan"), name="priority_id_plan_unique"),
        ),
        migrations.RunPython(add_composite_keys, drop_composite_keys, elidable=False),
        migrations.RunPython(unnumber_trust_priorities, migrations.RunPython.noop),
    ]
