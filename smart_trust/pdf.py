"""PDFs: rendered by WeasyPrint from the same templates and data as the pages, kept in storage once
per version of their content.

- **Nothing from the network.** A render reads only the app's own static and media files, through
  `LocalFiles`, a URL fetcher that maps the site's /static/ and /media/ addresses to files on disk
  and refuses everything else (other hosts, file://, data:), logging each refusal. The fonts ship
  in static/fonts (DejaVu Sans Condensed, under its own free licence), so a PDF looks the same on
  every machine.
- **Accessible.** Every PDF is tagged (WeasyPrint's PDF/UA-1 variant): a structure tree, the
  document's title and language from the HTML, bookmarks from its headings.
- **Rendered once per version.** `stored()` looks the version's row up (RenderedDocument, its key
  naming everything the content depends on) and serves the file; the first request for a new
  version renders it while holding a PostgreSQL advisory lock on the key, so eight people arriving
  in the same second wait for one render and then read its file. Long renders go to Celery
  (`requested()` and `render_task`), and the page shows their progress.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import mimetypes
import os
import resource
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.db import IntegrityError, connection, transaction
from django.http import FileResponse
from django.utils import timezone

from .models import RenderedDocument
from .rendered import TIMEOUT, _cache, data_version, kept

log = logging.getLogger(__name__)

# Part of every key: bump it when the PDF templates or their stylesheet change, so every PDF is
# rendered afresh with the new look.
STYLE_VERSION = "1"


def storage():
    return storages["pdfs"]


# --- fetching only our own files -------------------------------------------------------------


def local_file(url: str):
    """The file on disk that a URL in a PDF's HTML names, if it is one of the app's own static or
    media files; else None."""
    parts = urlsplit(url)
    site = urlsplit(settings.SITE_URL)
    if (parts.scheme, parts.netloc) != (site.scheme, site.netloc):
        return None
    path = unquote(parts.path)
    static = "/" + settings.STATIC_URL.strip("/") + "/"
    media = "/" + settings.MEDIA_URL.strip("/") + "/"
    try:
        if path.startswith(static):
            name = path[len(static) :]
            # The source files first (a collected copy may be older while developing); a hashed
            # name exists only among the collected files (production's manifest storage).
            found = finders.find(name)
            if found is None:
                try:
                    found = staticfiles_storage.path(name)
                except (NotImplementedError, SuspiciousFileOperation):
                    return None
                found = found if _exists(found) else None
            return found
        if path.startswith(media):
            found = default_storage.path(path[len(media) :])
            return found if _exists(found) else None
    except SuspiciousFileOperation:
        return None
    return None


def _exists(path) -> bool:
    return os.path.isfile(path)


class LocalFiles:
    """WeasyPrint's URL fetcher for our renders: our own static and media files, nothing else."""

    # Read by WeasyPrint when a fetch fails: a refused resource is left out, the render goes on.
    _fail_on_errors = False

    def __init__(self):
        self.refused: list[str] = []

    def __call__(self, url: str, headers=None):
        return self.fetch(url, headers)

    def fetch(self, url: str, headers=None):
        from weasyprint.urls import URLFetcherResponse

        path = local_file(url)
        if path is None:
            self.refused.append(url)
            log.warning("PDF render refused to fetch %s (only the app's static and media files)", url[:200])
            raise ValueError(f"Not fetched: {url[:200]} (a PDF reads only the app's own files)")
        mime = mimetypes.guess_type(path)[0] or "application/octet-stream"
        with open(path, "rb") as handle:
            return URLFetcherResponse(url, body=handle.read(), headers={"Content-Type": mime})


# --- rendering -------------------------------------------------------------------------------


@dataclass
class Layout:
    """A laid-out document, before it is written: its pages can be counted (to fit one page)."""

    document: object
    fetcher: LocalFiles

    @property
    def pages(self) -> int:
        return len(self.document.pages)


def lay_out(html: str) -> Layout:
    from weasyprint import HTML

    fetcher = LocalFiles()
    document = HTML(string=html, base_url=settings.SITE_URL + "/", url_fetcher=fetcher).render(pdf_variant="pdf/ua-1")
    return Layout(document, fetcher)


@dataclass
class Rendered:
    content: bytes
    pages: int
    notes: str = ""
    refused: list[str] = field(default_factory=list)


def write(layout: Layout, notes: str = "") -> Rendered:
    content = layout.document.write_pdf(pdf_variant="pdf/ua-1")
    return Rendered(content=content, pages=layout.pages, notes=notes, refused=layout.fetcher.refused)


def render(html: str) -> Rendered:
    return write(lay_out(html))


def fit_one_page(html_at: Callable[[float], str], sizes: list[float], what: str) -> Rendered:
    """The largest type size in `sizes` (largest first) at which the page fits on one page; when
    none does, the smallest size's pages and a note saying so (no text is ever cut)."""
    first = lay_out(html_at(sizes[0]))
    if first.pages == 1:
        return write(first)
    smallest = lay_out(html_at(sizes[-1]))
    if smallest.pages > 1:
        note = (
            f"{what} does not fit on one page even at the smallest type ({sizes[-1]:g} pt): it runs to "
            f"{smallest.pages} pages. Shorten the longest milestones or headlines to bring it back to one page."
        )
        return write(smallest, note)
    # Somewhere between: halve the sizes left until the largest that fits is found.
    best, low, high = smallest, 1, len(sizes) - 2  # sizes[0] is too big, sizes[-1] fits
    while low <= high:
        middle = (low + high) // 2
        layout = lay_out(html_at(sizes[middle]))
        if layout.pages == 1:
            best, high = layout, middle - 1
        else:
            low = middle + 1
    return write(best)


# --- kept once per version --------------------------------------------------------------------


def key_for(kind: str, *parts) -> str:
    """The key of a PDF's content: its kind, the style's version and what it shows (ids, content
    versions, the branding)."""
    return hashlib.sha256(repr((kind, STYLE_VERSION, *parts)).encode()).hexdigest()


@dataclass(frozen=True)
class Stored:
    """What a download needs of a ready PDF (kept in the cache, so a repeat download reads no row)."""

    file: str
    title: str
    pages: int
    notes: str


def _ready(key: str) -> Stored | None:
    def look() -> Stored | None:
        row = RenderedDocument.objects.filter(key=key, state=RenderedDocument.State.READY).first()
        return Stored(row.file, row.title, row.pages, row.notes) if row else None

    return kept(f"pdf:{key}", look)


# Within one process on a database without advisory locks (SQLite, the quick start).
_local_lock = threading.Lock()


def _lock(key: str) -> None:
    """Hold the key's advisory lock until the transaction ends (PostgreSQL); elsewhere one render
    at a time in this process."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int(key[:15], 16)])


def _save(row: RenderedDocument, made: Rendered, started: float) -> RenderedDocument:
    name = storage().save(f"{row.kind}/{row.key[:2]}/{row.key}.pdf", ContentFile(made.content))
    row.file, row.pages, row.size, row.notes = name, made.pages, len(made.content), made.notes
    row.seconds = round(time.perf_counter() - started, 3)
    row.state, row.error, row.finished_at = RenderedDocument.State.READY, "", timezone.now()
    row.save()
    log.info("Rendered %s: %s pages, %s bytes in %.2f s", row.title, row.pages, row.size, row.seconds)
    return row


def stored(kind: str, key: str, title: str, make: Callable[[], Rendered]) -> Stored:
    """The PDF for this key: from storage when it has been rendered, else rendered now, once,
    however many ask at the same moment (they wait on the key's lock, then read the one file)."""
    found = _ready(key)
    if found is not None:
        return found
    with _local_lock if connection.vendor != "postgresql" else contextlib.nullcontext(), transaction.atomic():
        _lock(key)
        row = RenderedDocument.objects.filter(key=key).first()
        if row is None or row.state != RenderedDocument.State.READY:
            started = time.perf_counter()
            made = make()
            row = row or RenderedDocument(kind=kind, key=key, title=title[:300])
            try:
                with transaction.atomic():
                    row = _save(row, made, started)
            except IntegrityError:  # rendered by another process meanwhile (no advisory lock)
                row = RenderedDocument.objects.get(key=key)
    return _ready(key) or Stored(row.file, row.title, row.pages, row.notes)


def requested(kind: str, key: str, title: str, task_args: list) -> RenderedDocument:
    """For long renders: the row for this key, asking a worker to render it if nobody has yet
    (smart_trust.tasks.render_pdf, through the outbox, so the request never waits on the broker)."""
    from .jobs import enqueue
    from .tasks import render_pdf

    row = RenderedDocument.objects.filter(key=key).first()
    if row is not None and row.state != RenderedDocument.State.FAILED:
        return row
    with transaction.atomic():
        _lock(key)
        row = RenderedDocument.objects.filter(key=key).first()
        if row is None:
            row = RenderedDocument.objects.create(kind=kind, key=key, title=title[:300])
        elif row.state == RenderedDocument.State.FAILED:
            row.state, row.error = RenderedDocument.State.RENDERING, ""
            row.save(update_fields=["state", "error"])
        else:
            return row
        enqueue(render_pdf, kind, key, *task_args)
    return row


# What renders each kind of long PDF in a worker: kind -> function(*task_args) -> Rendered.
# Apps register theirs (plans.pdf registers the full plan) when they are loaded.
RENDERERS: dict[str, Callable[..., Rendered]] = {}


def render_now(kind: str, key: str, *args) -> str:
    """Run in the worker: render the row's PDF if nobody has (safe to run twice)."""
    with transaction.atomic():
        _lock(key)
        row = RenderedDocument.objects.filter(key=key).first()
        if row is None or row.state == RenderedDocument.State.READY:
            return "nothing to do"
        started = time.perf_counter()
        try:
            made = RENDERERS[kind](*args)
        except Exception as exc:
            log.exception("Rendering %s failed", row.title)
            row.state, row.error = RenderedDocument.State.FAILED, f"{type(exc).__name__}: {exc}"[:2000]
            row.save(update_fields=["state", "error"])
            return "failed"
        _save(row, made, started)
    return "rendered"


def forget(key: str) -> None:
    """Drop a version's row and kept entry (its file was lost from storage): the next request
    renders it again."""
    RenderedDocument.objects.filter(key=key).delete()
    _cache("delete", f"pdf:{key}")


def served(
    kind: str, key: str, title: str, make: Callable[[], Rendered], filename: str, *, public: tuple | None = None
) -> FileResponse:
    """The PDF for this key as a download (rendered first if it never has been); a file lost from
    storage is rendered again rather than answered with an error. `public` = (path, version name,
    version) enters a PDF that anyone may read for the fast path (publish)."""
    found = stored(kind, key, title, make)
    try:
        handle = storage().open(found.file, "rb")
    except FileNotFoundError:
        log.warning("PDF %s was missing from storage; rendering it again", found.file)
        forget(key)
        found = stored(kind, key, title, make)
        handle = storage().open(found.file, "rb")
    if public is not None:
        publish(*public, found, filename)
    return download(handle, filename)


# --- the public fast path -----------------------------------------------------------------------
#
# The pocket guide is e-mailed to every member of staff in May: a thousand people open the same
# file within minutes. A PDF that anyone may read, and that is the same for everyone (a published
# guide), is entered here by its view once it has decided so; PublicPdfMiddleware then answers its
# address from the entry, before the session, sign-in and the rest of the page machinery: one cache
# read and one query (is the content still at the version the file was rendered from?). Anything
# else, or a version that has moved on, goes to the view as before.

PUBLIC = "smart-trust:pdf-public:"


class PublicEntries:
    """Where the fast path's entries live: Redis itself, through one client kept for the process
    (Django's Redis cache builds a client for every call, which cost more than the rest of the fast
    path), or Django's cache where there is no Redis (the quick start, the unit tests). A Redis that
    is down is a miss: the view answers."""

    def __init__(self):
        self._client = None
        self._lock = threading.Lock()

    def _redis(self):
        if not settings.REDIS_URL:
            return None
        if self._client is None:
            import redis

            with self._lock:
                self._client = self._client or redis.Redis.from_url(
                    settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1
                )
        return self._client

    def get(self, path: str) -> list | None:
        client = self._redis()
        if client is None:
            return _cache("get", PUBLIC + path)
        try:
            raw = client.get(PUBLIC + path)
        except Exception:  # noqa: BLE001 - a cache that is down costs only the view's work
            log.warning("Redis unavailable for the public PDF entries", exc_info=True)
            return None
        return json.loads(raw) if raw else None

    def set(self, path: str, entry: list) -> None:
        client = self._redis()
        if client is None:
            _cache("set", PUBLIC + path, entry, TIMEOUT)
            return
        try:
            client.set(PUBLIC + path, json.dumps(entry), ex=TIMEOUT)
        except Exception:  # noqa: BLE001
            log.warning("Redis unavailable for the public PDF entries", exc_info=True)

    def clear(self) -> None:
        """Every entry gone (the tests start each from none)."""
        client = self._redis()
        if client is None:
            return  # in Django's cache, cleared with it
        for key in client.scan_iter(PUBLIC + "*"):
            client.delete(key)

    def delete(self, path: str) -> None:
        client = self._redis()
        if client is None:
            _cache("delete", PUBLIC + path)
        else:
            client.delete(PUBLIC + path)


public_entries = PublicEntries()


def publish(path: str, version_name: str, version: str, found: Stored, filename: str) -> None:
    """Let the fast path serve this stored PDF at `path` to anyone while the data version
    `version_name` stays at `version`. Only for PDFs that anyone may read, the same for all."""
    public_entries.set(path, [version_name, version, found.file, filename])


class PublicPdfMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "GET" and request.path_info.endswith("/pdf/"):
            entry = public_entries.get(request.path_info)
            if entry is not None:
                version_name, version, name, filename = entry
                if data_version(version_name) == version:
                    try:
                        handle = storage().open(name, "rb")
                    except FileNotFoundError:
                        pass  # the view renders it again
                    else:
                        response = download(handle, filename)
                        response["Cache-Control"] = "public, max-age=300"
                        response["X-Frame-Options"] = "DENY"
                        return response
        return self.get_response(request)


def download(handle, filename: str) -> FileResponse:
    """A stored PDF as a response, shown in the browser; private to the person (the URL checked
    their permission)."""
    response = FileResponse(handle, content_type="application/pdf", filename=filename)
    response["Cache-Control"] = "private, max-age=300"
    return response


def peak_memory_mb() -> float:
    """This process's peak resident memory so far (the bench reports it around a render)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
