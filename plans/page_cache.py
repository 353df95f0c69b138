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

from governance import policy
from smart_trust.rendered import data_changed, data_version, digest, kept, kept_many, rendered

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


# The data version (smart_trust.DataVersion) of the strategic plan's content.
PLAN_CONTENT = "plan-content"


def strategic_version() -> str:
    """The version of the trust's plan content, as a cache key part (one query)."""
    return data_version(PLAN_CONTENT)


def strategic_content_changed() -> None:
    """Move the plan content's version on, in the caller's transaction (plans.signals calls it on
    every write to the plan, its aims, strands, pocket guides and the rest)."""
    data_changed(PLAN_CONTENT)


def plan_key(pk: int, created_at, content_version: int) -> str:
    """A school plan's content version as a key part: with the moment the plan was made, so a
    cache that outlives its database (a demo loaded again) never matches another database's plan."""
    return f"{pk}.{created_at.timestamp():.6f}.{content_version}"
