"""The rating rules on fixed facts, with exact expected figures: commentary and no bare green,
silence (not rated), staleness, overdue, disagreement, spreads and movement (reviews.rules)."""

import datetime

import pytest

from reviews import rules
from reviews.rules import ActionFacts, Given, Spread

ALL = ["red", "amber", "green", "not_yet_due", "complete"]
TODAY = datetime.date(2024, 3, 10)


def check(value, commentary="", current_value="", evidence="", *, measured=False, on_record=False, offered=ALL):
    return rules.problems(
        value=value, commentary=commentary, current_value=current_value, evidence=evidence,
        offered=offered, measured=measured, evidence_on_record=on_record,
    )  # fmt: skip


@pytest.mark.parametrize("value", ["red", "amber"])
def test_red_and_amber_need_a_commentary(value):
    assert check(value) == {"commentary": rules.COMMENTARY_NEEDED.format(value=value)}
    assert check(value, "   ") == {"commentary": rules.COMMENTARY_NEEDED.format(value=value)}
    assert check(value, "Behind on recruitment") == {}


def test_no_bare_green_on_a_measured_action():
    assert check("green", measured=True) == {"current_value": rules.BARE_GREEN}
    assert check("green", current_value="78%", measured=True) == {}
    assert check("green", evidence="Reading ages report", measured=True) == {}
    assert check("green", measured=True, on_record=True) == {}
    # An action without a number to reach may be green on the governors' word.
    assert check("green") == {}


def test_a_value_the_trust_switched_off_is_refused():
    found = check("complete", offered=["red", "amber", "green"])
    assert found == {"value": "Choose one of the ratings offered: Red, Amber, Green."}


def facts(governors=None, mine=None, last=None, *, status="in_progress", due=None, evidence=False):
    return ActionFacts(
        status=status,
        due=due,
        governors=Given(*governors) if governors else None,
        self_assessment=Given(*mine) if mine else None,
        last_governors=last,
        evidence_since_last_term=evidence,
    )


def test_silence_is_never_green():
    # Last term green, nobody rated this term: not rated, whatever last term said.
    f = facts(last="green", evidence=True)
    assert rules.counted(f) == "not_rated"
    assert rules.flags(f, TODAY).not_rated
    # A self-assessment alone is not the governors' rating.
    g = facts(mine=("green", True), evidence=True)
    assert rules.counted(g) == "not_rated"


def test_stale_and_overdue_show_whatever_the_colour():
    stale = rules.flags(facts(("green", False)), TODAY)
    assert (stale.stale, stale.overdue, stale.disputed) == (True, False, False)
    assert stale.reasons == ("No new evidence since last term.",)
    overdue = rules.flags(facts(("green", True), due=datetime.date(2024, 2, 1)), TODAY)
    assert (overdue.stale, overdue.overdue) == (False, True)
    assert overdue.reasons == ("Past its due date (1 Feb 2024) and not complete.",)
    # Complete is neither overdue nor stale; not yet due is not stale.
    done = rules.flags(facts(("complete", False), status="in_progress", due=datetime.date(2024, 2, 1)), TODAY)
    assert (done.overdue, done.stale) == (False, False)
    assert not rules.flags(facts(("not_yet_due", False)), TODAY).stale
    # Evidence added since last term, or brought with the rating, keeps it fresh.
    assert not rules.flags(facts(("green", False), evidence=True), TODAY).stale
    assert not rules.flags(facts(("amber", False), mine=("amber", True)), TODAY).stale


def test_disagreement_is_flagged():
    apart = rules.flags(facts(("red", True), mine=("green", True)), TODAY)
    assert apart.disputed
    assert "Self-assessment Green, governors Red: two steps apart." in apart.reasons
    one_step = rules.flags(facts(("amber", True), mine=("green", True)), TODAY)
    assert not one_step.disputed
    better = rules.flags(facts(("green", False), last="amber"), TODAY)
    assert better.disputed
    assert "Better than last term (Amber to Green) with nothing new to show." in better.reasons
    better_with_evidence = rules.flags(facts(("green", False), last="amber", evidence=True), TODAY)
    assert not better_with_evidence.disputed


def test_a_fixture_of_eight_actions_gives_exact_figures():
    actions = [
        facts(("green", True)),  # fine
        facts(("green", False), evidence=True),  # fine
        facts(("amber", True), mine=("amber", False)),  # fine
        facts(("red", True), mine=("green", True)),  # disputed
        facts(("green", False), last="red"),  # stale and disputed (better with nothing new)
        facts(None, mine=("green", True), last="green"),  # not rated: last term's green does not carry
        facts(None, due=datetime.date(2024, 1, 31)),  # not rated, overdue, stale
        facts(("complete", False), status="complete"),  # done
    ]
    counted = [rules.counted(f) for f in actions]
    spread = Spread.of(counted)
    assert spread.text == "1 red, 1 amber, 3 green, 1 complete, 2 not rated"
    assert spread.total == 8 and spread.rated == 6
    # green and complete 4, amber a half, out of 8: 56.2 (one decimal, half-even as round() does)
    assert spread.score == round(100 * 4.5 / 8, 1)
    flags = [rules.flags(f, TODAY) for f in actions]
    assert sum(f.not_rated for f in flags) == 2
    assert sum(f.disputed for f in flags) == 2
    # The fifth and seventh: the sixth's self-assessment brought evidence this term.
    assert [i for i, f in enumerate(flags, start=1) if f.stale] == [5, 7]
    assert sum(f.overdue for f in flags) == 1


def test_spread_parts_and_movement():
    now = Spread.of(["green", "green", "amber", None])
    before = Spread.of(["red", "amber", None, None])
    assert now.text == "1 amber, 2 green, 1 not rated"
    assert [(p["value"], p["count"], p["share"]) for p in now.parts] == [
        ("amber", 1, 25.0), ("green", 2, 50.0), ("not_rated", 1, 25.0),
    ]  # fmt: skip
    assert now.score == 62.5 and before.score == 12.5
    assert rules.movement(now, before) == 50.0
    assert rules.movement(Spread.of([]), before) is None
    assert Spread.of([]).text == "nothing to rate"
    # Not yet due is neither on track nor behind: left out of the score.
    assert Spread.of(["green", "not_yet_due"]).score == 100.0
