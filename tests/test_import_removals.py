"""An import never removes anything silently (issue 14, part 2).

A plan export cut at a line boundary is still valid YAML: importing it must be refused with the
list of what it would remove, change nothing, and never take away what school plans are built on.
"""

import pytest
from django.core.management import CommandError, call_command
from django.db.models import ProtectedError

from plans import models as m
from plans.planfile import ImportRefused, PlanFileError, export_plan_text, import_plan_data, import_plan_text, load
from plans.planfile import validate as validate_plan
from schools.models import School
from tests.plan_builders import edited, minimal_plan
from tests.test_planfile import row_counts

# What a school plan is built on is protected: these tests build the plans they need on the
# trust plan, starting from none (the demo's rated SDPs stand on every 2023/24 milestone).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_demo_sdps")]

DEMO = "tsp-2022-27"


def truncated_export() -> str:
    """The demo plan's export cut in half at a line boundary: the nearest cut before the middle
    that is still a valid plan file."""
    lines = export_plan_text(m.StrategicPlan.objects.get(slug=DEMO)).splitlines(keepends=True)
    for cut in range(len(lines) // 2, 0, -1):
        text = "".join(lines[:cut])
        try:
            validate_plan(load(text))
        except PlanFileError:
            continue
        return text
    raise AssertionError("no valid cut")


def school_plan_on(guide: m.PocketGuide, *codes: str) -> m.SchoolPlan:
    """An SDP for Saltash built on the guide, with a trust priority for each aim code."""
    school = School.objects.get(slug="saltash")
    plan = m.SchoolPlan.objects.create(
        trust=school.trust, school=school, academic_year=guide.academic_year, pocket_guide=guide
    )
    for order, code in enumerate(codes):
        milestone = guide.milestones.get(aim__code=code)
        m.Priority.objects.create(plan=plan, order=order, title=code, aim=milestone.aim, milestone=milestone)
    return plan


def refusal(text: str, **options) -> ImportRefused:
    with pytest.raises(ImportRefused) as info:
        import_plan_text(text, **options)
    return info.value


def test_a_truncated_export_is_refused_with_what_it_would_remove_and_changes_nothing(demo):
    before = row_counts()
    refused = refusal(truncated_export())
    removed = refused.summary.removed
    assert removed["aims"] and all(name.startswith("TSP") for name in removed["aims"])
    for kind in ("key documents", "roles", "review cycle periods", "references", "pocket guides"):
        assert kind in removed, kind
    assert removed["pocket guides"] == ["2023/24"]
    message = "\n".join(refused.errors)
    assert f"remove aims ({len(removed['aims'])}): " in message
    assert "remove key documents (10): " in message
    assert "--allow-removals" in message
    assert row_counts() == before  # nothing written, not even history


def test_removals_go_through_only_when_allowed(demo):
    text = truncated_export()
    kept = len(load(text)["plan"]["aims"])
    result = import_plan_text(text, allow_removals=True)
    assert result.summary.removed["aims"]
    assert result.plan.aims.count() == kept
    assert not result.plan.key_documents.exists() and not result.plan.pocket_guides.exists()


def test_what_a_school_plan_is_built_on_is_never_removed_even_when_removals_are_allowed(demo):
    guide = m.PocketGuide.objects.get(plan__slug=DEMO)
    sdp = school_plan_on(guide, "TSP7", "TSP8")
    before = row_counts()
    refused = refusal(truncated_export(), allow_removals=True)
    message = "\n".join(refused.errors)
    assert "never removed by an import" in message
    assert f"aim TSP7 Scalable Business Services: school plans are built on it ({sdp.title})" in message
    assert f"pocket guide 2023/24: school plans are built on it ({sdp.title})" in message
    assert row_counts() == before
    assert set(sdp.priorities.values_list("aim__code", flat=True)) == {"TSP7", "TSP8"}


def test_a_milestone_a_school_plan_uses_cannot_leave_the_file(demo):
    guide = m.PocketGuide.objects.get(plan__slug=DEMO)
    sdp = school_plan_on(guide, "TSP3")
    data = load(export_plan_text(guide.plan))
    for group in data["plan"]["pocket_guides"][0]["groups"]:
        group["milestones"] = [row for row in group["milestones"] if row["aim"] != "TSP3"]
    with pytest.raises(ImportRefused) as info:
        import_plan_data(data, allow_removals=True)
    assert f"milestone 2023/24 TSP3: school plans are built on it ({sdp.title})" in "\n".join(info.value.errors)


def test_a_milestone_may_move_to_another_group_while_its_group_goes(demo):
    """Rows leave only after the whole file is written, so a moved milestone keeps its identity."""
    guide = m.PocketGuide.objects.get(plan__slug=DEMO)
    sdp = school_plan_on(guide, "TSP7")
    milestone = guide.milestones.get(aim__code="TSP7")
    data = load(export_plan_text(guide.plan))
    groups = data["plan"]["pocket_guides"][0]["groups"]
    groups[2]["milestones"] += groups.pop()["milestones"]  # the business group's rows join communities
    result = import_plan_data(data, allow_removals=True)
    assert result.summary.removed == {"pocket guide groups": ["2023/24 Business Improvement"]}
    moved = m.Milestone.objects.get(pk=milestone.pk)
    assert moved.group.name == "SMART Communities"
    assert sdp.priorities.get().milestone == moved


def test_school_plan_links_are_protected_in_the_database(demo):
    guide = m.PocketGuide.objects.get(plan__slug=DEMO)
    school_plan_on(guide, "TSP1")
    for row in (guide.milestones.get(aim__code="TSP1"), guide.plan.aims.get(code="TSP1"), guide):
        with pytest.raises(ProtectedError):
            row.delete()


def test_the_summary_lists_adds_and_changes(demo):
    def change(d):
        d["plan"]["aims"][0]["title"] = "Equitable progress for every pupil"
        d["plan"]["glossary"] = [{"term": "TSP", "meaning": "Trust strategic plan"}]

    data = edited(load(export_plan_text(m.StrategicPlan.objects.get(slug=DEMO))), change)
    summary = import_plan_data(data, check=True).summary
    assert summary.changed == {"aims": ["TSP1 Equitable progress for every pupil"]}
    assert summary.added == {"glossary terms": ["TSP"]}
    assert summary.removed == {}
    assert summary.lines()[0] == f"{DEMO}: adds 1, changes 1, removes 0"
    assert m.StrategicPlan.objects.get(slug=DEMO).aims.get(code="TSP1").title == "Equitable Progress for all"


def test_the_summary_names_a_renamed_trust(demo):
    data = load(export_plan_text(m.StrategicPlan.objects.get(slug=DEMO)))
    data["trust"]["name"] = "SMART Trust"
    summary = import_plan_data(data, check=True).summary
    assert summary.changed == {"trusts": ["SMART Trust"]}


def test_check_writes_nothing_even_for_a_new_plan(db):
    before = row_counts()
    result = import_plan_data(minimal_plan(), check=True)
    assert not result.written and result.created
    assert result.summary.added["aims"] == ["A1 First aim", "A2 Second aim"]
    assert row_counts() == before


def test_the_demo_file_imports_again_with_no_removals(demo):
    from tests.plan_builders import seed_text

    result = import_plan_text(seed_text(), source="demo data")
    assert result.changes == 0
    assert result.summary.lines() == [f"{DEMO}: nothing to add, change or remove"]


# ---------------------------------------------------------------------------------------------
# The command


@pytest.fixture
def truncated(tmp_path, demo):
    path = tmp_path / "half.yaml"
    path.write_text(truncated_export(), encoding="utf-8")
    return path


def test_command_refuses_removals_and_lists_them(truncated):
    before = row_counts()
    with pytest.raises(CommandError) as info:
        call_command("import_plan", str(truncated))
    message = str(info.value)
    assert message.startswith(f"{truncated} was not imported; nothing was changed.")
    assert "remove key documents (10): " in message and "--allow-removals" in message
    assert row_counts() == before


def test_command_check_prints_the_summary_and_writes_nothing(truncated, capsys):
    before = row_counts()
    call_command("import_plan", str(truncated), "--check", "--allow-removals")
    out = capsys.readouterr().out
    assert "remove pocket guides (1): 2023/24" in out
    assert "Nothing was written" in out
    assert row_counts() == before
    with pytest.raises(CommandError, match="was not imported"):
        call_command("import_plan", str(truncated), "--check")  # as the import itself would be refused


def test_command_allow_removals_imports_and_prints_what_it_did(truncated, capsys):
    call_command("import_plan", str(truncated), "--allow-removals")
    out = capsys.readouterr().out
    assert out.index("remove key documents (10): ") < out.index(f"Updated {DEMO}")
    assert not m.StrategicPlan.objects.get(slug=DEMO).key_documents.exists()
