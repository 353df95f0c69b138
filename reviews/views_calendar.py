"""The review cycle's calendar: a year's stages for the person (their own, their school's or all),
and their calendar feed, which calendar apps read without signing in.

The feed's address carries a secret token that names the person (reviews.models_cycle.CalendarFeed);
resetting it makes the old address stop working at once. The feed holds only the person's own
stages (selectors_calendar.feed_rows), never what other people or schools still owe.
"""

from __future__ import annotations

import datetime
from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET, require_POST, require_safe

from governance.models import User
from schools.models import Trust

from . import selectors_calendar as selectors
from .models_cycle import CalendarFeed, new_token

ONE_DAY = datetime.timedelta(days=1)


def _trust_of(user: User) -> Trust:
    trust = Trust.objects.of_person(user)
    if trust is None:
        raise Http404("There is no trust yet.")
    return trust


def feed_url(feed: CalendarFeed) -> str:
    return settings.SITE_URL + reverse("cycle:feed", kwargs={"token": feed.token})


@login_required
@require_GET
def calendar(request: HttpRequest) -> HttpResponse:
    trust = _trust_of(request.user)
    today = timezone.localdate()
    current = selectors.current_year(trust, today)
    years = selectors.years_with_stages(trust, current)
    slug = request.GET.get("year")
    year = selectors.year_in(years, slug) if slug else current
    if year is None:
        raise Http404("There is no review cycle for that year.")
    page = selectors.calendar_page(
        request.user, trust, year=year, years=years, current=current, show=request.GET.get("show"), today=today
    )
    feed, _ = CalendarFeed.objects.get_or_create(user=request.user)
    address = feed_url(feed)
    return render(
        request,
        "reviews/cycle/calendar.html",
        {"page": page, "feed_url": address, "webcal_url": "webcal://" + address.split("://", 1)[-1]},
    )


@login_required
@require_POST
def feed_reset(request: HttpRequest) -> HttpResponse:
    with transaction.atomic():
        feed, made = CalendarFeed.objects.select_for_update().get_or_create(user=request.user)
        if not made:
            feed.token = new_token()
            feed.created_at = timezone.now()
            feed.save(update_fields=["token", "created_at"])
    messages.success(
        request,
        "Your calendar feed has a new address. The old one no longer works: subscribe again with the new one.",
    )
    return redirect(f"{reverse('cycle:calendar')}#feed")


@require_safe  # calendar apps may ask with HEAD first
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The person's stages as an iCalendar feed; the token is the only key (calendar apps cannot sign in)."""
    found = CalendarFeed.objects.select_related("user").filter(token=token, user__is_active=True).first()
    if found is None:
        raise Http404("No such calendar feed.")
    person = found.user
    trust = _trust_of(person)
    rows = selectors.feed_rows(person, trust, timezone.localdate())
    response = HttpResponse(feed_ics(trust, rows), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{trust.slug}-review-cycle.ics"'
    response["X-Robots-Tag"] = "noindex, nofollow"
    # The feed is the person's own: no shared cache keeps it, and a reset address stops at once.
    patch_cache_control(response, private=True, no_store=True)
    return response


def feed_ics(trust: Trust, rows: list[selectors.StageRow]) -> bytes:
    """One all-day event for each stage's period and one on its due date; UIDs stay the same from
    one read to the next so calendar apps update the events rather than add copies."""
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    name = trust.short_name or trust.name
    cal = icalendar.Calendar()
    cal.add("prodid", "-//SMART Trust Planning//Review cycle//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"{name} review cycle")
    cal.add("x-wr-caldesc", f"Your stages of the {trust.name} review cycle, from SMART Trust Planning.")
    stamp = timezone.now()
    for row in rows:
        stage = row.stage
        link = settings.SITE_URL + reverse("cycle:stage", kwargs={"pk": stage.pk})
        about = "\n".join(
            part
            for part in [
                f"What is due: {stage.get_due_kind_display()}.",
                f"Responsible: {stage.get_responsible_display()}.",
                stage.description,
                link,
            ]
            if part
        )
        for uid, summary, starts, ends in [
            (f"stage-{stage.pk}@{domain}", stage.name, stage.starts, stage.due + ONE_DAY),
            (f"stage-{stage.pk}-due@{domain}", f"Due: {stage.name}", stage.due, stage.due + ONE_DAY),
        ]:
            event = icalendar.Event()
            event.add("uid", uid)
            event.add("dtstamp", stamp)
            event.add("dtstart", starts)
            event.add("dtend", ends)
            event.add("summary", summary)
            event.add("description", about)
            event.add("url", link)
            event.add("transp", "TRANSPARENT")  # a stage spans weeks: it never makes the person look busy
            cal.add_component(event)
    return cal.to_ical()
