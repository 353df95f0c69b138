"""Small builders for plan files used by the tests."""

import copy
from pathlib import Path

import yaml
from django.conf import settings

SEED = Path(settings.BASE_DIR) / "plans" / "demo_data" / "tsp-2022-27.yaml"
# A synthetic plan (an invented trust) in the shape of a trust's earlier 2017-22 plan: see
# tests/test_plan_shapes.py for what it exercises.
OLDER_SHAPE = Path(settings.BASE_DIR) / "tests" / "fixtures" / "older-shape-plan.yaml"


def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


def older_shape_text() -> str:
    return OLDER_SHAPE.read_text(encoding="utf-8")


def seed_data() -> dict:
    return yaml.safe_load(seed_text())


def minimal_plan(**plan_overrides) -> dict:
    plan = {
        "slug": "mini",
        "title": "Mini plan",
        "start_year": 2022,
        "end_year": 2027,
        "principles": [{"letter": "E", "word": "Expect"}],
        "focus_columns": [{"code": "L"}, {"code": "P"}],
        "strands": [
            {"slug": "learners", "name": "Learners", "rights": [{"principle": "E", "text": "A right"}]},
        ],
        "aims": [
            {
                "code": "A1",
                "title": "First aim",
                "strand": "learners",
                "focus": ["L"],
                "drivers": ["one", "two"],
                "strategies": [
                    {"number": "1.1", "title": "First", "text": "x"},
                    {"number": "1.2", "title": "Second", "children": [{"number": "1.2.1", "text": "y"}]},
                ],
            },
            {"code": "A2", "title": "Second aim", "focus": ["P"]},
        ],
        "pocket_guides": [
            {
                "year": 2023,
                "title": "Guide 2023/24",
                "groups": [
                    {"name": "Learners", "strand": "learners", "milestones": [{"aim": "A1", "milestone": "M1"}]},
                    {"name": "Other", "milestones": [{"aim": "A2", "milestone": "M2"}]},
                ],
            }
        ],
    }
    plan.update(plan_overrides)
    return {"format": "smart-trust-plan", "version": 1, "trust": {"name": "Test Trust", "slug": "test"}, "plan": plan}


def earlier_plan() -> dict:
    """The shape of the trust's 2017-22 plan: 12 aims with narratives, three strands plus a
    business block, columns Learning / Leadership / Parental, plain bullet strategies with
    sub-bullets, an aim in no strand, a pocket guide grouping aims its own way, column headlines,
    a glossary and in-year updates."""
    data = minimal_plan(
        slug="msp-2017-22",
        title="Multi-academy Strategic Plan 2017-22",
        short_title="MSP",
        subtitles=["Year 5 (2021-22)", "A second title"],
        start_year=2017,
        end_year=2022,
    )
    plan = data["plan"]
    words = ["Aspire", "Belong", "Care"]
    plan["principles"] = [{"letter": word[0], "word": word} for word in words]
    plan["focus_columns"] = [
        {"code": "Learning", "name": "Learning"},
        {"code": "Leadership", "name": "Leadership"},
        {"code": "Parental", "name": "Parental"},
    ]
    plan["strands"] = [
        {"slug": slug, "name": name, "rights": [{"principle": "B", "text": f"Right in {name}"}]}
        for slug, name in [("learning", "Learning"), ("leadership", "Leadership"), ("community", "Community")]
    ]
    strands = ["learning", "leadership", "community", None]
    plan["aims"] = [
        {
            "code": f"MSP{i}",
            "title": f"Aim {i}",
            **({"strand": strands[i % 4]} if strands[i % 4] else {}),
            "focus": [["Learning", "Leadership", "Parental"][i % 3]],
            "narrative": f"Narrative paragraph for aim {i}.\n\nA second paragraph.",
            "strategies": [
                {"text": f"Bullet {i}.a", "children": [{"text": "Sub-bullet one"}, {"text": "Sub-bullet two"}]},
                {"text": f"Bullet {i}.b"},
            ],
        }
        for i in range(1, 13)
    ]
    plan["glossary"] = [{"term": "MSP", "meaning": "Multi-academy strategic plan"}]
    plan["pocket_guides"] = [
        {
            "year": 2021,
            "title": "Pocket guide 2021/22",
            "column_headlines": [
                {"column": "Learning", "heading": "Learning this year", "bullets": ["Reading", "Oracy"]},
                {"column": "Parental", "bullets": ["Workshops"]},
            ],
            "groups": [
                {"name": "Teaching", "milestones": [{"aim": f"MSP{i}", "milestone": f"M{i}"} for i in range(1, 7)]},
                {
                    "name": "Business improvement",
                    "headline": "Business: services well defined",
                    "milestones": [
                        {"aim": f"MSP{i}", "milestone": f"M{i}", "label": f"Short {i}"} for i in range(7, 13)
                    ],
                },
            ],
            "updates": [{"date": "2022-01-10", "text": "Added a reading milestone."}],
        }
    ]
    return data


def edited(data: dict, edit) -> dict:
    copy_ = copy.deepcopy(data)
    edit(copy_)
    return copy_


def dump(data: dict) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
