"""`load_demo --schools N --years Y`: the large demo trust, at a small size (8 schools, 2 years)."""

import datetime
import io
import re
from collections import Counter, defaultdict

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Max, Q
from django.utils import timezone

from governance.models import Role, RoleAssignment, User
from plans import smart
from plans.models import (
    AcademicYear,
    Action,
    Evidence,
    Milestone,
    PlanEvent,
    PlanState,
    PocketGuide,
    Priority,
    SchoolPlan,
    Step,
    SuccessCriterion,
)
from plans.models.school_plans import PUBLISHED_STATES
from plans.selectors_school import changes_since
from plans.workflow import STEPS
from reviews import rules
from reviews.models import Rating, TermDates, Voice
from reviews.selectors import plan_figures
from reviews.services import RATINGS
from schools.models import School
from smart_trust.demo import PEOPLE, RATED_SCHOOLS, SCHOOLS
from smart_trust.rendered import data_version

pytestmark = pytest.mark.django_db

SCHOOL_COUNT, YEAR_COUNT = 8, 2
PER_ROLE = {
    Role.HEADTEACHER: 1,
    Role.SENIOR_LEADER: 2,
    Role.MIDDLE_LEADER: 4,
    Role.LOCAL_GOVERNOR: 6,
    Role.STAFF: 12,
}
TRUST_PEOPLE = sum(1 for p in PEOPLE if p[3] is None)
ITEM_MODELS = [SchoolPlan, Priority, Action, SuccessCriterion, Evidence]
# The small demo's own SDPs, written and rated by hand through the services (smart_trust.demo):
# the large loader builds every other school's and year's.
HAND_MADE = Q(academic_year__start_year=2023, school__slug__in=RATED_SCHOOLS)


def built():
    """The SDPs the large loader made."""
    return SchoolPlan.objects.exclude(HAND_MADE)


def run(**options) -> str:
    out = io.StringIO()
    call_command("load_demo", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def large(demo) -> str:
    return run(schools=SCHOOL_COUNT, years=YEAR_COUNT, password="large-demo-pass")


def row_counts() -> dict[str, int]:
    models = [School, User, RoleAssignment, PocketGuide, Milestone, PlanEvent, *ITEM_MODELS, Rating]
    counts = {m.__name__: m.objects.count() for m in models}
    counts |= {f"history of {m.__name__}": m.history.count() for m in [*ITEM_MODELS, Rating]}
    return counts


def test_schools_and_people_per_role(large):
    schools = list(School.objects.all())
    assert len(schools) == SCHOOL_COUNT
    assert len({s.slug for s in schools}) == len({s.urn for s in schools}) == SCHOOL_COUNT
    assert {name for name, *_ in SCHOOLS} <= {s.name for s in schools}
    by_school = Counter(RoleAssignment.objects.exclude(school=None).values_list("school_id", "role"))
    for school in schools:
        assert {role: by_school[school.pk, role] for role in PER_ROLE} == PER_ROLE, school.name
        governors = RoleAssignment.objects.filter(school=school, role=Role.LOCAL_GOVERNOR)
        assert governors.filter(is_chair=True).count() == 1, school.name
    assert User.objects.count() == TRUST_PEOPLE + SCHOOL_COUNT * sum(PER_ROLE.values())
    assert not User.objects.exclude(email__endswith="@demo.smart-trust.invalid").exists()
    # One hash, made once, for every person the large demo added (the small demo's are hashed one by one).
    small = [f"{local}@demo.smart-trust.invalid" for local, *_ in PEOPLE]
    added = User.objects.exclude(email__in=small)
    assert added.count() == SCHOOL_COUNT * sum(PER_ROLE.values()) - len(PEOPLE) + TRUST_PEOPLE
    assert added.values("password").distinct().count() == 1
    assert added.first().check_password("large-demo-pass")


def test_a_published_pocket_guide_per_year_with_the_demo_milestones(large):
    assert list(AcademicYear.objects.values_list("start_year", flat=True)) == [2023, 2024]
    guides = {g.academic_year.start_year: g for g in PocketGuide.objects.select_related("academic_year")}
    assert set(guides) == {2023, 2024}
    assert all(g.status == "published" for g in guides.values())
    assert "2024" in guides[2024].title and "2023" not in guides[2024].title
    old, new = (list(guides[y].milestones.order_by("aim__code")) for y in (2023, 2024))
    assert [m.aim_id for m in old] == [m.aim_id for m in new] and len(new) == 8
    assert all(a.milestone != b.milestone for a, b in zip(old, new, strict=True))


def test_every_school_has_a_full_sdp_each_year(large):
    plans = SchoolPlan.objects.select_related("academic_year", "pocket_guide__academic_year")
    assert Counter((p.school_id, p.academic_year.start_year) for p in plans) == {
        (s.pk, y): 1 for s in School.objects.all() for y in (2023, 2024)
    }
    assert all(p.pocket_guide.academic_year == p.academic_year and p.kind == "sdp" for p in plans)
    assert plans.filter(HAND_MADE).count() == len(RATED_SCHOOLS)  # the small demo's, kept as they were
    mine = built().values("pk")
    for model, per_plan in ((Priority, 12), (Action, 60), (SuccessCriterion, 120)):
        counts = model.objects.filter(plan__in=mine).values("plan").annotate(n=Count("pk")).values_list("n", flat=True)
        assert sorted(set(counts)) == [per_plan], model.__name__
        assert len(counts) == built().count()
    priorities = Priority.objects.filter(plan__in=mine).annotate(n=Count("actions"))
    assert set(priorities.values_list("n", flat=True)) == {5}
    actions = Action.objects.filter(plan__in=mine).annotate(n=Count("criteria"))
    assert set(actions.values_list("n", flat=True)) == {2}
    # Eight trust priorities from the plan's own pocket guide, four of the school's own.
    for plan in plans.exclude(HAND_MADE):
        trust = Priority.objects.filter(plan=plan, milestone__isnull=False)
        assert trust.count() == 8 and not trust.exclude(milestone__guide=plan.pocket_guide).exists()
        assert Priority.objects.filter(plan=plan, milestone=None, aim=None).count() == 4
    assert Evidence.objects.exists()


def test_actions_are_led_by_the_schools_leaders_within_the_year(large):
    leaders = defaultdict(set)
    for school_id, user_id in RoleAssignment.objects.filter(
        role__in=[Role.HEADTEACHER, Role.SENIOR_LEADER, Role.MIDDLE_LEADER]
    ).values_list("school_id", "user_id"):
        leaders[school_id].add(user_id)
    actions = list(Action.objects.select_related("plan__academic_year"))
    mine = set(built().values_list("pk", flat=True))
    for action in actions:
        assert action.lead_id in leaders[action.plan.school_id]
        first, last = smart.year_bounds(action.plan.academic_year)
        assert action.start_term and (action.due_term or action.plan_id not in mine and action.due_date)
        assert all(first <= d <= last for d in (action.start_date, action.due_date) if d)
    assert 0.2 < sum(1 for a in actions if a.cost) / len(actions) < 0.5


def test_criteria_are_mostly_numeric_some_text_a_few_fail_the_smart_check(large):
    criteria = list(SuccessCriterion.objects.select_related("action__lead", "plan__academic_year"))
    numeric = [c for c in criteria if c.target is not None]
    assert all(c.kpi and c.baseline is not None and c.unit for c in numeric)
    assert 0.6 < len(numeric) / len(criteria) < 0.9
    assert any(not c.kpi for c in criteria)  # text only
    failing = Counter(c.plan_id for c in criteria if not smart.check_criterion(c, c.action, c.plan.academic_year).ok)
    assert set(failing) == set(SchoolPlan.objects.values_list("pk", flat=True))  # every plan has some
    assert max(failing.values()) <= 4


def test_every_item_has_its_history_dated_as_the_work_was_done(large):
    for model in ITEM_MODELS:
        items = model.objects.count()
        created = model.history.filter(history_type="+")
        assert created.count() == items > 0, model.__name__
        assert set(created.values_list("id", flat=True)) == set(model.objects.values_list("pk", flat=True))
        assert model.history.count() >= items
    # The loader's own are dated as the work was done (the small demo's were made just now).
    plans = {p.pk: p for p in built().select_related("academic_year")}
    for model in (Priority, Action, SuccessCriterion):
        for plan_id, first in (
            model.history.filter(history_type="+", plan_id__in=plans)
            .values_list("plan_id")
            .annotate(at=Max("history_date"))
        ):
            year = plans[plan_id].academic_year.start_year
            assert datetime.date(year, 6, 1) <= first.date() < datetime.date(year, 9, 1)
        # A version per recorded change, and `updated_at` is the last one's time.
        latest = dict(model.history.values_list("id").annotate(at=Max("history_date")))
        versions = dict(model.history.values_list("id").annotate(n=Count("history_id")))
        for item in model.objects.filter(plan_id__in=plans):
            assert item.version == versions[item.pk]
            assert item.updated_at == latest[item.pk]
    assert not any(model.history.filter(history_date__gt=timezone.now()).exists() for model in ITEM_MODELS)


def test_states_follow_the_workflow_with_the_right_people(large):
    heads = dict(RoleAssignment.objects.filter(role=Role.HEADTEACHER).values_list("school_id", "user_id"))
    governors = defaultdict(set)
    for school_id, user_id in RoleAssignment.objects.filter(role=Role.LOCAL_GOVERNOR).values_list(
        "school_id", "user_id"
    ):
        governors[school_id].add(user_id)
    ceo = RoleAssignment.objects.get(role=Role.CEO).user_id
    who = {
        Step.SUBMIT: lambda p: {heads[p.school_id]},
        Step.FINALISE: lambda p: {heads[p.school_id]},
        Step.AGREE: lambda p: governors[p.school_id],
        Step.RETURN: lambda p: governors[p.school_id],
        Step.SIGN_OFF: lambda p: {ceo},
    }
    states = defaultdict(Counter)
    for plan in SchoolPlan.objects.select_related("academic_year").prefetch_related("events"):
        state, last = PlanState.DRAFT, plan.created_at
        events = sorted(plan.events.all(), key=lambda e: e.at)
        for event in events:
            assert event.from_state == state and STEPS[event.step].to_state == event.to_state
            assert event.by_id in who[event.step](plan)
            assert event.at > last
            state, last = event.to_state, event.at
        assert plan.state == state
        assert plan.history.filter(history_type="~").count() == len(events)
        assert plan.history.order_by("-history_date").first().state == plan.state
        states[plan.academic_year.start_year][plan.state] += 1
    assert set(states[2023]) == {PlanState.SIGNED_OFF}
    latest = states[2024]
    assert set(latest) == set(PlanState.values)  # a mix, at this size every state
    assert latest[PlanState.SIGNED_OFF] + latest[PlanState.FINALISED] > SCHOOL_COUNT / 2


def test_changes_after_the_lgc_agreed_show_in_the_ceos_queue(large, client):
    ceo = RoleAssignment.objects.get(role=Role.CEO).user
    finalised = list(SchoolPlan.objects.filter(state=PlanState.FINALISED))
    assert finalised
    changed = changes_since(user=ceo, plans=finalised)
    assert all(changed.get(p.pk, 0) > 0 for p in finalised)
    edited = [m.history.filter(history_type="~", history_change_reason="Edited") for m in (Priority, Action)]
    assert sum(q.count() for q in edited) + SuccessCriterion.history.filter(history_type="~").count() > 0
    client.force_login(ceo)
    page = client.get("/school-plans/sign-off/").content.decode()
    assert re.search(r"\d+ changes? since the LGC agreed it", page)


def test_the_head_sees_a_sixty_action_plan(large, client):
    plan = SchoolPlan.objects.filter(academic_year__start_year=2024, state=PlanState.FINALISED).first()
    client.force_login(RoleAssignment.objects.get(role=Role.HEADTEACHER, school=plan.school).user)
    response = client.get(f"/school-plans/{plan.pk}/")
    assert response.status_code == 200
    assert response.content.decode().count('<article class="action ') == 60


def test_running_again_changes_nothing_and_a_bigger_size_is_refused(large):
    before = row_counts()
    again = run(schools=SCHOOL_COUNT, years=YEAR_COUNT)
    assert "already loaded" in again and "password" not in again.lower()
    assert row_counts() == before
    assert "already loaded" in run(schools=SCHOOL_COUNT - 1, years=1)
    # The small demo is part of the large one: running it does nothing (its file has only 2023/24).
    assert "large demo trust is loaded" in run()
    with pytest.raises(CommandError, match="different large demo"):
        run(schools=SCHOOL_COUNT + 1, years=YEAR_COUNT)
    assert row_counts() == before


def test_default_load_demo_stays_small(demo):
    out = run()
    assert "Demo plan: 0 changes." in out
    assert School.objects.count() == len(SCHOOLS) == 6
    assert User.objects.count() == len(PEOPLE)
    assert PocketGuide.objects.count() == 1
    assert SchoolPlan.objects.count() == SchoolPlan.objects.filter(HAND_MADE).count() == len(RATED_SCHOOLS)


def test_bad_sizes_are_refused(demo):
    with pytest.raises(CommandError, match="give --schools"):
        run(years=2)
    with pytest.raises(CommandError, match="--years must be from 1 to 5"):
        run(schools=8, years=6)
    with pytest.raises(CommandError, match="--schools must be from 6"):
        run(schools=5)
    assert SchoolPlan.objects.count() == SchoolPlan.objects.filter(HAND_MADE).count()


# --- ratings -------------------------------------------------------------------------------------


def test_published_plans_are_rated_in_autumn_and_spring_within_the_window(large):
    terms = {(t.academic_year.start_year, t.term): t for t in TermDates.objects.select_related("academic_year")}
    assert {(y, n) for y in (2023, 2024) for n in ("autumn", "spring", "summer")} <= set(terms)
    ratings = list(built_ratings().select_related("term", "plan"))
    assert ratings and all(r.plan.state in PUBLISHED_STATES for r in ratings)
    assert not Rating.objects.exclude(plan__state__in=PUBLISHED_STATES).exists()
    rated = {(r.plan_id, r.term.term) for r in ratings}
    for plan in built().filter(state__in=PUBLISHED_STATES):
        assert {(plan.pk, "autumn"), (plan.pk, "spring")} <= rated, plan
    assert {r.term.term for r in ratings} == {"autumn", "spring"}
    now = timezone.now()
    for r in ratings:
        assert r.term.academic_year_id == r.plan.academic_year_id
        assert r.term.rating_opens <= timezone.localtime(r.at).date() <= r.term.rating_closes and r.at < now
        assert r.action_id and r.version == 1


def test_ratings_obey_the_rules_with_their_history(large):
    ratings = list(built_ratings().prefetch_related("action__criteria"))
    for r in ratings:
        measured = any(c.target is not None for c in r.action.criteria.all())
        offered = ["red", "amber", "green", "not_yet_due", "complete"]
        found = rules.problems(
            value=r.value, commentary=r.commentary, current_value=r.current_value, evidence=r.evidence,
            offered=offered, measured=measured, evidence_on_record=False,
        )  # fmt: skip
        assert found == {}, (r, found)
    created = {h.id: h for h in Rating.history.filter(history_type="+")}
    assert all((created[r.pk].history_user_id, created[r.pk].history_date) == (r.by_id, r.at) for r in ratings)
    # The self-assessment is the action's lead's (or the head's), the governors' rating the chair's.
    chairs = dict(RoleAssignment.objects.filter(is_chair=True).values_list("school_id", "user_id"))
    leaders = defaultdict(set)
    for school_id, user_id in RoleAssignment.objects.filter(
        role__in=[Role.HEADTEACHER, Role.SENIOR_LEADER, Role.MIDDLE_LEADER]
    ).values_list("school_id", "user_id"):
        leaders[school_id].add(user_id)
    schools = dict(SchoolPlan.objects.values_list("pk", "school_id"))
    for r in ratings:
        if r.voice == Voice.GOVERNORS:
            assert r.by_id == chairs[schools[r.plan_id]]
        else:
            assert r.voice == Voice.SELF and r.by_id in leaders[schools[r.plan_id]]


def test_ratings_are_a_realistic_mix(large):
    values = Counter(built_ratings().filter(voice=Voice.GOVERNORS).values_list("value", flat=True))
    total = sum(values.values())
    assert values["green"] / total > 0.5
    assert values["amber"] > values["red"] > 0 and values["not_yet_due"] and values["complete"]
    counts = Counter()
    for (year, name), term in {(t.academic_year.start_year, t.term): t for t in TermDates.objects.all()}.items():
        if name == "summer":
            continue
        plans = list(built().filter(state__in=PUBLISHED_STATES, academic_year__start_year=year))
        for figures in plan_figures(plans, term).values():
            counts.update(figures.counts)
            assert figures.spread.total == 60
    assert counts["not_rated"] and counts["disputed"] and counts["stale"], counts


def test_the_ratings_version_moves_on(demo):
    before = data_version(RATINGS)
    run(schools=SCHOOL_COUNT, years=1, password="large-demo-pass")
    assert data_version(RATINGS) != before


def built_ratings():
    return Rating.objects.filter(plan__in=built().values("pk"))
