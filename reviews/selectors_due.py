"""What is due, for the home page: from the person, from their school (for its head), and across
the trust (for the CEO), overdue first. Read from reviews.cycle.owing, which is kept per day and
per version of the data it reads, so the home page costs a couple of queries whatever the number
of schools, and a change (a plan moved on, a rating, a check recorded) shows at once.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.urls import reverse

from governance import policy
from schools.models import Trust

from . import cycle
from .models_cycle import TERM_DUES
from .models_cycle import Due as DueKind


@dataclass(frozen=True)
class DueItem:
    text: str
    url: str
    due: datetime.date
    overdue: bool
    stage: str
    progress: str = ""  # "3 of 7"
    who: str = ""  # for items due from others: whose turn it is
    done_url: str = ""  # a task the person marks done from the home page (one click, not two)
    school_id: int | None = None

    @property
    def when(self) -> str:
        return f"overdue since {self.due:%-d %B %Y}" if self.overdue else f"due {self.due:%-d %B %Y}"


@dataclass(frozen=True)
class StageLine:
    """One stage across the trust: how many things are still owed, how many overdue."""

    name: str
    url: str
    due: datetime.date
    owed: int
    overdue: int


@dataclass
class Due:
    mine: list[DueItem] = field(default_factory=list)
    school: list[DueItem] = field(default_factory=list)
    school_names: str = ""
    trust: list[StageLine] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.mine or self.school or self.trust)


def _order(items: list[DueItem]) -> list[DueItem]:
    """Overdue first, then by date; one line for one thing to do (a school with no SDP owes it to
    two stages, the first drafts and the finalising: it is shown once, at its first date)."""
    ordered = sorted(items, key=lambda i: (not i.overdue, i.due, i.text))
    seen: set[tuple[str, str]] = set()
    once = []
    for item in ordered:
        if (item.text, item.url) not in seen:
            seen.add((item.text, item.url))
            once.append(item)
    return once


def _item(o: cycle.Owed, today: datetime.date, people: cycle.People | None = None) -> DueItem:
    who = ", ".join(people.names.get(u) or "someone" for u in o.owners) if people else ""
    # Only the owners' own list offers "Mark as done" (their part of a task stage).
    done_url = (
        reverse("cycle:stage_done", kwargs={"pk": o.stage.pk})
        if o.stage.due_kind == DueKind.TASK and people is None
        else ""
    )
    return DueItem(
        text=o.text, url=o.url, due=o.due, overdue=o.is_overdue(today), stage=o.stage.name,
        progress=f"{o.done} of {o.total}" if o.total else "", who=who, done_url=done_url, school_id=o.school_id,
    )  # fmt: skip


def due_for(user, today: datetime.date, trust: Trust | None) -> Due:
    """`trust`: the person's trust, when the caller has it."""
    if trust is None or not policy.held_roles(user):
        return Due()
    picture = cycle.owing_today(trust, today)
    owed, people = picture.owed, picture.people
    due = Due()
    for o in owed:
        # Ratings while their window is open are listed with their progress by selectors_home.
        if user.pk in o.owners and not (o.stage.due_kind in TERM_DUES and not o.is_overdue(today)):
            due.mine.append(_item(o, today))
    heads_of = policy.heads_schools(user)
    if heads_of:
        due.school = _order(
            [_item(o, today, people) for o in owed if o.school_id in heads_of and user.pk not in o.owners]
        )
        due.school_names = ", ".join(sorted(n for s, n in picture.schools.items() if s in heads_of))
    if policy.is_ceo(user):
        by_stage: dict[int, list[cycle.Owed]] = defaultdict(list)
        for o in owed:
            by_stage[o.stage.pk].append(o)
        due.trust = sorted(
            (
                StageLine(
                    name=items[0].stage.name,
                    url=reverse("cycle:stage", kwargs={"pk": pk}),
                    # the earliest thing still owed (a compliance stage's month, not its end in March)
                    due=min(o.due for o in items),
                    owed=len(items),
                    overdue=sum(o.is_overdue(today) for o in items),
                )
                for pk, items in by_stage.items()
            ),
            key=lambda line: (-line.overdue, line.due),
        )
    due.mine = _order(due.mine)
    return due
