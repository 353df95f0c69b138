"""The fields a person edits are declared once per kind of item (`EDITABLE_FIELDS` on the model):
the forms, restore, carry-forward and the history all read that one list. These tests walk the
declared fields, so a field added to a model's list is checked everywhere it has to show."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from plans import plan_history, services
from plans.forms import ActionForm, CriterionForm, PriorityForm
from plans.models import (
    AcademicYear,
    Action,
    ActionStatus,
    Aim,
    Priority,
    SchoolPlan,
    SuccessCriterion,
)
from schools.models import Trust
from tests.school_plan_builders import person, sdp

pytestmark = pytest.mark.django_db

FORMS = {Priority: PriorityForm, Action: ActionForm, SuccessCriterion: CriterionForm}


@pytest.mark.parametrize("model", FORMS, ids=lambda m: m.__name__)
def test_each_form_edits_the_fields_its_item_declares_in_the_same_order(model):
    assert list(FORMS[model]._meta.fields) == list(model.EDITABLE_FIELDS)
    assert list(FORMS[model].base_fields)[: len(model.EDITABLE_FIELDS)] == list(model.EDITABLE_FIELDS)


def test_a_restore_puts_back_the_declared_fields_in_the_order_the_item_history_lists_them():
    # The item history page lists these, in this order: it reads the same declaration.
    assert services.RESTORED_FIELDS == {
        Priority: ["title", "description", "aim_id", "milestone_id"],
        Action: [
            "what",
            "lead_id",
            "start_date",
            "start_term",
            "due_date",
            "due_term",
            "resources",
            "cost",
            "status",
        ],
        SuccessCriterion: ["text", "kpi", "baseline", "target", "unit", "due_date", "due_term"],
    }


def _first_and_second():
    """Two different values for every field a person edits: a test fails here first when a field
    is added to a model's EDITABLE_FIELDS without being checked below."""
    return {
        Priority: {"title": ("Attendance", "Attendance for all"), "description": ("", "Every day counts.")},
        Action: {
            "what": ("Phone every absent pupil", "Phone and visit"),
            "lead": (None, person("senior")),
            "status": (ActionStatus.NOT_STARTED, ActionStatus.IN_PROGRESS),
            "start_date": (None, datetime.date(2023, 9, 4)),
            "start_term": ("", "autumn"),
            "due_date": (None, datetime.date(2024, 7, 19)),
            "due_term": ("", "summer"),
            "resources": ("", "Attendance officer"),
            "cost": (None, Decimal("1500.00")),
        },
        SuccessCriterion: {
            "text": ("Fewer absences", "Persistent absence falls"),
            "kpi": ("Persistent absence", "Persistent absence (Y7)"),
            "baseline": (None, Decimal("24.00")),
            "target": (Decimal("15.00"), Decimal("12.00")),
            "unit": ("", "%"),
            "due_date": (None, datetime.date(2024, 7, 19)),
            "due_term": ("", "summer"),
        },
    }


def _first(values):
    return {name: pair[0] for name, pair in values.items()}


def test_every_declared_field_has_two_values_to_test_with(demo):
    values = _first_and_second()
    for model in FORMS:
        assert set(values[model]) == set(model.EDITABLE_FIELDS), model.__name__


def _items(plan, values, by):
    priority = services.item_save(
        item=Priority(plan=plan), values=_first(values[Priority]), expected_version=None, by=by
    )
    action = services.item_save(
        item=Action(plan=plan, priority=priority), values=_first(values[Action]), expected_version=None, by=by
    )
    criterion = services.item_save(
        item=SuccessCriterion(plan=plan, action=action),
        values=_first(values[SuccessCriterion]),
        expected_version=None,
        by=by,
    )
    return {Priority: priority, Action: action, SuccessCriterion: criterion}


def test_the_history_lines_show_every_declared_field(demo):
    """A diff of two versions is built from these lines: an edit of any field must show in it."""
    plan = sdp(with_action=False)
    values = _first_and_second()
    _items(plan, values, person("head"))
    before = plan_history.tree_lines(plan, plan_history.plan_tree(plan))
    for model in FORMS:
        for name in model.EDITABLE_FIELDS:
            tree = plan_history.plan_tree(plan)
            own = next(node for node in tree if node.priority.milestone_id is None)
            item = {Priority: own.priority, Action: own.actions[0].action}.get(model) or own.actions[0].criteria[0]
            setattr(item, name, values[model][name][1])
            assert plan_history.tree_lines(plan, tree) != before, f"{model.__name__}.{name}"


def test_a_restore_puts_back_every_declared_field(demo):
    plan = sdp(with_action=False)
    head = person("head")
    values = _first_and_second()
    items = _items(plan, values, head)
    for model, item in items.items():
        first = item.history.get()
        changed = services.item_save(
            item=item,
            values={name: pair[1] for name, pair in values[model].items()},
            expected_version=item.version,
            by=head,
        )
        assert all(getattr(changed, n) == values[model][n][1] for n in model.EDITABLE_FIELDS)
        services.item_restore(model=model, item_pk=item.pk, plan=plan, history_id=first.history_id, by=head)
        restored = model.objects.get(pk=item.pk)
        assert {n: getattr(restored, n) for n in model.EDITABLE_FIELDS} == _first(values[model]), model.__name__


# --- carry-forward ---------------------------------------------------------------------------


def _last_year_with(priorities: int, actions_each: int = 2, aims: str = "OLD") -> SchoolPlan:
    """Last year's Saltash SDP: one action under a trust aim (carried into this year's trust
    priority), then `priorities` of the school's own, each under an aim of its own that this
    year's pocket guide does not have, each with unfinished actions (with leads, dates and
    costs) and criteria, and one finished action that stays behind."""
    head = person("head")
    last_year = sdp(year=2022, with_action=False)
    tsp1 = Aim.objects.get(code="TSP1")
    under_tsp1 = services.item_save(
        item=Priority(plan=last_year), values={"title": "Outcomes", "aim": tsp1}, expected_version=None, by=head
    )
    services.item_save(
        item=Action(plan=last_year, priority=under_tsp1),
        values={"what": "Moderate Year 6 writing", "lead": person("middle")},
        expected_version=None,
        by=head,
    )
    leads = [person("head"), person("senior"), person("middle"), None]
    for i in range(priorities):
        aim = Aim.objects.create(plan=tsp1.plan, code=f"{aims}{i}", title=f"Retired aim {i}", order=90 + i)
        priority = services.item_save(
            item=Priority(plan=last_year),
            values={"title": f"Own priority {i}", "description": f"Why {i}", "aim": aim},
            expected_version=None,
            by=head,
        )
        for j in range(actions_each):
            action = services.item_save(
                item=Action(plan=last_year, priority=priority),
                values={
                    "what": f"Action {i}.{j}",
                    "lead": leads[(i + j) % len(leads)],
                    "status": ActionStatus.IN_PROGRESS,
                    "start_date": datetime.date(2022, 9, 5),
                    "due_term": "summer",
                    "resources": "Time",
                    "cost": Decimal("250.50"),
                },
                expected_version=None,
                by=head,
            )
            for k in range(2):
                services.item_save(
                    item=SuccessCriterion(plan=last_year, action=action),
                    values={
                        "text": f"Criterion {i}.{j}.{k}",
                        "kpi": "Attendance",
                        "baseline": Decimal("90"),
                        "target": Decimal("95"),
                        "unit": "%",
                        "due_date": datetime.date(2023, 7, 1),
                    },
                    expected_version=None,
                    by=head,
                )
        services.item_save(
            item=Action(plan=last_year, priority=priority),
            values={"what": f"Finished {i}", "status": ActionStatus.COMPLETE},
            expected_version=None,
            by=head,
        )
    return last_year


def _start_this_year(last_year: SchoolPlan) -> SchoolPlan:
    return services.plan_create(
        trust=Trust.objects.get(),
        school=last_year.school,
        kind="sdp",
        academic_year=AcademicYear.objects.get(start_year=2023),
        by=person("head"),
        carry_forward=True,
    )


def test_carry_forward_copies_what_a_person_wrote_but_not_last_years_dates(demo):
    last_year = _last_year_with(priorities=1, actions_each=1)
    plan = _start_this_year(last_year)
    under_tsp1 = Action.objects.get(plan=plan, what="Moderate Year 6 writing")
    assert under_tsp1.priority.milestone.aim.code == "TSP1" and under_tsp1.lead == person("middle")
    own = Priority.objects.get(plan=plan, milestone=None)
    assert (own.title, own.description, own.aim.code, own.order) == ("Own priority 0", "Why 0", "OLD0", 9)
    action = Action.objects.get(plan=plan, priority=own)
    assert action.carried_from == Action.objects.get(plan=last_year, what="Action 0.0")
    assert (action.what, action.lead, action.status, action.resources, action.cost) == (
        "Action 0.0",
        person("head"),
        ActionStatus.IN_PROGRESS,
        "Time",
        Decimal("250.50"),
    )
    assert (action.start_date, action.start_term, action.due_date, action.due_term) == (None, "", None, "")
    criteria = list(action.criteria.all())
    assert [(c.order, c.text, c.kpi, c.baseline, c.target, c.unit, c.due_date, c.due_term) for c in criteria] == [
        (1, "Criterion 0.0.0", "Attendance", Decimal("90"), Decimal("95"), "%", None, ""),
        (2, "Criterion 0.0.1", "Attendance", Decimal("90"), Decimal("95"), "%", None, ""),
    ]
    assert not Action.objects.filter(plan=plan, what="Finished 0").exists()
    # Every copy is recorded: who carried it, from which year.
    for item in [own, action, *criteria]:
        record = item.history.get()
        assert (record.history_type, record.history_user, record.history_change_reason) == (
            "+",
            person("head"),
            "Carried forward from 2022/23",
        )
    assert (own.version, action.version, criteria[0].version) == (1, 1, 1)


def _queries_to_start(priorities: int) -> int:
    last_year = _last_year_with(priorities, aims=f"OLD{priorities}-")
    with CaptureQueriesContext(connection) as queries:
        plan = _start_this_year(last_year)
    assert Action.objects.filter(plan=plan).count() == 1 + 2 * priorities
    return len(queries)


def test_carry_forward_queries_do_not_grow_with_the_number_of_carried_items(demo):
    small = _queries_to_start(priorities=1)
    SchoolPlan.objects.filter(school__slug="saltash").delete()
    large = _queries_to_start(priorities=4)
    assert large == small
