"""A small trust's ratings for the trust-wide pages' tests, with figures worked out by hand.

Academic year 2024/25 (the demo's is 2023/24, so nothing the demo loader adds can change these
figures). Autumn and spring ratings; today is long after both, so each term is judged on its last
day (spring: 28 March 2025).

Saltash (secondary), signed-off SDP:
  P1 "Reading for pleasure" -> TSP1
    a1 Weekly library sessions (measured)  autumn amber  spring green 86% (self green)
    a2 Reading ambassadors                 autumn green  spring green, no evidence (self red): disputed, stale
    a3 Author visits, due 31 Jan 2025      autumn red    spring amber with evidence: overdue
    governors' overall judgement of P1 in spring: amber
  P2 "Middle leaders' development" -> TSP3
    a4 Coaching programme                  autumn red    spring not rated (self amber): not rated, stale
  spring: 1 amber, 2 green, 1 not rated = 62.5; autumn: 1 green, 1 amber, 2 red = 37.5; up 25 points
Brunel (primary), signed-off SDP:
  P "Reading for pleasure" -> TSP1
    b1 Weekly library sessions (measured)  autumn green 80%  spring red, no evidence: stale
    b2 Phonics catch-up groups             autumn green      spring green with evidence
  spring: 1 red, 1 green = 50; autumn 100; down 50 points
Burraton (primary), signed-off SDP, its priority linked to no aim, nobody rated: 1 not rated = 0
Bishop Cornish, Landulph, St Stephens: no SDP for 2024/25.
The trustees rate TSP1 amber in spring.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from governance.models import Role, RoleAssignment, User
from plans.models import AcademicYear, Action, Aim, PlanKind, PlanState, Priority, SchoolPlan, SuccessCriterion
from reviews import selectors, services
from reviews.models import TermDates
from schools.models import Phase, School, Trust
from tests.school_plan_builders import person, sdp

YEAR = 2024
AUTUMN_DAY = datetime.date(2024, 12, 1)  # inside the autumn window (18 Nov to 13 Dec)
SPRING_DAY = datetime.date(2025, 3, 10)  # inside the spring window (1 to 20 March)


def term(kind: str) -> TermDates:
    year = AcademicYear.objects.get_or_create(start_year=YEAR)[0]
    return selectors.term_of(year, kind)


def aim(code: str) -> Aim:
    return Aim.objects.get(code=code)


def rate(item, kind: str, value: str, voice: str = "governors", who: str = "governor", **extra):
    extra.setdefault("commentary", f"Commentary on {value}" if value in ("red", "amber") else "")
    day = AUTUMN_DAY if kind == "autumn" else SPRING_DAY
    return services.rate(
        term=term(kind), voice=voice, item=item, value=value, by=person(who), expected_version=None, today=day, **extra
    )


def add_priority(plan: SchoolPlan, title: str, aim_code: str | None, order: int) -> Priority:
    return Priority.objects.create(plan=plan, title=title, aim=aim(aim_code) if aim_code else None, order=order)


def add_action(priority: Priority, what: str, order: int, **fields) -> Action:
    fields.setdefault("due_term", "summer")
    return Action.objects.create(plan=priority.plan, priority=priority, what=what, order=order, **fields)


@dataclass
class Fixture:
    saltash: SchoolPlan
    brunel: SchoolPlan
    burraton: SchoolPlan
    a: dict[str, Action]
    p1: Priority
    p2: Priority


def build() -> Fixture:
    """The trust above; any 2024/25 plans already there are removed first."""
    SchoolPlan.objects.filter(academic_year__start_year=YEAR).delete()
    saltash = sdp("saltash", "signed_off", year=YEAR)
    brunel = sdp("brunel", "signed_off", year=YEAR)
    burraton = sdp("burraton", "signed_off", year=YEAR)
    p1 = saltash.priorities.get()
    Priority.objects.filter(pk=p1.pk).update(aim=aim("TSP1"), order=1)
    a1 = Action.objects.get(plan=saltash)
    Action.objects.filter(pk=a1.pk).update(order=1)
    a2 = add_action(p1, "Reading ambassadors in every form", 2)
    a3 = add_action(p1, "Author visits each half term", 3, due_date=datetime.date(2025, 1, 31), due_term="")
    p2 = add_priority(saltash, "Middle leaders' development", "TSP3", 2)
    a4 = add_action(p2, "Coaching programme for middle leaders", 1)
    pb = brunel.priorities.get()
    Priority.objects.filter(pk=pb.pk).update(aim=aim("TSP1"), order=1)
    b1 = Action.objects.get(plan=brunel)
    Action.objects.filter(pk=b1.pk).update(order=1)
    b2 = add_action(pb, "Phonics catch-up groups", 2)

    # Autumn: the governors of each school.
    rate(a1, "autumn", "amber", commentary="Borrowing at 70%", current_value="70%")
    rate(a2, "autumn", "green", evidence="Ambassadors trained")
    rate(a3, "autumn", "red", commentary="Visits not booked")
    rate(a4, "autumn", "red", commentary="Programme not started")
    rate(b1, "autumn", "green", who="governor.brunel", current_value="80%")
    rate(b2, "autumn", "green", who="governor.brunel", evidence="Groups running")
    # Spring: the leaders' self-assessment, then the governors.
    rate(a1, "spring", "green", voice="self", who="head", current_value="86%")
    rate(a2, "spring", "red", voice="self", who="head", commentary="Ambassadors have left")
    rate(a4, "spring", "amber", voice="self", who="head", commentary="Started in February")
    rate(a1, "spring", "green", current_value="86%", evidence="Library log")
    rate(a2, "spring", "green")
    rate(a3, "spring", "amber", commentary="Visits delayed", evidence="One visit of three")
    rate(p1, "spring", "amber", commentary="Good start, gaps remain")
    rate(b1, "spring", "red", who="governor.brunel", commentary="Library closed for repairs")
    rate(b2, "spring", "green", who="governor.brunel", evidence="Phonics check mock 90%")
    rate(aim("TSP1"), "spring", "amber", voice="trustees", who="trustee", commentary="Reading gains uneven")
    return Fixture(saltash, brunel, burraton, {"a1": a1, "a2": a2, "a3": a3, "a4": a4, "b1": b1, "b2": b2}, p1, p2)


def more_schools(count: int, start: int = 0) -> list[SchoolPlan]:
    """`count` more primary schools, each with a signed-off 2024/25 SDP of two priorities (TSP1,
    TSP3) and three actions rated in spring: red, green (self red: disputed) and not rated."""
    trust = Trust.objects.get()
    year = AcademicYear.objects.get(start_year=YEAR)
    governor = User.objects.create_user(f"governor.extra{start}@example.invalid", "x", full_name=f"Governor {start}")
    plans = []
    for n in range(start, start + count):
        school = School.objects.create(
            trust=trust, name=f"Extra School {n:03d}", slug=f"extra-{n}", phase=Phase.PRIMARY, urn=f"{800000 + n}"
        )
        RoleAssignment.objects.create(user=governor, role=Role.LOCAL_GOVERNOR, trust=trust, school=school)
        plan = SchoolPlan.objects.create(
            trust=trust, school=school, kind=PlanKind.SDP, academic_year=year, state=PlanState.SIGNED_OFF
        )
        first = add_priority(plan, "Reading", "TSP1", 1)
        second = add_priority(plan, "Leaders", "TSP3", 2)
        red = add_action(first, "Library", 1)
        SuccessCriterion.objects.create(plan=plan, action=red, text="Borrowing", target=80)
        disputed = add_action(first, "Ambassadors", 2)
        add_action(second, "Coaching", 1)
        services.rate(
            term=term("spring"), voice="governors", item=red, value="red", commentary=f"Behind at {school.name}",
            by=governor, expected_version=None, today=SPRING_DAY,
        )  # fmt: skip
        services.rate(
            term=term("spring"), voice="self", item=disputed, value="red", commentary="Not yet",
            by=governor, expected_version=None, today=SPRING_DAY,
        )  # fmt: skip
        services.rate(
            term=term("spring"), voice="governors", item=disputed, value="green",
            by=governor, expected_version=None, today=SPRING_DAY,
        )  # fmt: skip
        plans.append(plan)
    return plans
