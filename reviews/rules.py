"""The rating rules, in one place and free of the database: what a rating needs before it is kept,
what counts as rated, and when an item is overdue, stale or disputed whatever colour it was given.

Every figure (a priority's spread, a heatmap cell, a school's flags, a report) is computed from
these functions, so "not rated", "stale" and "disputed" mean the same thing on every page.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from .models import RatingValue

# Red, Amber and Green in order: "two steps apart" is Green against Red.
RAG_RANK = {RatingValue.RED: 0, RatingValue.AMBER: 1, RatingValue.GREEN: 2}
NEEDS_COMMENTARY = {RatingValue.RED, RatingValue.AMBER}
NOT_RATED = "not_rated"
# The order in which a spread is told and drawn.
SPREAD_ORDER = [
    RatingValue.RED,
    RatingValue.AMBER,
    RatingValue.GREEN,
    RatingValue.COMPLETE,
    RatingValue.NOT_YET_DUE,
    NOT_RATED,
]
WORDS = {
    RatingValue.RED: "red",
    RatingValue.AMBER: "amber",
    RatingValue.GREEN: "green",
    RatingValue.COMPLETE: "complete",
    RatingValue.NOT_YET_DUE: "not yet due",
    NOT_RATED: "not rated",
}
LABELS = {**{str(v): v.label for v in RatingValue}, NOT_RATED: "Not rated"}

COMMENTARY_NEEDED = "A {value} rating needs a commentary: say what is behind it and what will be done."
BARE_GREEN = (
    "A green on an action with measured success criteria needs this term's figure or evidence: give where "
    "the measure stands now (for example 78%) or the evidence."
)
NOT_OFFERED = "Choose one of the ratings offered: {offered}."


def problems(
    *,
    value: str,
    commentary: str,
    current_value: str,
    evidence: str,
    offered: Iterable[str],
    measured: bool,
    evidence_on_record: bool,
) -> dict[str, str]:
    """What stops a rating being kept, by form field, in words that say what to fix.

    `measured`: the action has success criteria with a number to reach (a target).
    `evidence_on_record`: evidence for this term is already there (added to the action since last
    term, or given by the other voice with a figure or evidence), so a green need not repeat it.
    """
    offered = [str(v) for v in offered]
    if value not in offered:
        return {"value": NOT_OFFERED.format(offered=", ".join(LABELS[v] for v in offered))}
    found: dict[str, str] = {}
    if value in NEEDS_COMMENTARY and not commentary.strip():
        found["commentary"] = COMMENTARY_NEEDED.format(value=WORDS[value])
    if (
        value == RatingValue.GREEN
        and measured
        and not (current_value.strip() or evidence.strip() or evidence_on_record)
    ):
        found["current_value"] = BARE_GREEN
    return found


@dataclass(frozen=True)
class Given:
    """A rating as the rules see it: its value, and whether it brought a figure or evidence."""

    value: str
    brought_evidence: bool = False


@dataclass(frozen=True)
class ActionFacts:
    """What the rules need to know of one action in one term."""

    status: str  # plans.ActionStatus
    due: datetime.date | None  # its due date, or the end of the term it is due in
    governors: Given | None  # this term's
    self_assessment: Given | None  # this term's
    last_governors: str | None  # last term's governors' value, for movement only
    evidence_since_last_term: bool  # evidence added to the action since last term ended


@dataclass(frozen=True)
class Flags:
    not_rated: bool
    overdue: bool
    stale: bool
    disputed: bool
    reasons: tuple[str, ...] = field(default=())

    @property
    def any(self) -> bool:
        return self.not_rated or self.overdue or self.stale or self.disputed


def counted(facts: ActionFacts) -> str:
    """The value an action counts as in every figure: the governors' rating this term, or
    "not rated" (a self-assessment alone is not a rating, and last term's never carries over)."""
    return facts.governors.value if facts.governors else NOT_RATED


def new_this_term(facts: ActionFacts) -> bool:
    brought = any(g and g.brought_evidence for g in (facts.governors, facts.self_assessment))
    return facts.evidence_since_last_term or brought


def flags(facts: ActionFacts, as_of: datetime.date) -> Flags:
    """Not rated, overdue, stale, disputed: shown whatever colour the action was given.

    `as_of` is the day the term is judged on: today for the current term, its last day for one
    that has ended."""
    reasons: list[str] = []
    value = counted(facts)
    done = facts.status == "complete" or value == RatingValue.COMPLETE
    not_rated = value == NOT_RATED
    if not_rated:
        reasons.append("Not rated by the governors this term.")
    overdue = bool(facts.due and facts.due < as_of and not done)
    if overdue:
        reasons.append(f"Past its due date ({facts.due:%-d %b %Y}) and not complete.")
    fresh = new_this_term(facts)
    stale = not done and value != RatingValue.NOT_YET_DUE and not fresh
    if stale:
        reasons.append("No new evidence since last term.")
    disputed = False
    mine, theirs = facts.self_assessment, facts.governors
    if mine and theirs and mine.value in RAG_RANK and theirs.value in RAG_RANK:
        if abs(RAG_RANK[mine.value] - RAG_RANK[theirs.value]) >= 2:
            disputed = True
            reasons.append(f"Self-assessment {LABELS[mine.value]}, governors {LABELS[theirs.value]}: two steps apart.")
    last = facts.last_governors
    if theirs and last in RAG_RANK and theirs.value in RAG_RANK and RAG_RANK[theirs.value] > RAG_RANK[last]:
        if not fresh:
            disputed = True
            moved = f"{LABELS[last]} to {LABELS[theirs.value]}"
            reasons.append(f"Better than last term ({moved}) with nothing new to show.")
    return Flags(not_rated, overdue, stale, disputed, tuple(reasons))


@dataclass(frozen=True)
class Spread:
    """How many items have each value: "2 green, 1 amber, 1 not rated"."""

    counts: tuple[tuple[str, int], ...]

    @classmethod
    def of(cls, values: Iterable[str | None]) -> Spread:
        tally = Counter(v or NOT_RATED for v in values)
        return cls(tuple((v, tally[v]) for v in SPREAD_ORDER if tally[v]))

    @property
    def total(self) -> int:
        return sum(n for _, n in self.counts)

    def count(self, value: str) -> int:
        return dict(self.counts).get(value, 0)

    @property
    def rated(self) -> int:
        return self.total - self.count(NOT_RATED)

    @property
    def text(self) -> str:
        return ", ".join(f"{n} {WORDS[v]}" for v, n in self.counts) or "nothing to rate"

    @property
    def parts(self) -> list[dict]:
        """For drawing: each value's count, label and share of the whole (in per cent)."""
        total = self.total or 1
        return [
            {"value": v, "count": n, "label": LABELS[v], "words": WORDS[v], "share": round(100 * n / total, 1)}
            for v, n in self.counts
        ]

    @property
    def score(self) -> float | None:
        """On track, from 0 to 100: green and complete count fully, amber half, red, not yet due
        and not rated nothing (silence is never green). None when there is nothing to rate."""
        weighed = [v for v, _ in self.counts if v != RatingValue.NOT_YET_DUE]
        total = sum(self.count(v) for v in weighed)
        if not total:
            return None
        points = self.count(RatingValue.GREEN) + self.count(RatingValue.COMPLETE) + self.count(RatingValue.AMBER) / 2
        return round(100 * points / total, 1)


def movement(now: Spread, before: Spread) -> float | None:
    """The change in score since last term, in points; None when either term had nothing."""
    if now.score is None or before.score is None:
        return None
    return round(now.score - before.score, 1)
