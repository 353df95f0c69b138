"""School days and working hours: when the review cycle may send mail. No mail in the evening, at
weekends or in the school holidays, which come from the term dates (a day in none of its year's
terms is a holiday)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone

from .models import TermDates


def working_hours() -> tuple[int, int]:
    return getattr(settings, "NOTICE_WORKING_HOURS", (8, 18))


class Calendar:
    """Which days are school days, from the term dates: a weekday in one of its year's terms. For
    an academic year whose terms are not known, every weekday counts."""

    def __init__(self, terms: Iterable[TermDates] | None = None):
        terms = list(TermDates.objects.select_related("academic_year")) if terms is None else list(terms)
        self.spans: dict[int, list[tuple[datetime.date, datetime.date]]] = defaultdict(list)
        for t in terms:
            self.spans[t.academic_year.start_year].append((t.starts, t.ends))

    def in_term(self, day: datetime.date) -> bool:
        spans = self.spans.get(day.year if day.month >= 9 else day.year - 1)
        if not spans:
            return True
        return any(a <= day <= b for a, b in spans)

    def is_school_day(self, day: datetime.date) -> bool:
        return day.weekday() < 5 and self.in_term(day)

    def why_not(self, moment: datetime.datetime) -> str:
        """Why mail may not go now ("" when it may)."""
        local = timezone.localtime(moment)
        first, last = working_hours()
        if local.weekday() >= 5:
            return "the weekend"
        if not self.in_term(local.date()):
            return "the school holidays"
        if not first <= local.hour < last:
            return "outside working hours"
        return ""

    def next_open(self, moment: datetime.datetime) -> datetime.datetime:
        """The next moment mail may go: now, or the next school day's first working hour."""
        if not self.why_not(moment):
            return moment
        local = timezone.localtime(moment)
        first, last = working_hours()
        day = local.date() if local.hour < first else local.date() + datetime.timedelta(days=1)
        for _ in range(400):
            if self.is_school_day(day):
                break
            day += datetime.timedelta(days=1)
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(first)))
