"""Rendered parts of pages and computed values, kept in the shared cache under a key that names
everything they depend on: a content version (plans.page_cache) or a digest of the very data a
part shows. An entry is never invalidated: a change makes a new key; old entries expire. A cache
that is down or empty costs only the work it would have saved. Nothing personal that must not be
shared (a CSRF token) is ever rendered into an entry; an entry that shows a person's own data has
the person in its key."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from .models import DataVersion

log = logging.getLogger(__name__)

# A day: entries of versions that have moved on go by themselves; a quiet page is rendered daily.
TIMEOUT = 24 * 60 * 60


def data_version(name: str) -> str:
    """The version of a body of data (DataVersion), as a key part: one plain SQL statement (asked
    on every page that keeps a part on it, where the ORM's building of a query cost more than the
    answer)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT epoch, number FROM {DataVersion._meta.db_table} WHERE name = %s", [name])  # noqa: S608
        row = cursor.fetchone()
    if row is None:
        made, _ = DataVersion.objects.get_or_create(name=name)
        row = (made.epoch, made.number)
    return f"{row[0]}.{row[1]}"


def data_versions(*names: str) -> str:
    """The versions of several bodies of data as one key part, in one query (data_version for each
    that has no row yet)."""
    with connection.cursor() as cursor:
        marks = ", ".join(["%s"] * len(names))
        cursor.execute(
            f"SELECT name, epoch, number FROM {DataVersion._meta.db_table} WHERE name IN ({marks})",  # noqa: S608
            list(names),
        )
        found = {name: f"{epoch}.{number}" for name, epoch, number in cursor.fetchall()}
    return ":".join(found.get(name) or data_version(name) for name in names)


def data_changed(name: str) -> None:
    """Move a body of data's version on, in the caller's transaction."""
    with transaction.atomic():
        if not DataVersion.objects.filter(name=name).update(number=F("number") + 1):
            DataVersion.objects.get_or_create(name=name)


def digest(parts) -> str:
    """A key part standing for `parts` (tuples of plain values: what a page part shows)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _cache(operation: str, *args, default=None):
    """One call to the cache; a cache that is down answers `default` (a miss, or nothing kept),
    never an error page."""
    try:
        return getattr(cache, operation)(*args)
    except Exception:  # noqa: BLE001 - the cache saves work; without it the work is done
        log.warning("Cache unavailable for %s", operation, exc_info=True)
        return default


def kept(name: str, compute: Callable[[], object]):
    """A value kept under `name` (which names the version it is valid for): from the cache when
    there, else `compute()`, kept unless it is None. A cache that is down is a miss."""
    value = _cache("get", name)
    if value is None:
        value = compute()
        if value is not None:
            _cache("set", name, value, TIMEOUT)
    return value


def kept_many(prefix: str, keys: dict, compute: Callable[[list], dict]) -> dict:
    """Values kept per key, for many things at once: `keys` maps each thing (a plan's id, say) to
    the key its value is valid for (its content version and whatever else it depends on). Found
    ones come from the cache in one round trip; `compute` is called once with the things missing
    and returns their values, which are kept. A thing `compute` leaves out counts as 0."""
    names = {thing: f"{prefix}:{key}" for thing, key in keys.items()}
    found = _cache("get_many", list(names.values()), default={})
    values = {thing: found[name] for thing, name in names.items() if name in found}
    missing = [thing for thing in names if thing not in values]
    if missing:
        computed = compute(missing)
        fresh = {thing: computed.get(thing, 0) for thing in missing}
        values.update(fresh)
        _cache("set_many", {names[thing]: value for thing, value in fresh.items()}, TIMEOUT)
    return values


def rendered(key: tuple, template: str, context: Callable[[], dict]) -> SafeString:
    """`template` rendered with `context()`, from the cache when this key has been rendered
    before. `key` names the page, the content version(s) and the audience; `context` is called
    only on a miss, so its queries run only then."""
    name = "page:" + ":".join(str(part) for part in key)
    html = kept(name, lambda: render_to_string(template, context()))
    return mark_safe(html)  # noqa: S308 - rendered by our own template, autoescaped
