"""Helpers for the review cycle's tests: a moment in Europe/London, the demo trust's 2023/24
cycle, and the e-mails the locmem backend caught, by person."""

from __future__ import annotations

import datetime
import re
from collections import defaultdict

from django.core import mail
from django.utils import timezone

from plans.models import AcademicYear
from reviews import cycle
from reviews.models import ComplianceArea, Stage
from schools.models import Trust
from smart_trust.demo import demo_email


def at(day: datetime.date | str, hour: int = 9, minute: int = 30) -> datetime.datetime:
    if isinstance(day, str):
        day = datetime.date.fromisoformat(day)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def year_2023() -> AcademicYear:
    return AcademicYear.objects.get(start_year=2023)


def stages_2023() -> list[Stage]:
    return cycle.ensure_cycle(Trust.objects.get(), year_2023())


def stage(name_start: str) -> Stage:
    return next(s for s in stages_2023() if s.name.startswith(name_start))


def areas(*names: str) -> list[ComplianceArea]:
    trust = Trust.objects.get()
    return [ComplianceArea.objects.get_or_create(trust=trust, name=n, defaults={"order": i})[0] for i, n in
            enumerate(names)]  # fmt: skip


def inbox() -> dict[str, list[mail.EmailMessage]]:
    """The e-mails sent so far, by recipient's local part (head, governor, ceo...)."""
    found: dict[str, list] = defaultdict(list)
    for message in mail.outbox:
        for to in message.to:
            found[to.split("@")[0]].append(message)
    return found


def mailbox(local: str) -> list[mail.EmailMessage]:
    return [m for m in mail.outbox if demo_email(local) in m.to]


def links(body: str) -> list[str]:
    return re.findall(r"https?://\S+", body)
