"""Plan file bombs (issue 16, item 3): each is built here, refused quickly with one short
PlanFileError, costs little memory, and leaves the database as it was, through the importer and
through `manage.py import_plan`."""

import tracemalloc

import pytest
from django.core.management import CommandError, call_command

from plans.planfile import MAX_BYTES, MAX_DEPTH, PlanFileError, export_plan_text, import_plan_text, load, loading
from plans.planfile.loading import MAX_ERRORS
from plans.planfile.schema import MAX_MESSAGE
from tests.test_planfile import row_counts

pytestmark = pytest.mark.django_db

PEAK_BYTES = 40 * 1024 * 1024  # what refusing any bomb may cost, at most


def billion_laughs(levels: int = 9) -> str:
    """The classic: each level lists the one above ten times, so 400 bytes name 10**9 strings."""
    lines = ['lol0: &lol0 "lol"']
    for i in range(1, levels + 1):
        lines.append(f"lol{i}: &lol{i} [" + ", ".join([f"*lol{i - 1}"] * 10) + "]")
    lines.append(f"plan: {{slug: bomb, title: *lol{levels}}}")
    return "\n".join(lines) + "\n"


def refused(text: str) -> list[str]:
    """Import `text`; return the short messages of the PlanFileError, checking that refusing it
    changed nothing and did not cost much memory."""
    before = row_counts()
    tracemalloc.start()
    try:
        with pytest.raises(PlanFileError) as info:
            import_plan_text(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < PEAK_BYTES, f"refusing took {peak / 1e6:.0f} MB"
    assert row_counts() == before
    errors = info.value.errors
    assert 1 <= len(errors) <= MAX_ERRORS + 1
    assert all(len(e) <= MAX_MESSAGE for e in errors)
    return errors


def test_billion_laughs_is_refused_at_the_first_anchor(demo):
    text = billion_laughs()
    assert len(text) < 1_000
    assert refused(text) == [
        "line 1: the file uses an anchor (&lol0); a plan file may not use anchors or aliases: write each value out "
        "in full"
    ]


def test_an_alias_alone_is_refused_with_its_line():
    with pytest.raises(PlanFileError) as info:
        load("format: smart-trust-plan\nplan:\n  title: *somewhere\n")
    assert info.value.errors == [
        "line 3: the file uses an alias (*somewhere); a plan file may not use anchors or aliases: write each value "
        "out in full"
    ]


@pytest.mark.parametrize("opening,closing", [("[", "]"), ("{a: ", "}")])
def test_deep_nesting_is_refused_before_python_runs_out_of_stack(demo, opening, closing):
    text = "plan: " + opening * 20_000 + "1" + closing * 20_000 + "\n"
    assert refused(text) == [
        f"line 1: lists and mappings are nested more than {MAX_DEPTH} deep; a plan needs far fewer"
    ]


def test_deep_block_nesting_is_refused_too(demo):
    text = "".join(f"{'  ' * i}a{i}:\n" for i in range(MAX_DEPTH + 5)) + "  " * (MAX_DEPTH + 5) + "x\n"
    assert "nested more than" in refused(text)[0]


def test_nesting_a_real_plan_needs_is_read(demo):
    text = "plan: " + "[" * (MAX_DEPTH - 2) + "1" + "]" * (MAX_DEPTH - 2) + "\n"
    assert load(text)["plan"]


def test_a_file_over_the_size_limit_is_refused_before_it_is_parsed(demo):
    text = "format: smart-trust-plan\n# " + "x" * MAX_BYTES + "\n"
    assert refused(text) == [f"the file is {(len(text)) / 1048576:.1f} MB; a plan file may be at most 2.0 MB"]


def test_too_many_values_are_refused(demo, monkeypatch):
    monkeypatch.setattr(loading, "MAX_NODES", 1_000)
    text = "plan: [" + ", ".join(["1"] * 2_000) + "]\n"
    assert refused(text) == ["line 1: the file has more than 1,000 values, lists and mappings; a plan has far fewer"]


def test_the_real_plan_is_far_inside_every_limit(demo):
    from plans.models import StrategicPlan

    text = export_plan_text(StrategicPlan.objects.get(slug="tsp-2022-27"))
    assert len(text.encode()) * 10 < MAX_BYTES
    loader = loading._PlanLoader(text)
    loader.get_single_data()
    assert loader.nodes * 10 < loading.MAX_NODES


def test_values_python_cannot_hold_are_refused_with_their_line(demo):
    assert refused("format: smart-trust-plan\nplan:\n  start_year: " + "9" * 5_000 + "\n") == [
        "line 3: '999999999999999999999999999...9999999999999999999999999999' cannot be read (Exceeds the limit (4300 "
        "digits) for integer string conversion: value has 5000 d…)"
    ]
    assert refused("plan:\n  start_year: 0x" + "f" * 5_000 + "\n") == [
        "line 2: the number '0xfffffffffffffffffffffffff...ffffffffffffffffffffffffffff' is too big"
    ]
    assert refused("plan:\n  pocket_guides:\n  - updates:\n    - date: 2024-02-30\n") == [
        "line 4: '2024-02-30' cannot be read (day is out of range for month)"
    ]


def test_huge_values_and_thousands_of_problems_give_a_short_list(demo):
    huge = "x" * 100_000
    keys = "".join(f"  unknown{i}: 1\n" for i in range(500))
    text = f"format: {huge}\nversion: [{', '.join(['7'] * 1_000)}]\n{'k' * 1000}: 1\nplan:\n  status: {huge}\n{keys}"
    errors = refused(text)
    assert len(errors) == MAX_ERRORS + 1
    assert errors[-1].startswith("... and ") and errors[-1].endswith(" more problems")
    assert errors[0] == "k" * 59 + "…: unknown key (expected one of: format, version, trust, plan)"


@pytest.mark.parametrize(
    "text",
    [
        billion_laughs(),
        "plan: " + "[" * 20_000 + "]" * 20_000,
        "format: smart-trust-plan\n# " + "x" * (MAX_BYTES + 1) + "\n",
        "format: " + "x" * 1_000_000 + "\n",
    ],
    ids=["billion-laughs", "deep", "big", "long-value"],
)
def test_the_import_plan_command_refuses_each_bomb_briefly(demo, tmp_path, text):
    path = tmp_path / "bomb.yaml"
    path.write_text(text, encoding="utf-8")
    before = row_counts()
    with pytest.raises(CommandError) as info:
        call_command("import_plan", str(path))
    message = str(info.value)
    assert message.startswith(f"{path} was not imported; nothing was changed.")
    assert len(message) < 1_000
    assert row_counts() == before


def test_control_characters_are_refused_as_unreadable(demo):
    assert refused("format: smart-trust-plan\nplan:\x1f\n") == [
        "line 2: the file holds a control character (U+001F) that YAML does not allow"
    ]
