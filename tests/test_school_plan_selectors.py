"""The reads behind the school-plan pages, called directly: the sign-off queue's rows (a plan never
opened, a plan opened then changed), changes since a person last looked, the history page's
version table and an item's versions. Each list costs the same number of queries at two sizes."""

import datetime

import pytest
from django.http import Http404
from django.utils import timezone

from governance import policy
from plans import plan_history, services, smart, workflow
from plans import selectors_school as selectors
from plans.models import Action, PlanSeen, SchoolPlan, SuccessCriterion
from schools.models import School
from tests.school_plan_builders import STEPS_TO, person, sdp

pytestmark = pytest.mark.django_db

SCHOOLS = ["saltash", "brunel", "bishop-cornish", "burraton", "landulph", "st-stephens"]


def changes_recorded(plan: SchoolPlan) -> int:
    """Every history record of the plan's items (a plan never opened counts them all)."""
    return sum(model.history.filter(plan_id=plan.pk).count() for model in plan_history.ITEM_MODELS.values())


def edit(action: Action, what: str, by: str = "head") -> Action:
    action.refresh_from_db()
    return services.item_save(item=action, values={"what": what}, expected_version=action.version, by=person(by))


def loaded(plans) -> list[SchoolPlan]:
    """The plans as the queue loads them: school, trust and year in the same query."""
    return list(
        SchoolPlan.objects.filter(pk__in=[p.pk for p in plans])
        .select_related("school", "trust", "academic_year")
        .order_by("pk")
    )


def grow(plan: SchoolPlan, *, actions: int) -> None:
    """More actions, each with a criterion and an edit: more rows and more history."""
    head = person("head" if plan.school.slug == "saltash" else f"head.{plan.school.slug}")
    priority = plan.priorities.first()
    for i in range(actions):
        action = services.item_save(
            item=Action(plan=plan, priority=priority),
            values={"what": f"Action {i}", "lead": head, "due_term": "spring"},
            expected_version=None,
            by=head,
        )
        services.item_save(
            item=SuccessCriterion(plan=plan, action=action),
            values={"text": f"{i + 5} pupils a week", "target": i + 5},
            expected_version=None,
            by=head,
        )
        edit(action, f"Action {i}, edited", by="head" if plan.school.slug == "saltash" else f"head.{plan.school.slug}")


def finalised(plan: SchoolPlan) -> SchoolPlan:
    """A draft taken to finalised by its school's headteacher and chair of governors."""
    slug = plan.school.slug
    actors = {
        "head": "head" if slug == "saltash" else f"head.{slug}",
        "governor": "governor" if slug == "saltash" else f"governor.{slug}",
    }
    for step, who in STEPS_TO["finalised"]:
        plan = workflow.take_step(plan=plan, step=step, by=person(actors[who]), comment="")
    return plan


# --- the sign-off queue's rows ----------------------------------------------------------------


def test_a_plan_never_opened_counts_every_change_since_the_lgc_agreed_it(demo):
    plan = sdp(state="agreed")  # its priority, action and criterion were written before the LGC agreed
    action = Action.objects.get(plan=plan)
    edit(action, "Changed after the LGC agreed")
    edit(action, "Changed again")
    plan = workflow.take_step(plan=plan, step="finalise", by=person("head"), comment="")
    [row] = selectors.queue_rows(user=person("ceo"), plans=loaded([plan]))
    assert row["plan"] == plan
    assert row["seen_at"] is None
    assert row["since"] == plan.events.get(step="agree").at
    assert row["since_what"] == "the LGC agreed it"
    assert changes_recorded(plan) > 2  # the earlier ones are not counted: the link shows from the agree step
    assert row["changes"] == 2
    assert [rule.name for rule in row["steps"]] == ["sign_off"]
    assert row["signed_off"] is False
    assert "8 priorities have no actions" in row["plan"].smart_summary
    assert row["plan"].smart_ok is False


def test_a_plan_never_opened_and_only_submitted_counts_since_it_was_submitted(demo):
    plan = sdp(state="submitted")  # written in draft, before it was submitted; no changes since
    [row] = selectors.queue_rows(user=person("ceo"), plans=loaded([plan]))
    assert row["since"] == plan.events.get(step="submit").at
    assert changes_recorded(plan) > 0 and row["changes"] == 0
    assert row["since_what"] == "it was submitted"
    assert row["steps"] == []  # the chair of governors agrees it, not the CEO


def test_a_draft_never_submitted_has_no_moment_to_compare_from(demo):
    [row] = selectors.queue_rows(user=person("ceo"), plans=loaded([sdp()]))
    assert row["since"] is None and row["seen_at"] is None and row["changes"] > 0


def test_a_plan_opened_then_changed_counts_only_the_changes_since(demo):
    plan = sdp(state="agreed")
    ceo = person("ceo")
    mark = PlanSeen.objects.create(user=ceo, plan=plan, seen_at=timezone.now())
    action = Action.objects.get(plan=plan)
    edit(action, "Changed once")
    edit(action, "Changed twice")
    [row] = selectors.queue_rows(user=ceo, plans=loaded([plan]))
    assert row["seen_at"] == mark.seen_at == row["since"]
    assert row["changes"] == 2


def test_a_signed_off_plan_says_so_and_offers_no_forward_step(demo):
    plan = sdp(state="signed_off")
    [row] = selectors.queue_rows(user=person("ceo"), plans=loaded([plan]))
    assert row["signed_off"] is True
    assert row["steps"] == []  # reopening sends the plan back: not offered in the queue


def test_changes_since_counts_each_plan_for_the_person_asking_only(demo):
    opened, never = sdp(state="agreed"), sdp(school="brunel", state="agreed")
    ceo = person("ceo")
    PlanSeen.objects.create(user=ceo, plan=opened, seen_at=timezone.now())
    edit(Action.objects.get(plan=never), "Changed after the LGC agreed")
    assert selectors.changes_since(user=ceo, plans=[opened, never]) == {never.pk: 1}  # not the earlier ones
    edit(Action.objects.get(plan=opened), "Changed after the CEO looked")
    assert selectors.changes_since(user=ceo, plans=[opened, never]) == {opened.pk: 1, never.pk: 1}
    # Someone else's look changes nothing for them: the trustee has opened neither, so for both
    # it is the one change since the LGC agreed it.
    edit(Action.objects.get(plan=opened), "Changed again")
    assert selectors.changes_since(user=person("trustee"), plans=[opened, never]) == {opened.pk: 2, never.pk: 1}
    assert selectors.changes_since(user=ceo, plans=[opened, never]) == {opened.pk: 2, never.pk: 1}


@pytest.mark.parametrize("size", [2, 6])
def test_queue_rows_cost_the_same_queries_for_two_plans_or_six(demo, django_assert_num_queries, size):
    ceo = person("ceo")
    plans = [sdp(school=school) for school in SCHOOLS[:size]]
    for plan in plans[1:]:
        grow(plan, actions=2)
    plans = [finalised(plan) for plan in plans]
    PlanSeen.objects.create(user=ceo, plan=plans[0], seen_at=timezone.now())
    policy.is_ceo(ceo)  # the person's roles: read once per request, before the page
    # Summaries not yet made: actions, their criteria, empty priorities, storing the summaries;
    # then marks, LGC moments, the plans' versions, changes not yet counted (one per item type).
    plans = loaded(plans)
    with django_assert_num_queries(11):
        rows = selectors.queue_rows(user=ceo, plans=plans)
    assert len(rows) == size
    assert all(row["steps"] for row in rows)
    # The next look finds every summary and every count current and checks no plan again.
    plans = loaded(plans)
    with django_assert_num_queries(3):
        rows = selectors.queue_rows(user=ceo, plans=plans)
    # The stored summaries are those the plan's own SMART page computes from its tree.
    for row in rows:
        plan = row["plan"]
        report = smart.report_for_tree(plan_history.plan_tree(plan), plan.academic_year)
        assert (plan.smart_summary, plan.smart_ok) == (report.summary, report.ok)


def test_a_stored_smart_summary_is_redone_after_any_change_and_only_then(demo, django_assert_num_queries):
    ceo = person("ceo")
    plan = sdp(state="agreed")
    [row] = selectors.queue_rows(user=ceo, plans=loaded([plan]))
    before = row["plan"].smart_summary
    assert "8 priorities have no actions" in before
    stored = SchoolPlan.objects.get(pk=plan.pk)
    assert (stored.smart_summary, stored.smart_version) == (before, stored.content_version)
    # A change the SMART check sees: an action with no criteria under an empty priority.
    priority = plan.priorities.filter(actions__isnull=True).first()
    services.item_save(
        item=Action(plan=plan, priority=priority), values={"what": "New"}, expected_version=None, by=person("head")
    )
    [row] = selectors.queue_rows(user=ceo, plans=loaded([plan]))
    assert "7 priorities have no actions" in row["plan"].smart_summary
    assert "1 action has no success criteria" in row["plan"].smart_summary
    stored = SchoolPlan.objects.get(pk=plan.pk)
    assert stored.smart_version == stored.content_version and stored.smart_summary == row["plan"].smart_summary


@pytest.mark.parametrize("size", [1, 6])
def test_the_sign_off_queue_costs_the_same_queries_for_one_school_or_six(no_demo_sdps, django_assert_num_queries, size):
    ceo = person("ceo")
    for school in SCHOOLS[:size]:
        sdp(school=school, state="finalised")
    policy.is_ceo(ceo)
    # The trust, its years, the year's plans, the rows (eleven, making the SMART summaries and
    # counting the changes), the schools without an SDP; then, all of that kept, eight fewer.
    with django_assert_num_queries(15):
        page = selectors.sign_off_queue(user=ceo, year_slug=None)
        missing = list(page["missing"])
    with django_assert_num_queries(7):
        page = selectors.sign_off_queue(user=ceo, year_slug=None)
        missing = list(page["missing"])
    assert len(page["rows"]) == size
    assert page["year"].start_year == 2023 and [y.start_year for y in page["years"]] == [2023]
    assert len(missing) == School.objects.count() - size


def test_the_sign_off_queue_shows_the_year_asked_for_or_else_the_latest(no_demo_sdps):
    sdp(state="finalised")
    sdp(school="brunel", state="finalised", year=2024)
    ceo = person("ceo")
    latest = selectors.sign_off_queue(user=ceo, year_slug=None)
    assert latest["year"].start_year == 2024 and [r["plan"].school.slug for r in latest["rows"]] == ["brunel"]
    earlier = selectors.sign_off_queue(user=ceo, year_slug=latest["years"][0].slug)
    assert earlier["year"].start_year == 2023 and [r["plan"].school.slug for r in earlier["rows"]] == ["saltash"]
    assert selectors.sign_off_queue(user=ceo, year_slug="1999-00")["year"].start_year == 2024


# --- the history page's version table ----------------------------------------------------------


def test_the_version_table_lists_every_version_newest_first_and_preselects_the_first_and_latest(demo):
    plan = sdp(state="submitted")
    page = selectors.history_page(plan=plan)
    versions = page["versions"]
    assert len(versions) == changes_recorded(plan) + plan.history.count()
    assert [(v.at, v.history_id) for v in versions] == sorted(((v.at, v.history_id) for v in versions), reverse=True)
    assert page["selected"] == {"from": versions[-1].key, "to": versions[0].key}
    assert page["compared"] is None and page["signed_off"] is None
    assert page["changes"] == versions  # fewer than 200: the list shows them all


def test_comparing_two_moments_preselects_the_version_each_falls_in_in_either_order(demo):
    plan = sdp()
    action = Action.objects.get(plan=plan)
    before_edits = timezone.now()
    edit(action, "First reading of the edit")
    between = timezone.now()
    edit(action, "Second reading of the edit")
    page = selectors.history_page(plan=plan, older=between, newer=before_edits)  # given the wrong way round
    versions = page["versions"]
    first_edit, second_edit = versions[1], versions[0]
    assert page["compared"]["from"] == before_edits and page["compared"]["to"] == between
    assert page["selected"] == {"from": versions[2].key, "to": first_edit.key}
    lines = page["compared"]["lines"]
    assert any(line.kind == "added" and "First reading of the edit" in line.text for line in lines)
    assert any(line.kind == "removed" and "Weekly library sessions" in line.text for line in lines)
    assert not any("Second reading" in line.text for line in lines)
    assert second_edit.what == "changed" and second_edit.fields == ["what"]


def test_a_moment_before_the_plan_began_selects_its_first_version(demo):
    plan = sdp()
    long_ago = timezone.now() - datetime.timedelta(days=400)
    page = selectors.history_page(plan=plan, older=long_ago, newer=timezone.now())
    assert page["selected"] == {"from": page["versions"][-1].key, "to": page["versions"][0].key}


def test_the_version_table_is_empty_for_no_versions():
    assert selectors.selected_versions(versions=[], older=None, newer=None) == {"from": None, "to": None}
    assert selectors.selected_versions(versions=[], older=timezone.now(), newer=timezone.now()) == {
        "from": None,
        "to": None,
    }


@pytest.mark.parametrize("actions", [0, 8])
def test_the_history_page_costs_six_queries_however_long_the_history(demo, django_assert_num_queries, actions):
    plan = sdp()
    grow(plan, actions=actions)
    # The plan's own history and one query per item type, then the sign-off event.
    with django_assert_num_queries(6):
        page = selectors.history_page(plan=plan)
    assert len(page["versions"]) == changes_recorded(plan) + plan.history.count()


# --- one item's versions ---------------------------------------------------------------------


def test_an_items_versions_are_newest_first_in_the_pages_words(demo):
    plan = sdp()
    action = Action.objects.get(plan=plan)
    edit(action, "Library twice a week", by="senior")
    page = selectors.item_history_page(user=person("head"), plan=plan, kind="action", item_pk=action.pk)
    newest, oldest = page["versions"][0], page["versions"][-1]
    assert newest["record"].history_user == person("senior") and len(page["versions"]) == 2
    newest_values, oldest_values = dict(newest["values"]), dict(oldest["values"])
    assert newest_values["what will be done"] == "Library twice a week"
    assert oldest_values["what will be done"] == "Weekly library sessions for Year 7"
    assert newest_values["lead"] == person("head").full_name  # the person, not their id
    assert newest_values["due term"] == "Summer term" and newest_values["start date"] == "–"
    assert page["exists"] is True and page["can_edit"] is True and page["name"] == "action"
    assert (
        selectors.item_history_page(user=person("trustee"), plan=plan, kind="action", item_pk=action.pk)["can_edit"]
        is False
    )


def test_an_items_versions_answer_404_for_evidence_or_another_plans_item(demo):
    plan, other = sdp(), sdp(school="brunel")
    action = Action.objects.get(plan=other)
    with pytest.raises(Http404):
        selectors.item_history_page(user=person("head"), plan=plan, kind="action", item_pk=action.pk)
    with pytest.raises(Http404):
        selectors.item_history_page(user=person("head"), plan=plan, kind="evidence", item_pk=action.pk)


@pytest.mark.parametrize("edits", [0, 6])
def test_an_items_versions_cost_three_queries_however_many(demo, django_assert_num_queries, edits):
    plan = sdp()
    action = Action.objects.get(plan=plan)
    for i in range(edits):
        action = services.item_save(
            item=action,
            values={"what": f"v{i}", "lead": person("senior" if i % 2 else "head")},
            expected_version=action.version,
            by=person("head"),
        )
    head = person("head")
    policy.can_edit_school_plan(head, plan)
    # The versions, the people they name, whether the item still exists.
    with django_assert_num_queries(3):
        page = selectors.item_history_page(user=head, plan=plan, kind="action", item_pk=action.pk)
    assert len(page["versions"]) == 1 + edits


# --- which plans a person sees ---------------------------------------------------------------


def test_a_draft_is_found_only_by_those_who_may_see_it(demo):
    draft = sdp()
    assert selectors.school_plan(user=person("head"), pk=draft.pk) == draft
    assert draft in selectors.school_plans(user=person("head"))
    with pytest.raises(Http404):
        selectors.school_plan(user=person("head.brunel"), pk=draft.pk)
    assert draft not in selectors.school_plans(user=person("head.brunel"))


def test_the_plan_list_shows_one_year_the_latest_unless_asked(no_demo_sdps):
    older, newer = sdp(state="finalised"), sdp(school="brunel", state="finalised", year=2024)
    ceo = person("ceo")
    page = selectors.plan_list(user=ceo, year_slug=None)
    assert page["plans"] == [newer] and page["year"].start_year == 2024
    assert [y.start_year for y in page["years"]] == [2023, 2024]
    assert selectors.plan_list(user=ceo, year_slug="2023-24")["plans"] == [older]
    assert selectors.plan_list(user=ceo, year_slug="1999-00")["plans"] == [newer]  # unknown: the latest
    # A person sees only the years of the plans they may read.
    head = selectors.plan_list(user=person("head"), year_slug=None)
    assert head["plans"] == [older] and [y.start_year for y in head["years"]] == [2023]
