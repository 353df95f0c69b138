"""The SMART check: is each success criterion measurable, timed and led?

Advice with reasons, not a verdict: every check says what it found or what to add. The rules are
deliberately plain so that a headteacher can predict them:

- measurable: a numeric target, a number in the text ("85%", "3 visits"), or a countable outcome
  ("all staff", "every pupil", "no exclusions"). A year group, key stage, year, date or term
  ("Year 9", "Y9", "KS2", "key stage 4", "2024", "31/03/2024", "autumn 2") is not a measure;
- timed: a date or term on the criterion, a due date or term on its action, or a time in the text
  ("by July 2025", "summer term");
- led: the action has a lead.

A date outside the plan's academic year (1 September to 31 August) fails "timed". A priority
without actions, and an action without success criteria, count against the plan too: there is
nothing to measure them by.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from schools import formats

from .models import AcademicYear, Action, SuccessCriterion, Term

COUNTABLE = re.compile(
    r"\b(all|every|each|none|no|half|double|twice|one|two|three|four|five|six|seven|eight|nine|ten|"
    r"eleven|twelve|twenty|hundred|majority|minority)\b",
    re.IGNORECASE,
)
NUMBER = re.compile(r"\d")
MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
# Numbers that name a group of pupils or a moment, not an amount: removed before looking for one.
NOT_A_MEASURE = re.compile(
    rf"\b(year|yr|y|ks|key\s+stage|term|autumn|spring|summer)\s*\d{{1,2}}\b"
    r"|\b(19|20)\d\d(/\d\d)?\b"
    r"|\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b"
    rf"|\b\d{{1,2}}(st|nd|rd|th)?\s+({MONTHS})\b",
    re.IGNORECASE,
)
TIME_IN_TEXT = re.compile(
    rf"\b({MONTHS})\b|\b(autumn|spring|summer)\b|\bterm\b|\bby (the )?end of\b|\b20\d\d\b"
    r"|\b\d{1,2}/\d{1,2}/\d{2,4}\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Check:
    name: str  # measurable, timed, led
    ok: bool
    reason: str


@dataclass
class CriterionResult:
    criterion: SuccessCriterion
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


@dataclass
class ActionResult:
    action: Action
    criteria: list[CriterionResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.criteria) and all(c.ok for c in self.criteria)


@dataclass
class Report:
    actions: list[ActionResult]
    empty_priorities: int = 0  # priorities with no actions

    @property
    def criteria_count(self) -> int:
        return sum(len(a.criteria) for a in self.actions)

    @property
    def failing_criteria(self) -> int:
        return sum(1 for a in self.actions for c in a.criteria if not c.ok)

    @property
    def actions_without_criteria(self) -> int:
        return sum(1 for a in self.actions if not a.criteria)

    @property
    def ok(self) -> bool:
        return bool(self.actions) and all(a.ok for a in self.actions) and not self.empty_priorities

    @property
    def summary(self) -> str:
        if not self.actions:
            return "No actions yet."
        if self.ok:
            return f"All {self.criteria_count} success criteria are measurable, timed and led."
        parts = []
        if self.failing_criteria:
            parts.append(f"{self.failing_criteria} of {self.criteria_count} success criteria need attention")
        if self.empty_priorities:
            n = self.empty_priorities
            parts.append(f"{n} priorit{'ies have' if n != 1 else 'y has'} no actions")
        if self.actions_without_criteria:
            n = self.actions_without_criteria
            parts.append(f"{n} action{'s have' if n != 1 else ' has'} no success criteria")
        text = "; ".join(parts)
        return text[:1].upper() + text[1:] + "."


def _term_label(term: str) -> str:
    return Term(term).label.lower()


def measurable(criterion: SuccessCriterion) -> Check:
    if criterion.target is not None:
        target = formats.measure(criterion.target, criterion.unit)
        base = f" from {formats.measure(criterion.baseline, criterion.unit)}" if criterion.baseline is not None else ""
        return Check("measurable", True, f"Target {target}{base}.")
    if NUMBER.search(NOT_A_MEASURE.sub(" ", criterion.text)):
        return Check("measurable", True, "The criterion gives a number.")
    countable = COUNTABLE.search(criterion.text)
    if countable:
        return Check("measurable", True, f"A countable outcome (“{countable.group(0)}”).")
    return Check(
        "measurable",
        False,
        "No number or countable outcome: say how much or how many (e.g. “85% of pupils”, “all staff”), "
        "or give a numeric target.",
    )


def _outside(year: AcademicYear | None, *dates) -> datetime.date | None:
    """The first of `dates` outside the plan's academic year, if any."""
    if year is None:
        return None
    first, last = year_bounds(year)
    return next((d for d in dates if d and not first <= d <= last), None)


def year_bounds(year: AcademicYear) -> tuple[datetime.date, datetime.date]:
    """The academic year runs from 1 September to 31 August."""
    return datetime.date(year.start_year, 9, 1), datetime.date(year.start_year + 1, 8, 31)


def timed(criterion: SuccessCriterion, action: Action, year: AcademicYear | None = None) -> Check:
    outside = _outside(year, criterion.due_date, action.start_date, action.due_date)
    if outside:
        first, last = year_bounds(year)
        return Check(
            "timed",
            False,
            f"{outside:%-d %B %Y} is outside the plan's year ({first:%-d %B %Y} to {last:%-d %B %Y}): "
            "choose a date in it.",
        )
    if criterion.due_date:
        return Check("timed", True, f"By {criterion.due_date:%-d %B %Y}.")
    if criterion.due_term:
        return Check("timed", True, f"By the end of the {_term_label(criterion.due_term)}.")
    if action.due_date:
        return Check("timed", True, f"By the action's due date, {action.due_date:%-d %B %Y}.")
    if action.due_term:
        return Check("timed", True, f"By the end of the action's due term, the {_term_label(action.due_term)}.")
    found = TIME_IN_TEXT.search(criterion.text)
    if found:
        return Check("timed", True, f"The criterion says when (“{found.group(0)}”).")
    return Check("timed", False, "No date or term: say by when, on the criterion or its action.")


def led(action: Action) -> Check:
    if action.lead_id:
        return Check("led", True, f"Led by {action.lead}.")
    return Check("led", False, "No lead: choose the person who leads this action.")


def check_criterion(criterion: SuccessCriterion, action: Action, year: AcademicYear | None = None) -> CriterionResult:
    return CriterionResult(criterion, [measurable(criterion), timed(criterion, action, year), led(action)])


def report_for_actions(actions, year: AcademicYear | None = None, *, empty_priorities: int = 0) -> Report:
    """`actions` with `criteria` prefetched and `lead` selected; `empty_priorities` counted by the caller."""
    return Report(
        [ActionResult(action, [check_criterion(c, action, year) for c in action.criteria.all()]) for action in actions],
        empty_priorities,
    )


def report_for_tree(tree, year: AcademicYear | None = None) -> Report:
    """The report for a plan tree (plans.plan_history.plan_tree): no further queries."""
    return Report(
        [
            ActionResult(node.action, [check_criterion(c, node.action, year) for c in node.criteria])
            for priority in tree
            for node in priority.actions
        ],
        sum(1 for priority in tree if not priority.actions),
    )
