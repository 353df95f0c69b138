"""What each role's journey found (issue 14, part 3) and the workflow step table (issue 15, item 1).
Each test failed before its fix."""

import datetime
import html
import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from governance import policy
from governance.models import Role, RoleAssignment, User
from plans import plan_history, services, smart, workflow
from plans.models import (
    AcademicYear,
    Action,
    PlanEvent,
    PlanState,
    Priority,
    SchoolPlan,
    Step,
    SuccessCriterion,
)
from schools.models import School, Trust
from smart_trust.demo import PEOPLE
from tests.school_plan_builders import client_for, person, sdp

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    """The page's text without tags and with runs of white space made single."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


# --- A. the workflow table -------------------------------------------------------------------


def test_every_step_is_described_once_in_the_table():
    assert set(workflow.STEPS) == set(Step.values)
    for name, rule in workflow.STEPS.items():
        assert rule.name == name
        assert rule.from_states and rule.to_state in PlanState.values
        assert callable(rule.who) and rule.button and rule.done
    assert workflow.STEPS[Step.FINALISE].confirm and workflow.STEPS[Step.SIGN_OFF].confirm
    assert workflow.STEPS[Step.RETURN].comment == workflow.REQUIRED
    assert workflow.STEPS[Step.REOPEN].comment == workflow.REQUIRED


def test_policy_does_not_import_plans():
    source = open(policy.__file__, encoding="utf-8").read()
    assert "from plans" not in source and "import plans" not in source
    assert not hasattr(policy, "may_take_step") and not hasattr(policy, "steps_for")


def test_no_template_compares_state_strings():
    from pathlib import Path

    for template in Path("plans/templates/plans/school").glob("*.html"):
        source = template.read_text(encoding="utf-8")
        assert not re.search(r"state\s*==", source), template
        assert not re.search(r'step\s*==\s*"', source), template


def test_the_plan_log_says_what_happened(demo):
    plan = sdp(state="submitted")
    page = text_of(client_for("head").get(plan.get_absolute_url()))
    assert "Submitted to the LGC by Hannah Eddy" in page
    assert "Submit to the LGC by" not in page


@pytest.mark.parametrize(("state", "step", "who"), [("agreed", "finalise", "head"), ("finalised", "sign_off", "ceo")])
def test_finalise_and_sign_off_ask_for_confirmation_first(demo, state, step, who):
    plan = sdp(state=state)
    client = client_for(who)
    url = reverse("school_plans:step", args=[plan.pk, step])
    confirm_url = reverse("school_plans:step_confirm", args=[plan.pk, step])
    # One click without confirming sends the person to the confirmation page; nothing moves.
    response = client.post(url, {})
    assert response.status_code == 302 and response["Location"].startswith(confirm_url)
    plan.refresh_from_db()
    assert plan.state == state
    page = client.get(confirm_url)
    assert page.status_code == 200
    assert f'action="{url}"' in page.content.decode()
    response = client.post(url, {"confirmed": "yes"})
    assert (response.status_code, response["Location"]) == (302, plan.get_absolute_url())
    plan.refresh_from_db()
    assert plan.state == workflow.STEPS[step].to_state


def test_the_confirmation_page_is_only_for_who_may_take_the_step(demo):
    plan = sdp(state="agreed")
    url = reverse("school_plans:step_confirm", args=[plan.pk, "finalise"])
    assert client_for("governor").get(url).status_code == 403
    assert client_for("staff").get(url).status_code == 404
    assert client_for("head").get(reverse("school_plans:step_confirm", args=[plan.pk, "sign_off"])).status_code == 403
    assert client_for("head").get(reverse("school_plans:step_confirm", args=[plan.pk, "nonsense"])).status_code == 404


# --- B. the journeys -------------------------------------------------------------------------


def test_the_school_page_lists_the_schools_plans(demo):
    plan = sdp()
    page = client_for("head").get(reverse("schools:detail", args=["saltash"])).content.decode()
    assert "will appear here" not in page
    assert plan.get_absolute_url() in page and "Draft" in page
    # Staff of the school do not see a draft.
    staff_page = client_for("staff").get(reverse("schools:detail", args=["saltash"])).content.decode()
    assert plan.get_absolute_url() not in staff_page


def test_priorities_are_numbered_once(demo):
    plan = sdp(with_action=False)
    first = plan.priorities.order_by("order").first()
    assert first.title == "Equitable progress for ALL pupils"
    page = text_of(client_for("head").get(plan.get_absolute_url()))
    assert "Priority 1: Equitable progress for ALL pupils" in page
    second = plan.priorities.order_by("order")[1]
    services.item_delete(item=first, by=person("head"))
    page = text_of(client_for("head").get(plan.get_absolute_url()))
    assert f"Priority 1: {second.title}" in page
    assert not re.search(r"Priority \d+: \d+\.", page)
    guide = text_of(client_for("head").get(reverse("school_plans:pocket_guide", args=[plan.pk])))
    assert not re.search(r"\b\d+\. \d+\. ", guide)


def test_the_school_pocket_guide_says_when_a_priority_has_no_actions(demo):
    plan = sdp(with_action=False)
    first = plan.priorities.order_by("order").first()
    guide = text_of(client_for("head").get(reverse("school_plans:pocket_guide", args=[plan.pk])))
    assert "No actions yet" in guide
    assert first.description[:60] not in guide


@pytest.mark.parametrize(
    "text",
    ["Improve behaviour in Year 9", "Better reading in Y9", "Stronger writing at KS2", "Progress at key stage 4",
     "Attendance improves in 2024", "Behaviour improves by 31/03/2024", "Attendance improves in autumn 2"],
)  # fmt: skip
def test_a_year_group_key_stage_or_date_is_not_a_measure(text):
    assert not smart.measurable(SuccessCriterion(text=text)).ok


@pytest.mark.parametrize("text", ["85% of Year 9 read daily", "Exclusions fall to 3 in Year 9", "All staff trained"])
def test_real_measures_still_count(text):
    assert smart.measurable(SuccessCriterion(text=text)).ok


def test_the_smart_summary_counts_priorities_and_actions_with_nothing_in_them(demo):
    plan = sdp()  # eight trust priorities with no actions, one school priority with an action
    report = smart.report_for_tree(plan_history.plan_tree(plan), plan.academic_year)
    assert not report.ok
    assert "8 priorities have no actions" in report.summary
    priority = plan.priorities.filter(milestone=None).get()
    services.item_save(
        item=Action(plan=plan, priority=priority), values={"what": "Empty"}, expected_version=None, by=person("head")
    )
    report = smart.report_for_tree(plan_history.plan_tree(plan), plan.academic_year)
    assert "1 action has no success criteria" in report.summary
    assert "All" not in report.summary


def test_the_queue_summary_counts_empty_priorities_too(demo):
    plan = sdp(state="finalised")
    rows = client_for("ceo").get(reverse("school_plans:sign_off")).context["rows"]
    row = next(r for r in rows if r["plan"].pk == plan.pk)
    assert "8 priorities have no actions" in row["plan"].smart_summary


def test_dates_outside_the_plans_year_are_refused_and_flagged(demo):
    plan = sdp()
    priority = plan.priorities.filter(milestone=None).get()
    url = reverse("school_plans:action_add", args=[plan.pk, priority.pk])
    response = client_for("head").post(
        url, {"what": "Far away", "status": "not_started", "start_date": "2030-09-01", "due_date": "2031-07-01"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "The plan&#x27;s year runs from 1 September 2023 to 31 August 2024" in page
    action = Action.objects.get(plan=plan)
    criterion_url = reverse("school_plans:criterion_add", args=[plan.pk, action.pk])
    response = client_for("head").post(criterion_url, {"text": "All pupils", "due_date": "2031-01-01"})
    assert response.status_code == 400
    # Written some other way (an import, an older plan), the SMART check flags it.
    Action.objects.filter(pk=action.pk).update(due_date=datetime.date(2031, 7, 1), due_term="")
    report = smart.report_for_tree(plan_history.plan_tree(plan), plan.academic_year)
    timed = report.actions[0].criteria[0].checks[1]
    assert not timed.ok and "outside the plan's year" in timed.reason


def test_history_labels_read_as_sentences(demo):
    plan = sdp(state="submitted")
    page = text_of(client_for("head").get(reverse("school_plans:history", args=[plan.pk])))
    assert "plan plan" not in page.lower()
    assert "Started the plan" in page and "Plan submitted to the LGC" in page


def test_numbers_and_money_are_written_as_people_write_them(demo):
    plan = sdp()
    action = Action.objects.get(plan=plan)
    before = timezone.now()
    services.item_save(item=action, values={"cost": Decimal("12500.00")}, expected_version=1, by=person("head"))
    criterion = SuccessCriterion.objects.get(plan=plan)
    services.item_save(
        item=criterion,
        values={"kpi": "Persistent absence", "baseline": Decimal("24.00"), "target": Decimal("15.00"), "unit": "%"},
        expected_version=1,
        by=person("head"),
    )
    detail = text_of(client_for("head").get(plan.get_absolute_url()))
    assert "£12,500" in detail and "£12500" not in detail
    lines = plan_history.tree_lines(plan, plan_history.plan_tree(plan))
    assert any("24% -> 15%" in line for line in lines), lines
    assert any("£12,500" in line for line in lines), lines
    diff = text_of(
        client_for("head").get(
            reverse("school_plans:history", args=[plan.pk]),
            {"from": before.isoformat(), "to": timezone.now().isoformat()},
        )
    )
    assert "£12,500" in diff and "24% -> 15%" in diff
    history = text_of(client_for("head").get(reverse("school_plans:item_history", args=[plan.pk, "action", action.pk])))
    assert "£12,500" in history and "12500.00" not in history


def test_see_them_preselects_the_versions_it_compares(demo):
    plan = sdp(state="agreed")
    ceo = client_for("ceo")
    assert ceo.get(plan.get_absolute_url()).status_code == 200
    action = Action.objects.get(plan=plan)
    services.item_save(item=action, values={"what": "Changed"}, expected_version=action.version, by=person("head"))
    queue = ceo.get(reverse("school_plans:sign_off")).content.decode()
    link = re.search(r'href="(/school-plans/\d+/history/\?[^"]+)">See them', queue).group(1).replace("&amp;", "&")
    response = ceo.get(link)
    selected = re.findall(r'<option value="([^"]+)"[^>]* selected', response.content.decode())
    assert len(selected) == 2 and selected[0] != selected[1]
    assert response.context["compared"]["lines"]


def test_a_queue_row_never_opened_links_to_what_changed_since_the_lgc_agreed(demo):
    plan = sdp(state="agreed")  # its items were written before the LGC agreed: not counted
    agreed = plan.events.get(step="agree").at
    action = Action.objects.get(plan=plan)
    services.item_save(item=action, values={"what": "Changed"}, expected_version=action.version, by=person("head"))
    workflow.take_step(plan=plan, step="finalise", by=person("head"), comment="")
    queue = client_for("ceo").get(reverse("school_plans:sign_off")).content.decode()
    row = queue[queue.index(plan.get_absolute_url()) :]
    row = row[: row.index("</tr>")]
    assert "Not opened yet: 1 change since the LGC agreed it" in row
    link = re.search(r'href="(/school-plans/\d+/history/\?[^"]+)">See them', row).group(1).replace("&amp;", "&")
    since = parse_qs(urlsplit(link).query)["from"][0]
    assert datetime.datetime.fromisoformat(since) == agreed


def test_removing_a_trust_priority_warns_it_is_in_every_sdp(demo):
    plan = sdp(with_action=False)
    trust_priority = plan.priorities.exclude(milestone=None).first()
    page = text_of(
        client_for("head").get(reverse("school_plans:item_delete", args=[plan.pk, "priority", trust_priority.pk]))
    )
    assert "in every school's development plan" in page
    own = services.item_save(
        item=Priority(plan=plan), values={"title": "Ours"}, expected_version=None, by=person("head")
    )
    page = text_of(client_for("head").get(reverse("school_plans:item_delete", args=[plan.pk, "priority", own.pk])))
    assert "in every school's development plan" not in page


def test_the_lead_list_groups_the_schools_staff_and_leaders_by_role(demo):
    plan = sdp()
    priority = plan.priorities.filter(milestone=None).get()
    markup = client_for("head").get(reverse("school_plans:action_add", args=[plan.pk, priority.pk])).content.decode()
    select = markup[markup.index('name="lead"') : markup.index("</select>", markup.index('name="lead"'))]
    assert '<optgroup label="Headteacher">' in select and '<optgroup label="Senior leaders">' in select
    assert "Sam Lowe, senior leader" in select and "Stacey Taff, staff" in select
    for outsider in ("Chris Evans", "Tom Rowe", "Gwen Lander", "Headteacher of Brunel"):
        assert outsider not in select
    # A lead not offered is refused.
    response = client_for("head").post(
        reverse("school_plans:action_add", args=[plan.pk, priority.pk]),
        {"what": "x", "status": "not_started", "lead": person("ceo").pk},
    )
    assert response.status_code == 400
    assert "Choose the lead from the list" in response.content.decode()


def test_a_trust_bdp_is_led_by_trust_wide_people(demo):
    plan = services.plan_create(
        trust=Trust.objects.get(),
        school=None,
        kind="bdp",
        academic_year=AcademicYear.objects.get(start_year=2023),
        by=person("tolt"),
    )
    priority = plan.priorities.first()
    markup = client_for("tolt").get(reverse("school_plans:action_add", args=[plan.pk, priority.pk])).content.decode()
    select = markup[markup.index('name="lead"') : markup.index("</select>", markup.index('name="lead"'))]
    assert "Fran Owen" in select and "Stacey Taff" not in select and "Gwen Lander" not in select


def test_an_invalid_save_lists_each_problem_at_the_top_with_links(demo):
    plan = sdp()
    action = Action.objects.get(plan=plan)
    response = client_for("head").post(
        reverse("school_plans:item_edit", args=[plan.pk, "action", action.pk]),
        {"what": "", "status": "not_started", "cost": "-5", "version": action.version},
    )
    assert response.status_code == 400
    markup = response.content.decode()
    start = markup.index('class="error-summary')
    summary = markup[start : markup.index("</div>", start)]
    assert 'href="#id_cost"' in summary and "The cost cannot be negative." in summary
    assert 'href="#id_what"' in summary and "Say what will be done." in summary
    assert "Ensure this value" not in markup
    assert "js/error-summary.js" in markup


def test_demo_names_are_whole():
    names = [name for _, name, _, _, _ in PEOPLE]
    assert "Headteacher of St Stephens Community Academy" in names
    assert "Chair of St Stephens Community Academy LGC" in names
    assert "Headteacher of St" not in names


def test_a_lead_who_is_only_staff_sees_the_progress_button_on_their_action(demo):
    plan = sdp(state="finalised")
    action = Action.objects.get(plan=plan)
    Action.objects.filter(pk=action.pk).update(lead=person("staff"))
    markup = client_for("staff").get(plan.get_absolute_url()).content.decode()
    assert reverse("school_plans:progress", args=[plan.pk, action.pk]) in markup
    # Someone else's action: no button.
    Action.objects.filter(pk=action.pk).update(lead=person("head"))
    markup = client_for("staff").get(plan.get_absolute_url()).content.decode()
    assert reverse("school_plans:progress", args=[plan.pk, action.pk]) not in markup


def test_last_changed_is_the_latest_change_to_the_plan_or_its_items(demo):
    plan = sdp()
    SchoolPlan.objects.filter(pk=plan.pk).update(updated_at=timezone.now() - datetime.timedelta(days=30))
    action = Action.objects.get(plan=plan)
    services.item_save(item=action, values={"what": "Now"}, expected_version=action.version, by=person("head"))
    client = client_for("head")
    row = next(p for p in client.get(reverse("school_plans:index")).context["plans"] if p.pk == plan.pk)
    assert timezone.now() - row.last_changed_at < datetime.timedelta(minutes=1)


def test_the_plan_list_costs_the_same_queries_with_more_plans(demo):
    client = client_for("ceo")

    def counts() -> tuple[int, int]:
        """Queries when the rows are rendered afresh, then when they are kept."""
        cache.clear()
        found = []
        for _ in range(2):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(reverse("school_plans:index")).status_code == 200
            found.append(len(queries))
        return tuple(found)

    sdp()
    client.get(reverse("school_plans:index"))  # the first request after signing in renews the session
    few = counts()
    sdp("brunel")
    sdp("landulph")
    assert counts() == few
    assert few[1] < few[0]


def test_an_action_must_belong_to_its_prioritys_plan(demo):
    plan = sdp()
    other = sdp("brunel")
    foreign = other.priorities.first()
    with pytest.raises(services.ValidationError, match="belongs to another plan"):
        services.item_save(
            item=Action(plan=plan, priority=foreign), values={"what": "x"}, expected_version=None, by=person("head")
        )
    action = Action.objects.get(plan=plan)
    with pytest.raises(services.ValidationError, match="belongs to another plan"):
        services.item_save(
            item=SuccessCriterion(plan=other, action=action),
            values={"text": "x"},
            expected_version=None,
            by=person("head"),
        )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the composite key is PostgreSQL's")
def test_the_database_refuses_an_item_whose_plan_differs_from_its_parents(demo):
    plan = sdp()
    other = sdp("brunel")
    with pytest.raises(IntegrityError), transaction.atomic():
        Action.objects.create(plan=plan, priority=other.priorities.first(), what="x")
    action = Action.objects.get(plan=plan)
    with pytest.raises(IntegrityError), transaction.atomic():
        SuccessCriterion.objects.create(plan=other, action=action, text="x")


# --- people are looked up within the person's trust -------------------------------------------


@pytest.fixture
def second_trust_person(demo):
    other = Trust.objects.create(name="Other Trust", slug="other")
    school = School.objects.create(
        trust=other, name="Elsewhere School", slug="elsewhere", phase="primary", urn="999999"
    )
    outsider = User.objects.create_user("outsider@example.org", "x", full_name="Owen Outsider")
    RoleAssignment.objects.create(user=outsider, role=Role.STAFF, trust=other, school=school)
    return outsider


@pytest.mark.parametrize(
    ("name", "method"),
    [("person_detail", "get"), ("person_edit", "get"), ("role_grant", "post")],
)
def test_people_pages_never_reach_another_trusts_people(second_trust_person, name, method):
    client = client_for("central")
    url = reverse(name, args=[second_trust_person.pk])
    response = client.post(url, {"role": "trustee"}) if method == "post" else client.get(url)
    assert response.status_code == 404
    assert not second_trust_person.roles.filter(role="trustee").exists()


def test_removing_another_trusts_role_is_404(second_trust_person):
    assignment = second_trust_person.roles.get()
    response = client_for("central").post(
        reverse("role_remove", args=[second_trust_person.pk, assignment.pk]), {"reason": "x"}
    )
    assert response.status_code == 404
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()


def test_the_people_list_shows_only_the_trusts_people(second_trust_person):
    page = client_for("central").get(reverse("people")).content.decode()
    assert "Owen Outsider" not in page and "Stacey Taff" in page


def test_events_are_unchanged_by_the_table(demo):
    plan = sdp(state="signed_off")
    assert [e.step for e in PlanEvent.objects.filter(plan=plan)] == ["submit", "agree", "finalise", "sign_off"]


def test_the_migration_takes_the_number_off_existing_trust_priorities(demo):
    from importlib import import_module

    from django.apps import apps

    plan = sdp(with_action=False)
    first = plan.priorities.exclude(milestone=None).order_by("order").first()
    Priority.objects.filter(pk=first.pk).update(title="1. Equitable progress for ALL pupils")
    own = services.item_save(
        item=Priority(plan=plan), values={"title": "2024 results day"}, expected_version=None, by=person("head")
    )
    import_module("plans.migrations.0004_journey_fixes").unnumber_trust_priorities(apps, None)
    first.refresh_from_db()
    own.refresh_from_db()
    assert (first.title, own.title) == ("Equitable progress for ALL pupils", "2024 results day")
    latest = first.history.order_by("-history_date", "-history_id").first()
    assert latest.title == "Equitable progress for ALL pupils"  # the history agrees with the data
    assert "Milestone number taken off" in latest.history_change_reason
    assert own.history.count() == 1  # untouched: only its "added" row
