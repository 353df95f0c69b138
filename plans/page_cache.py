"""Rendered parts of pages, kept per version of the content they show.

The plan's public pages (contents, an aim, a pocket guide) and a school plan's pages show content
that changes a few times a year and is read thousands of times a day. The costly part of each page
(its queries and the template) is rendered once per version of that content and per audience, and
kept in the shared cache (Redis in production, so every web process sees the same entries and a
second server misses nothing). An entry is never invalidated: a change moves the version on, so
the next request asks for a new key; old entries expire. A cache that is down or empty costs only
the render it would have saved.

What goes in an entry is the same for everyone in its audience: nothing personal (no name, no
CSRF token) is rendered into it. The page around it (menu, sign-in, forms) is rendered per request.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import F

from governance import policy
from smart_trust.rendered import digest, kept, kept_many, rendered

from .models import ContentVersion

__all__ = [
    "audience",
    "digest",
    "kept",
    "kept_many",
    "plan_key",
    "rendered",
    "strategic_content_changed",
    "strategic_version",
]


def audience(user) -> str:
    """Whom a kept part of a plan page is for: those who see drafts (draft guides, a draft plan)
    see more than everyone else."""
    return "drafts" if policy.sees_drafts(user) else "published"


def strategic_version() -> str:
    """The version of the trust's plan content, as a cache key part (one query)."""
    # Plain SQL: asked on every plan page, and the ORM's building of the query cost more than
    # the database's answer.
    with connection.cursor() as cursor:
        cursor.execute(VERSION_SQL)
        row = cursor.fetchone()
    if row is None:
        made, _ = ContentVersion.objects.get_or_create(pk=1)
        row = (made.epoch, made.version)
    return f"{row[0]}.{row[1]}"


VERSION_SQL = f"SELECT epoch, version FROM {ContentVersion._meta.db_table} ORDER BY id LIMIT 1"  # noqa: S608 - no input


def strategic_content_changed() -> None:
    """Move the plan content's version on, in the caller's transaction (plans.signals calls it on
    every write to the plan, its aims, strands, pocket guides and the rest)."""
    with transaction.atomic():
        if not ContentVersion.objects.update(version=F("version") + 1):
            ContentVersion.objects.get_or_create(pk=1)


def plan_key(pk: int, created_at, content_version: int) -> str:
    """A school plan's content version as a key part: with the moment the plan was made, so a
    cache that outlives its database (a demo loaded again) never matches another database's plan."""
    return f"{pk}.{created_at.timestamp():.6f}.{content_version}"
