"""Issue 16 item 1: nobody manages someone who holds more power, nobody grants a role they could
not be given by someone else, superuser accounts are managed only by superusers; every refusal is
logged. The ranks are `governance.policy.ROLE_RANK`; these tests walk the pairs that matter."""

import logging

import pytest
from django.core import mail
from django.urls import reverse

from governance import policy
from governance.models import Role, RoleAssignment, User
from schools.models import School, Trust
from smart_trust.demo import demo_email

pytestmark = pytest.mark.django_db
LOGGER = "governance.people"


def person(role=None, *, school=None, **extra) -> User:
    user = User.objects.create_user(
        f"{role or 'nobody'}-{User.objects.count()}@example.org", "pw", full_name="P", **extra
    )
    if role:
        RoleAssignment.objects.create(user=user, role=role, trust=Trust.objects.get(), school=school)
    return user


@pytest.fixture
def ceo(client, demo) -> User:
    user = User.objects.get(email=demo_email("ceo"))
    assert not user.is_superuser
    client.force_login(user)
    return user


@pytest.fixture
def central_team(client, demo) -> User:
    """A central team member who is not a superuser (the demo's central account also is one)."""
    user = person(Role.CENTRAL_TEAM, is_staff=True)
    client.force_login(user)
    return user


def edit(client, target: User, **changes):
    data = {"full_name": target.full_name, "email": target.email, "is_active": "on", **changes}
    return client.post(reverse("person_edit", args=[target.pk]), data)


def grant(client, target: User, role: str, school: School | None = None):
    return client.post(reverse("role_grant", args=[target.pk]), {"role": role, "school": school.pk if school else ""})


def refusals(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno == logging.WARNING]


def test_the_ceo_cannot_take_over_a_superuser(client, ceo, caplog):
    root = person(is_superuser=True, is_staff=True)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert client.get(reverse("person_edit", args=[root.pk])).status_code == 403
        response = edit(client, root, email=ceo.email.replace("ceo", "ceo2"))
        assert grant(client, root, Role.STAFF, School.objects.get(slug="saltash")).status_code == 403
    assert response.status_code == 403
    root.refresh_from_db()
    assert root.email.startswith("nobody-") and not root.roles.exists()
    # The e-mail was never changed, so a reset cannot be sent to the CEO.
    client.post(reverse("password_reset"), {"email": ceo.email.replace("ceo", "ceo2")})
    assert mail.outbox == []
    logged = refusals(caplog)
    assert len(logged) == 3
    assert all(ceo.email in line and root.email in line for line in logged)
    assert "superuser" in logged[0] and "edit" in logged[0] and "grant" in logged[2]


def test_the_central_team_cannot_edit_the_ceo(client, central_team, caplog):
    the_ceo = User.objects.get(email=demo_email("ceo"))
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        response = edit(client, the_ceo, email="mine@example.org")
    assert response.status_code == 403
    assert "holds more power (CEO) than you do" in response.content.decode()  # the 403 page says why
    the_ceo.refresh_from_db()
    assert the_ceo.email == demo_email("ceo")
    [line] = refusals(caplog)
    assert line.startswith(f"Refused: {central_team.email} tried to edit {the_ceo.email}: ")
    assert "more power (CEO)" in line


def test_nobody_grants_themselves_a_role(client, central_team, caplog):
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        response = grant(client, central_team, Role.CEO)
        also = grant(client, central_team, Role.TRUSTEE)
    assert (response.status_code, also.status_code) == (403, 403)
    assert set(central_team.roles.values_list("role", flat=True)) == {Role.CENTRAL_TEAM}
    assert client.get(reverse("school_plans:sign_off")).status_code == 403
    logged = refusals(caplog)
    assert len(logged) == 2 and "yourself" in logged[0] and "grant CEO to" in logged[0]


def test_not_even_the_demo_central_superuser_grants_itself_the_ceo_role(client, central, caplog):
    """The probe's own steps: the demo central account granted itself CEO and opened the queue."""
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert grant(client, central, Role.CEO).status_code == 403
    assert not central.roles.filter(role=Role.CEO).exists()
    assert refusals(caplog)


def test_the_central_team_cannot_make_anyone_ceo(client, central_team, caplog):
    newcomer = person()
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert grant(client, newcomer, Role.CEO).status_code == 403
    assert not newcomer.roles.exists()
    assert "grant CEO" in refusals(caplog)[0]


def test_only_a_superuser_makes_someone_ceo(client, ceo, caplog):
    """Decided: the CEO role is given only by a superuser (a handover is done by the system's
    administrator), so not even the CEO passes it on."""
    successor = person()
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert grant(client, successor, Role.CEO).status_code == 403
    assert not successor.roles.exists() and refusals(caplog)

    client.force_login(person(is_superuser=True, is_staff=True))
    assert grant(client, successor, Role.CEO).status_code == 302
    assert successor.roles.get().role == Role.CEO


def test_managers_still_manage_people_below_them(client, central_team):
    staff = User.objects.get(email=demo_email("staff"))
    assert edit(client, staff, full_name="Renamed Staff").status_code == 302
    assert grant(client, staff, Role.MIDDLE_LEADER, School.objects.get(slug="saltash")).status_code == 302
    # A colleague may be made central team too: the same power as the one granting it.
    colleague = person()
    assert grant(client, colleague, Role.CENTRAL_TEAM).status_code == 302
    # And the CEO manages the central team.
    client.force_login(User.objects.get(email=demo_email("ceo")))
    assert edit(client, colleague, full_name="Colleague").status_code == 302


def test_removing_a_role_from_someone_above_is_refused(client, central_team, caplog):
    the_ceo = User.objects.get(email=demo_email("ceo"))
    assignment = the_ceo.roles.get()
    url = reverse("role_remove", args=[the_ceo.pk, assignment.pk])
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert client.post(url, {"reason": "coup"}).status_code == 403
    assert the_ceo.roles.exists() and refusals(caplog)


def test_the_csv_import_obeys_the_same_rules(client, central_team, caplog):
    from django.core.files.uploadedfile import SimpleUploadedFile

    text = f"name,email,school,role\nMe,{central_team.email},,CEO\nBoss,{demo_email('ceo')},,Trustee\n"
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        response = client.post(
            reverse("people_import"), {"file": SimpleUploadedFile("p.csv", text.encode(), "text/csv")}
        )
    assert response.status_code == 400
    html = response.content.decode()
    assert "You cannot grant yourself a role" in html and "holds more power" in html
    assert len(refusals(caplog)) == 2


@pytest.mark.parametrize(
    ("actor", "target", "may_manage"),
    [
        ("ceo", "superuser", False),
        ("central", "ceo", False),
        ("central", "superuser", False),
        ("central", "central", True),
        ("central", "staff", True),
        ("ceo", "central", True),
        ("ceo", "staff_central", False),  # admin access the CEO lacks
        ("superuser", "superuser", True),
        ("superuser", "ceo", True),
    ],
)
def test_rank_pairs(demo, actor, target, may_manage):
    people = {
        "ceo": lambda: person(Role.CEO),
        "central": lambda: person(Role.CENTRAL_TEAM),
        "staff_central": lambda: person(Role.CENTRAL_TEAM, is_staff=True),
        "staff": lambda: person(Role.STAFF, school=School.objects.get(slug="saltash")),
        "superuser": lambda: person(is_superuser=True, is_staff=True),
    }
    assert (policy.person_refusal(people[actor](), people[target](), "edit") is None) is may_manage


@pytest.mark.parametrize(
    ("actor", "role", "may_grant"),
    [
        ("central", Role.CEO, False),
        ("central", Role.CENTRAL_TEAM, True),
        ("central", Role.TRUSTEE, True),
        ("ceo", Role.CEO, False),
        ("ceo", Role.CENTRAL_TEAM, True),
        ("superuser", Role.CEO, True),
    ],
)
def test_grant_pairs(demo, actor, role, may_grant):
    by = {
        "ceo": lambda: person(Role.CEO),
        "central": lambda: person(Role.CENTRAL_TEAM),
        "superuser": lambda: person(is_superuser=True),
    }[actor]()
    assert (policy.person_refusal(by, person(), "grant", role=role) is None) is may_grant


def test_the_page_of_someone_above_says_why_and_offers_no_controls(client, central_team):
    the_ceo = User.objects.get(email=demo_email("ceo"))
    html = client.get(reverse("person_detail", args=[the_ceo.pk])).content.decode()
    assert "You cannot change this person or their roles" in html and "more power (CEO)" in html
    assert reverse("person_edit", args=[the_ceo.pk]) not in html
    assert reverse("role_grant", args=[the_ceo.pk]) not in html
    staff = User.objects.get(email=demo_email("staff"))
    html = client.get(reverse("person_detail", args=[staff.pk])).content.decode()
    assert reverse("person_edit", args=[staff.pk]) in html and "You cannot change" not in html


def offered_roles(client, target: User) -> list[str]:
    response = client.get(reverse("person_detail", args=[target.pk]))
    assert response.status_code == 200
    form = response.context["grant_form"]
    return [value for value, _ in form.fields["role"].choices if value] if form is not None else []


def test_the_grant_form_offers_only_the_roles_the_manager_may_grant(client, central_team):
    staff = person(Role.STAFF, school=School.objects.get(slug="saltash"))
    offered = offered_roles(client, staff)
    assert Role.HEADTEACHER in offered and Role.CENTRAL_TEAM in offered
    assert Role.CEO not in offered  # only a superuser grants it
    assert offered == [r for r in Role.values if r != Role.CEO]


def test_the_grant_form_offers_nothing_for_oneself(client, ceo):
    assert policy.grantable_roles(ceo, ceo) == []
    assert Role.HEADTEACHER in policy.grantable_roles(ceo, person(Role.STAFF, school=School.objects.first()))
