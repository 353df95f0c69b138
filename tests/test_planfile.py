"""The plan file format: validation with places, all-or-nothing import, update in place, export."""

import pytest
from django.core.management import CommandError, call_command

from plans import models as m
from plans.planfile import PlanFileError, export_plan_text, import_plan_data, import_plan_text, load
from tests.plan_builders import dump, earlier_plan, edited, minimal_plan

pytestmark = pytest.mark.django_db


def row_counts() -> dict[str, int]:
    models = [
        m.StrategicPlan, m.SharedValue, m.Principle, m.VisionHeading, m.VisionBullet, m.FocusColumn,
        m.Strand, m.StrandRight, m.Aim, m.Driver, m.Strategy, m.KeyDocument, m.Responsibility,
        m.Duty, m.ReviewPeriod, m.ReviewActivity, m.Reference, m.GlossaryTerm, m.PocketGuide,
        m.ColumnHeadline, m.ColumnHeadlineBullet, m.PocketGuideGroup, m.Milestone, m.PocketGuideUpdate,
    ]  # fmt: skip
    counts = {model.__name__: model.objects.count() for model in models}
    counts.update({f"history:{model.__name__}": model.history.count() for model in models})
    return counts


def errors_of(data) -> list[str]:
    with pytest.raises(PlanFileError) as info:
        import_plan_data(data)
    return info.value.errors


def test_minimal_plan_imports_with_structure():
    result = import_plan_data(minimal_plan())
    plan = result.plan
    assert result.created
    assert [a.code for a in plan.aims.all()] == ["A1", "A2"]
    a1 = plan.aims.get(code="A1")
    assert a1.strand.slug == "learners"
    assert [c.code for c in a1.focus_columns.all()] == ["L"]
    assert [d.text for d in a1.drivers.all()] == ["one", "two"]
    child = a1.strategies.get(number="1.2.1")
    assert child.parent.number == "1.2"
    guide = plan.pocket_guides.get()
    assert guide.academic_year.label == "2023/24"
    assert [(ms.group.name, ms.aim.code) for ms in guide.milestones.order_by("group__order")] == [
        ("Learners", "A1"),
        ("Other", "A2"),
    ]


def test_import_export_import_export_is_identical():
    import_plan_data(earlier_plan())
    first = export_plan_text(m.StrategicPlan.objects.get(slug="msp-2017-22"))
    import_plan_text(first)
    second = export_plan_text(m.StrategicPlan.objects.get(slug="msp-2017-22"))
    assert first == second
    assert load(first)["plan"]["aims"][0]["narrative"].startswith("Narrative paragraph")


def test_earlier_plan_shape_fits_without_code_changes():
    plan = import_plan_data(earlier_plan()).plan
    assert plan.aims.count() == 12
    assert [c.name for c in plan.focus_columns.all()] == ["Learning", "Leadership", "Parental"]
    assert plan.aims.filter(strand=None).count() == 3
    bullet = plan.aims.get(code="MSP1").strategies.get(parent=None, order=0)
    assert bullet.number == ""
    assert [c.text for c in bullet.children.all()] == ["Sub-bullet one", "Sub-bullet two"]
    guide = plan.pocket_guides.get()
    assert [g.name for g in guide.groups.all()] == ["Teaching", "Business improvement"]
    assert guide.milestones.get(aim__code="MSP7").label == "Short 7"
    headline = guide.column_headlines.get(column__code="Learning")
    assert headline.heading == "Learning this year"
    assert [b.text for b in headline.bullets.all()] == ["Reading", "Oracy"]
    assert guide.updates.get().text == "Added a reading milestone."


def test_importing_the_same_file_twice_changes_nothing():
    import_plan_data(earlier_plan())
    before = row_counts()
    result = import_plan_data(earlier_plan())
    assert not result.created
    assert result.changes == 0
    assert row_counts() == before  # no duplicates and no new history rows


def test_reimport_updates_in_place_and_keeps_identities():
    plan = import_plan_data(minimal_plan()).plan
    aim_pk = plan.aims.get(code="A1").pk
    milestone_pk = m.Milestone.objects.get(aim__code="A2").pk

    def change(d):
        d["plan"]["aims"][0]["title"] = "Renamed aim"
        d["plan"]["aims"][0]["drivers"] = ["one", "three"]
        # Move A2's milestone into the first group, before A1's.
        groups = d["plan"]["pocket_guides"][0]["groups"]
        groups[0]["milestones"].insert(0, groups[1]["milestones"].pop())
        groups[1]["milestones"] = [{"aim": "A1", "milestone": "moved"}]
        groups[0]["milestones"] = [g for g in groups[0]["milestones"] if g["aim"] != "A1"]

    result = import_plan_data(edited(minimal_plan(), change))
    assert result.changes > 0
    a1 = m.Aim.objects.get(code="A1")
    assert a1.pk == aim_pk and a1.title == "Renamed aim"
    assert [d.text for d in a1.drivers.all()] == ["one", "three"]
    moved = m.Milestone.objects.get(aim__code="A2")
    assert moved.pk == milestone_pk and moved.group.name == "Learners"
    assert m.Milestone.objects.get(aim__code="A1").milestone == "moved"
    assert a1.history.first().title == "Renamed aim"


def test_reimport_removes_what_the_file_no_longer_has():
    import_plan_data(minimal_plan())

    def drop(d):
        d["plan"]["aims"] = d["plan"]["aims"][:1]
        d["plan"]["aims"][0]["strategies"] = d["plan"]["aims"][0]["strategies"][:1]
        d["plan"]["pocket_guides"][0]["groups"] = d["plan"]["pocket_guides"][0]["groups"][:1]

    import_plan_data(edited(minimal_plan(), drop), allow_removals=True)
    plan = m.StrategicPlan.objects.get(slug="mini")
    assert list(plan.aims.values_list("code", flat=True)) == ["A1"]
    assert list(m.Strategy.objects.filter(aim__plan=plan).values_list("number", flat=True)) == ["1.1"]
    assert m.Milestone.objects.filter(guide__plan=plan).count() == 1


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: d["plan"]["aims"][0]["strategies"].__setitem__(1, {"number": "1.x", "title": "t"}),
         "plan.aims[0].strategies[1].number: '1.x' is not a number like 4.1 or 4.1.2"),
        (lambda d: d["plan"]["aims"][0]["strategies"][1]["children"][0].__setitem__("number", "2.1"),
         "plan.aims[0].strategies[1].children[0].number: '2.1' is under '1.2', so it must start with '1.2.'"),
        (lambda d: d["plan"]["aims"][0]["strategies"][0].__setitem__("number", 1.1),
         "plan.aims[0].strategies[0].number: must be text, not float (put it in quotes)"),
        (lambda d: d["plan"]["aims"][1].__setitem__("code", "A1"),
         "plan.aims[1].code: 'A1' is already used at plan.aims[0]"),
        (lambda d: d["plan"]["aims"][0].__setitem__("strand", "nowhere"),
         "plan.aims[0].strand: no strand with slug 'nowhere' in this plan"),
        (lambda d: d["plan"]["aims"][0].__setitem__("focus", ["L", "Z"]),
         "plan.aims[0].focus[1]: no column with code 'Z' in this plan"),
        (lambda d: d["plan"]["pocket_guides"][0]["groups"][1]["milestones"][0].__setitem__("aim", "A1"),
         "plan.pocket_guides[0].groups[1].milestones[0].aim: 'A1' is already used at "
         "plan.pocket_guides[0].groups[0].milestones[0]"),
        (lambda d: d["plan"]["pocket_guides"][0]["groups"][0]["milestones"][0].__setitem__("aim", "TSP9"),
         "plan.pocket_guides[0].groups[0].milestones[0].aim: no aim with code 'TSP9' in this plan"),
        (lambda d: d["plan"].__setitem__("end_year", 2020), "plan.end_year: must be after start_year (2022)"),
        (lambda d: d["plan"].__setitem__("aims", []), "plan.aims: a plan needs at least one aim"),
        (lambda d: d["plan"]["aims"][0].pop("title"), "plan.aims[0].title: is required"),
        (lambda d: d["plan"]["aims"][0].__setitem__("titel", "typo"),
         "plan.aims[0].titel: unknown key (expected one of: code, title, strand, summary, focus, narrative, "
         "drivers, long_term_goal, strategies_heading, strategies)"),
        (lambda d: d["plan"]["aims"][0].__setitem__("code", "X" * 30),
         "plan.aims[0].code: is 30 characters long; at most 20 fit"),
        (lambda d: d["plan"].__setitem__("status", "secret"),
         "plan.status: 'secret' is not one of draft, published"),
        (lambda d: d["plan"]["pocket_guides"][0].__setitem__("updates", [{"date": "31/01/2024", "text": "x"}]),
         "plan.pocket_guides[0].updates[0].date: '31/01/2024' is not a date like 2024-01-31"),
        (lambda d: d["plan"]["aims"][0]["drivers"].append({"text": "x"}),
         "plan.aims[0].drivers[2]: must be a line of text"),
        (lambda d: d.__setitem__("version", 2),
         "version: version 2 is not supported; this program reads version 1"),
    ],
)  # fmt: skip
def test_bad_file_names_the_place(edit, expected):
    assert expected in errors_of(edited(minimal_plan(), edit))


def test_every_problem_is_reported_at_once():
    def two_problems(d):
        d["plan"]["aims"][0]["strand"] = "nowhere"
        d["plan"]["aims"][1]["focus"] = ["Q"]

    assert len(errors_of(edited(minimal_plan(), two_problems))) == 2


def test_refused_file_changes_nothing_already_saved():
    import_plan_data(minimal_plan())
    before = row_counts()

    def half_good(d):
        d["plan"]["aims"][0]["title"] = "This edit must not land"
        d["plan"]["aims"][1]["strategies"] = [{"number": "oops"}]

    errors_of(edited(minimal_plan(), half_good))
    assert row_counts() == before
    assert m.Aim.objects.get(code="A1").title == "First aim"


def test_not_yaml_says_where():
    with pytest.raises(PlanFileError) as info:
        import_plan_text("format: smart-trust-plan\nplan: [unclosed\n")
    assert info.value.errors[0].startswith("line 3, column 1: the file is not valid YAML")


def test_history_records_who_imported(django_user_model):
    person = django_user_model.objects.create_user("ceo@example.org", "pw", full_name="Chris")
    plan = import_plan_data(minimal_plan(), user=person, source="mini.yaml").plan
    record = plan.history.first()
    assert record.history_user == person
    assert record.history_change_reason == "Imported from mini.yaml"


def test_commands_import_and_export(tmp_path, capsys):
    source = tmp_path / "plan.yaml"
    source.write_text(dump(earlier_plan()), encoding="utf-8")
    call_command("import_plan", str(source))
    assert "Created msp-2017-22" in capsys.readouterr().out
    call_command("import_plan", str(source))
    assert "Unchanged: msp-2017-22 (0 changes)" in capsys.readouterr().out
    out = tmp_path / "out.yaml"
    call_command("export_plan", "msp-2017-22", "-o", str(out))
    call_command("export_plan", "msp-2017-22")
    assert capsys.readouterr().out == out.read_text(encoding="utf-8")


def test_command_refuses_bad_file_with_places(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(dump(edited(minimal_plan(), lambda d: d["plan"]["aims"][0].pop("code"))), encoding="utf-8")
    with pytest.raises(CommandError) as info:
        call_command("import_plan", str(bad))
    assert "nothing was changed" in str(info.value)
    assert "plan.aims[0].code: is required" in str(info.value)
    assert not m.StrategicPlan.objects.filter(slug="mini").exists()


def test_command_names_unknown_slug():
    with pytest.raises(CommandError, match="No plan with slug 'nope'"):
        call_command("export_plan", "nope")
