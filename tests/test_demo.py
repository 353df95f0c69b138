"""`load_demo`: the demo trust in one command, idempotent, one person per role."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from governance.models import Role, RoleAssignment, User
from plans.models import AcademicYear, PlanEvent, SchoolPlan, StrategicPlan
from reviews import rules
from reviews.models import Rating, TermDates, TermReopening, Voice
from reviews.selectors import plan_figures, rated_plans, terms_of
from schools.models import School, Trust
from smart_trust.demo import DEMO_DOMAIN, SUMMER_REASON, demo_email

pytestmark = pytest.mark.django_db


def test_load_demo_creates_everyone_once_and_prints_the_password_once(capsys):
    # As on a fresh machine: the demo's plans, ratings and reopening go first (they name the people).
    SchoolPlan.objects.all().delete()
    TermReopening.objects.all().delete()
    TermDates.objects.update(reopened_until=None)
    User.objects.filter(email__endswith=DEMO_DOMAIN).delete()
    call_command("load_demo")
    first = capsys.readouterr().out
    assert "Demo password for all of them:" in first
    models = (User, RoleAssignment, School, SchoolPlan, PlanEvent, Rating, Rating.history.model, TermReopening)
    counts = [m.objects.count() for m in models]
    assert (counts[3], counts[4], counts[7]) == (5, 20, 1) and counts[5] > 150
    call_command("load_demo")
    second = capsys.readouterr().out
    assert "Demo password" not in second
    assert "passwords unchanged" in second
    assert "Demo plan: 0 changes." in second
    assert [m.objects.count() for m in models] == counts
    assert StrategicPlan.objects.count() == 1


def test_demo_has_every_role_and_both_phases(demo):
    assert set(RoleAssignment.objects.values_list("role", flat=True)) == set(Role.values)
    assert set(School.objects.values_list("phase", flat=True)) >= {"primary", "secondary"}
    assert School.objects.filter(name="Saltash Community School").exists()
    # Every school has a headteacher, so every school can write its SDP.
    assert all(s.roles.filter(role=Role.HEADTEACHER).exists() for s in School.objects.all())
    chair = RoleAssignment.objects.get(user__email="governor@demo.smart-trust.invalid")
    assert chair.is_chair and chair.school.slug == "saltash"


def test_demo_password_works(demo, client):
    response = client.post(
        "/accounts/login/", {"username": "ceo@demo.smart-trust.invalid", "password": "demo-pass-for-tests"}
    )
    assert response.status_code == 302


def test_five_schools_have_a_signed_off_sdp_made_through_the_workflow_and_saltash_none(demo):
    plans = SchoolPlan.objects.filter(kind="sdp").select_related("school", "academic_year")
    assert sorted(p.school.slug for p in plans) == ["bishop-cornish", "brunel", "burraton", "landulph", "st-stephens"]
    for plan in plans:
        assert plan.state == "signed_off" and plan.academic_year.start_year == 2023
        steps = [(e.step, e.by.email) for e in plan.events.order_by("at", "pk").select_related("by")]
        slug = plan.school.slug
        assert steps == [
            ("submit", demo_email(f"head.{slug}")),
            ("agree", demo_email(f"governor.{slug}")),
            ("finalise", demo_email(f"head.{slug}")),
            ("sign_off", demo_email("ceo")),
        ]
        # One trust priority per milestone of the 2023/24 pocket guide, each with one or two actions.
        priorities = list(plan.priorities.prefetch_related("actions__criteria", "actions__evidence"))
        assert len(priorities) == 8 and all(p.milestone_id for p in priorities)
        assert all(1 <= len(p.actions.all()) <= 2 for p in priorities)
        actions = [a for p in priorities for a in p.actions.all()]
        assert all(a.lead and a.lead.email == demo_email(f"head.{slug}") for a in actions)
        assert all(a.due_term or a.due_date for a in actions)
        assert any(c.target is not None for a in actions for c in a.criteria.all())
        assert any(a.evidence.all() for a in actions) and any(not a.evidence.all() for a in actions)


def test_the_demo_ratings_have_the_two_voices_and_every_flag(demo):
    trust = Trust.objects.get()
    autumn, spring, summer = terms_of(AcademicYear.objects.get(start_year=2023))
    totals = {}
    for term in (autumn, spring):
        plans = rated_plans(trust=trust, term=term)
        assert len(plans) == 5
        figures = plan_figures(plans, term)
        for f in figures.values():
            assert f.spread.rated >= f.spread.total // 2, (term, f.plan, f.spread.text)
        totals[term.term] = {k: sum(f.counts[k] for f in figures.values()) for k in ("disputed", "stale", "not_rated")}
        ratings = Rating.objects.filter(term=term)
        assert {r.voice for r in ratings} == {Voice.SELF, Voice.GOVERNORS}
        assert all(r.commentary for r in ratings if r.value in rules.NEEDS_COMMENTARY)
        greens = [r for r in ratings.filter(value="green").prefetch_related("action__criteria")]
        measured = [r for r in greens if any(c.target is not None for c in r.action.criteria.all())]
        assert measured and all(r.current_value for r in measured)
        by = {(r.voice, r.by.email.split("@")[0].split(".")[0]) for r in ratings.select_related("by")}
        assert by == {(Voice.SELF, "head"), (Voice.GOVERNORS, "governor")}
    assert all(n >= 1 for t in totals.values() for n in t.values()), totals
    # Some schools are on track, some not: the heatmap has something to show.
    spreads = {
        f.plan.school.slug: f.spread for f in plan_figures(rated_plans(trust=trust, term=spring), spring).values()
    }
    assert spreads["brunel"].score > spreads["burraton"].score + 20


def test_the_ceo_has_reopened_the_summer_term_so_the_demo_can_be_rated(demo):
    summer = terms_of(AcademicYear.objects.get(start_year=2023))[2]
    today = timezone.localdate()
    assert summer.rating_closes < today and summer.is_open(today)
    reopening = summer.reopenings.get()
    assert (reopening.by.email, reopening.reason) == (demo_email("ceo"), SUMMER_REASON)
    assert reopening.until >= today
