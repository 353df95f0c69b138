"""The SMART check: is each success criterion measurable, timed and led?

Advice with reasons, not a verdict: every check says what it found or what to add. The rules are
deliberately plain so that a headteacher can predict them:

- measurable: a numeric target, a number in the text ("85%", "3 visits"), or a countable outcome
  ("all staff", "every pupil", "no exclusions");
- timed: a date or term on the criterion, a due date or term on its action, or a time in the text
  ("by July 2025", "summer term");
- led: the action has a lead.

An action without any success criterion is reported too: there is nothing to measure it by.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .models import Action, SuccessCriterion, Term

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
        return all(a.ok for a in self.actions)

    @property
    def summary(self) -> str:
        if not self.actions:
            return "No actions yet."
        if self.ok:
            return f"All {self.criteria_count} success criteria are measurable, timed and led."
        parts = []
        if self.failing_criteria:
            parts.append(f"{self.failing_criteria} of {self.criteria_count} success criteria need attention")
        if self.actions_without_criteria:
            n = self.actions_without_criteria
            parts.append(f"{n} action{'s' if n != 1 else ''} without success criteria")
        return "; ".join(parts) + "."


def number(value) -> str:
    """85.00 -> "85", 12.50 -> "12.5"."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _term_label(term: str) -> str:
    return Term(term).label.lower()


def measurable(criterion: SuccessCriterion) -> Check:
    if criterion.target is not None:
        unit = criterion.unit if criterion.unit in ("", "%") else f" {criterion.unit}"
        base = f" from {number(criterion.baseline)}{unit}" if criterion.baseline is not None else ""
        return Check("measurable", True, f"Target {number(criterion.target)}{unit}{base}.")
    if NUMBER.search(criterion.text):
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


def timed(criterion: SuccessCriterion, action: Action) -> Check:
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


def check_criterion(criterion: SuccessCriterion, action: Action) -> CriterionResult:
    return CriterionResult(criterion, [measurable(criterion), timed(criterion, action), led(action)])


def report_for_actions(actions) -> Report:
    """`actions` with `criteria` prefetched and `lead` selected."""
    return Report(
        [ActionResult(action, [check_criterion(c, action) for c in action.criteria.all()]) for action in actions]
    )


def report_for_tree(tree) -> Report:
    """The report for a plan tree (plans.plan_history.plan_tree): no further queries."""
    return Report(
        [
            ActionResult(node.action, [check_criterion(c, node.action) for c in node.criteria])
            for priority in tree
            for node in priority.actions
        ]
    )
