"""The trust's real 2022-27 plan ships as demo data, complete, and round-trips unchanged."""

import pytest

from plans import models as m
from plans.planfile import export_plan_text, import_plan_text
from tests.plan_builders import seed_data, seed_text

pytestmark = pytest.mark.django_db

EXPECTED_STRATEGIES = (
    [f"1.{i}" for i in range(1, 9)]
    + ["2.1", "2.2", "2.3", "2.4", "2.4.1", "2.4.2", "2.4.3"]
    + [f"3.{i}" for i in range(1, 6)]
    + [f"4.{i}" for i in range(1, 6)]
    + [f"5.{i}" for i in range(1, 6)]
    + [f"6.{i}" for i in range(1, 8)]
    + [f"7.{i}" for i in range(1, 5)]
    + [f"8.{i}" for i in range(1, 5)]
)
DRIVERS = {"TSP1": 7, "TSP2": 8, "TSP3": 6, "TSP4": 5, "TSP5": 7, "TSP6": 7, "TSP7": 3, "TSP8": 6}


@pytest.fixture
def plan():
    return import_plan_text(seed_text(), source="seed").plan


def test_seed_round_trips_byte_for_byte(plan):
    assert export_plan_text(plan) == seed_text()


def test_seed_has_every_part_of_the_plan(plan):
    assert [v.name for v in plan.values.all()] == ["Collaboration", "Equity", "Integrity", "Compassion"]
    assert plan.principles_name == "EQUIP"
    assert [(p.letter, p.word) for p in plan.principles.all()] == [
        ("E", "Expectations"), ("Q", "Question"), ("U", "Understand"), ("I", "Inspiring"), ("P", "Praising"),
    ]  # fmt: skip
    assert [h.heading for h in plan.vision.all()] == ["SMART LEARNERS", "SMART LEADERS", "SMART COMMUNITIES"]
    assert m.VisionBullet.objects.filter(heading__plan=plan).count() == 9
    assert [s.slug for s in plan.strands.all()] == ["learners", "leaders", "communities", "business"]
    for strand in plan.strands.all():
        assert [r.principle.letter for r in strand.rights.order_by("principle__order")] == list("EQUIP")
    assert [a.code for a in plan.aims.all()] == [f"TSP{i}" for i in range(1, 9)]
    assert {a.code: a.drivers.count() for a in plan.aims.all()} == DRIVERS
    assert all(a.long_term_goal for a in plan.aims.all())
    numbers = list(
        m.Strategy.objects.filter(aim__plan=plan).order_by("aim__order", "number").values_list("number", flat=True)
    )
    assert sorted(numbers, key=lambda n: [int(x) for x in n.split(".")]) == EXPECTED_STRATEGIES
    assert len(numbers) == 45
    shu = m.Strategy.objects.get(aim__plan=plan, number="2.4")
    assert [c.number for c in shu.children.all()] == ["2.4.1", "2.4.2", "2.4.3"]
    assert plan.key_documents.count() == 10
    assert plan.roles.count() == 4
    assert [p.label for p in plan.review_cycle.all()] == [
        "April", "May", "June/July", "September", "October", "November to March", "March",
    ]  # fmt: skip
    assert plan.review_cycle.get(label="November to March").months == [11, 12, 1, 2, 3]
    assert plan.references.count() == len(seed_data()["plan"]["references"]) >= 50


def test_seed_pocket_guide_2023_24(plan):
    guide = plan.pocket_guides.get(academic_year__start_year=2023)
    assert [g.name for g in guide.groups.all()] == [
        "SMART Learners", "SMART Leaders", "SMART Communities", "Business Improvement",
    ]  # fmt: skip
    milestones = list(guide.milestones.order_by("group__order", "order"))
    assert [ms.aim.code for ms in milestones] == [f"TSP{i}" for i in range(1, 9)]
    assert [ms.number for ms in milestones] == [str(i) for i in range(1, 9)]
    assert all(ms.milestone for ms in milestones)
    ticks = {a.code: [c.code for c in a.focus_columns.all()] for a in plan.aims.all()}
    assert ticks == {
        "TSP1": ["L"], "TSP2": ["P"], "TSP3": ["P"], "TSP4": ["P"],
        "TSP5": ["L"], "TSP6": ["P"], "TSP7": ["R"], "TSP8": ["R"],
    }  # fmt: skip


def test_seed_has_no_extraction_artefacts():
    text = seed_text()
    for artefact in ("**", "<b>", "</b>", "<i>", "<sup>", "&amp;", 'href="#"'):
        assert artefact not in text
