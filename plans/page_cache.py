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

import logging
from collections.abc import Callable

from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from .models import ContentVersion

log = logging.getLogger(__name__)

# A day: entries of versions that have moved on go by themselves; a quiet page is rendered daily.
TIMEOUT = 24 * 60 * 60


def strategic_version() -> str:
    """The version of the trust's plan content, as a cache key part (one query)."""
    row = ContentVersion.objects.order_by("pk").first()
    if row is None:
        row, _ = ContentVersion.objects.get_or_create(pk=1)
    return f"{row.epoch}.{row.version}"


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


def kept_many(prefix: str, keys: dict, compute: Callable[[list], dict]) -> dict:
    """Values kept per key, for many things at once: `keys` maps each thing (a plan's id, say) to
    the key its value is valid for (its content version and whatever else it depends on). Found
    ones come from the cache in one round trip; `compute` is called once with the things missing
    and returns their values, which are kept. A thing `compute` leaves out counts as 0."""
    names = {thing: f"{prefix}:{key}" for thing, key in keys.items()}
    try:
        found = cache.get_many(list(names.values()))
    except Exception:  # noqa: BLE001 - a cache that is down is a miss, never an error page
        log.warning("Cache unavailable; computing %s", prefix, exc_info=True)
        found = {}
    values = {thing: found[name] for thing, name in names.items() if name in found}
    missing = [thing for thing in names if thing not in values]
    if missing:
        computed = compute(missing)
        fresh = {thing: computed.get(thing, 0) for thing in missing}
        values.update(fresh)
        try:
            cache.set_many({names[thing]: value for thing, value in fresh.items()}, TIMEOUT)
        except Exception:  # noqa: BLE001
            log.warning("Cache unavailable; not keeping %s", prefix, exc_info=True)
    return values


def rendered(key: tuple, template: str, context: Callable[[], dict]) -> SafeString:
    """`template` rendered with `context()`, from the cache when this key has been rendered
    before. `key` names the page, the content version(s) and the audience; `context` is called
    only on a miss, so its queries run only then."""
    name = "page:" + ":".join(str(part) for part in key)
    try:
        html = cache.get(name)
    except Exception:  # noqa: BLE001 - a cache that is down is a miss, never an error page
        log.warning("Page cache unavailable; rendering %s", name, exc_info=True)
        html = None
    if html is None:
        html = render_to_string(template, context())
        try:
            cache.set(name, html, TIMEOUT)
        except Exception:  # noqa: BLE001
            log.warning("Page cache unavailable; not keeping %s", name, exc_info=True)
    return mark_safe(html)  # noqa: S308 - rendered by our own template, autoescaped
