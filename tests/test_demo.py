"""`load_demo`: the demo trust in one command, idempotent, one person per role."""

import pytest
from django.core.management import call_command

from governance.models import Role, RoleAssignment, User
from plans.models import StrategicPlan
from schools.models import School
from smart_trust.demo import DEMO_DOMAIN

pytestmark = pytest.mark.django_db


def test_load_demo_creates_everyone_once_and_prints_the_password_once(capsys):
    User.objects.filter(email__endswith=DEMO_DOMAIN).delete()  # as on a fresh machine
    call_command("load_demo")
    first = capsys.readouterr().out
    assert "Demo password for all of them:" in first
    counts = (User.objects.count(), RoleAssignment.objects.count(), School.objects.count())
    call_command("load_demo")
    second = capsys.readouterr().out
    assert "Demo password" not in second
    assert "passwords unchanged" in second
    assert "Demo plan: 0 changes." in second
    assert (User.objects.count(), RoleAssignment.objects.count(), School.objects.count()) == counts
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
