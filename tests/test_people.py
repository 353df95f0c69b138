"""People and roles managed in the app by the central team, every change attributable."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from governance.models import Role, RoleAssignment, User
from schools.models import Phase, School
from smart_trust.demo import demo_email

pytestmark = pytest.mark.django_db


def test_add_person_then_grant_a_school_role(client, central):
    response = client.post(reverse("person_add"), {"full_name": "Nia Newman", "email": "Nia@Example.org"})
    person = User.objects.get(email="nia@example.org")
    assert response["Location"] == reverse("person_detail", args=[person.pk])
    assert not person.has_usable_password()
    assert person.history.get().history_user == central

    saltash = School.objects.get(slug="saltash")
    response = client.post(
        reverse("role_grant", args=[person.pk]),
        {"role": Role.LOCAL_GOVERNOR, "school": saltash.pk, "is_link_governor": "on", "link_area": "SEND"},
    )
    assert response.status_code == 302
    assignment = person.roles.get()
    assert (assignment.school, assignment.is_link_governor, assignment.granted_by) == (saltash, True, central)
    record = assignment.history.get()
    assert (record.history_user, record.history_change_reason) == (central, "Role granted")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"role": Role.HEADTEACHER}, "A headteacher belongs to one school: choose it."),
        ({"role": Role.TRUSTEE, "school": "saltash"}, "A Trustee works for the whole trust: leave the school empty."),
        ({"role": Role.STAFF, "school": "saltash", "is_chair": "on"}, "Only a local governor can be chair"),
        ({"role": Role.STAFF, "school": "saltash"}, "already holds this role at Saltash Community School"),
    ],
)
def test_bad_role_grants_say_what_to_fix_and_change_nothing(client, central, data, message):
    person = User.objects.get(email=demo_email("staff"))
    if "school" in data:
        data = {**data, "school": School.objects.get(slug=data["school"]).pk}
    before = RoleAssignment.history.count()
    response = client.post(reverse("role_grant", args=[person.pk]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert RoleAssignment.history.count() == before


def test_remove_role_keeps_who_and_why_in_history(client, central):
    assignment = RoleAssignment.objects.get(user__email=demo_email("staff"))
    client.post(reverse("role_remove", args=[assignment.user_id, assignment.pk]), {"reason": "Left the school"})
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
    record = RoleAssignment.history.filter(id=assignment.pk).latest("history_date")
    assert (record.history_type, record.history_user, record.history_change_reason) == ("-", central, "Left the school")
    html = client.get(reverse("person_detail", args=[assignment.user_id])).content.decode()
    assert "Removed: Staff at Saltash Community School" in html and "Left the school" in html


def test_role_remove_is_scoped_to_the_person_in_the_url(client, central):
    assignment = RoleAssignment.objects.get(user__email=demo_email("staff"))
    other = User.objects.get(email=demo_email("head"))
    assert client.post(reverse("role_remove", args=[other.pk, assignment.pk])).status_code == 404
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()


def test_edit_person_refuses_a_taken_email(client, central):
    person = User.objects.get(email=demo_email("staff"))
    response = client.post(
        reverse("person_edit", args=[person.pk]),
        {"full_name": "Stacey T", "email": demo_email("head").upper(), "is_active": "on"},
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    person.refresh_from_db()
    assert person.full_name == "Stacey Taff"


def test_people_list_and_school_list_queries_do_not_grow_with_schools(client, central):
    trust = School.objects.first().trust

    def count(url) -> tuple[int, int]:
        """Queries when the page's kept parts are rendered afresh, then when they are found."""
        cache.clear()
        found = []
        for _ in range(2):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            found.append(len(queries))
        return tuple(found)

    urls = [reverse("people"), reverse("schools:index"), reverse("schools:detail", args=["saltash"])]
    client.get(urls[0])  # the first request after signing in renews the session (once a minute)
    before = [count(u) for u in urls]
    for i in range(30):
        school = School.objects.create(
            trust=trust, name=f"School {i}", slug=f"s{i}", phase=Phase.PRIMARY, urn=f"{700000 + i}"
        )
        person = User.objects.create_user(f"h{i}@example.org", "pw", full_name=f"Head {i}")
        RoleAssignment.objects.create(user=person, role=Role.HEADTEACHER, trust=trust, school=school)
    assert [count(u) for u in urls] == before


def test_people_search_and_filter(client, central):
    html = client.get(reverse("people"), {"q": "eddy"}).content.decode()
    assert "Hannah Eddy" in html and "Stacey Taff" not in html
    html = client.get(reverse("people"), {"role": Role.TRUSTEE}).content.decode()
    assert "Tom Rowe" in html and "Hannah Eddy" not in html


def test_headteacher_sees_only_their_school(client, demo):
    client.force_login(User.objects.get(email=demo_email("head")))
    html = client.get(reverse("schools:index")).content.decode()
    assert "Saltash Community School" in html and "Landulph School" not in html
    assert client.get(reverse("schools:detail", args=["landulph"])).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "admin:schools_school_changelist",
        "admin:schools_school_add",
        "admin:governance_user_changelist",
        "admin:governance_user_add",
        "admin:governance_roleassignment_changelist",
        "admin:governance_roleassignment_add",
    ],
)
def test_admin_screens_for_schools_people_and_roles_open_for_the_central_team(client, central, url):
    response = client.get(reverse(url))
    assert response.status_code == 200


def test_school_edited_in_the_admin_keeps_its_history(client, central):
    school = School.objects.get(slug="landulph")
    response = client.post(
        reverse("admin:schools_school_change", args=[school.pk]),
        {
            "trust": school.trust_id,
            "name": school.name,
            "slug": school.slug,
            "phase": school.phase,
            "urn": school.urn,
            "lgc_name": "Landulph and Pillaton LGC",
        },
    )
    assert response.status_code == 302, response.context["adminform"].errors if response.context else ""
    school.refresh_from_db()
    assert school.lgc_name == "Landulph and Pillaton LGC"
    assert school.history.first().history_user == central
    bad = client.post(
        reverse("admin:schools_school_change", args=[school.pk]),
        {"trust": school.trust_id, "name": school.name, "slug": school.slug, "phase": school.phase, "urn": "12"},
    )
    assert bad.status_code == 200 and "A URN is six or seven digits." in bad.content.decode()


def test_a_person_form_with_mistakes_lists_them_in_plain_words_at_the_top(client, central):
    response = client.post(reverse("person_add"), {"full_name": "", "email": "not-an-address"})
    assert response.status_code == 200
    page = response.content.decode()
    summary = page[page.index('class="error-summary') : page.index("</div>", page.index('class="error-summary'))]
    assert '<a href="#id_full_name">Give the person&#x27;s full name.</a>' in summary
    assert '<a href="#id_email">Enter an e-mail address like name@school.org.uk.</a>' in summary
    assert "Enter a valid email address" not in page


def test_the_people_list_is_kept_yet_shows_every_change_at_once(client, central):
    url = reverse("people")
    assert "Newly Added" not in client.get(url).content.decode()
    with CaptureQueriesContext(connection) as kept:
        client.get(url)
    assert not [q for q in kept.captured_queries if "COUNT(*)" in q["sql"]]  # kept: no count, no list
    person = User.objects.create_user("newly@example.org", "pw", full_name="Newly Added")
    assert "Newly Added" in client.get(url).content.decode()  # a new person
    trust = School.objects.first().trust
    RoleAssignment.objects.create(user=person, role=Role.TRUSTEE, trust=trust)
    assert "Trustee" in client.get(url, {"q": "newly"}).content.decode()  # a new role
    school = School.objects.get(slug="saltash")
    school.name = "Saltash Renamed Academy"
    school.save()
    assert "Saltash Renamed Academy" in client.get(url).content.decode()  # a school's new name
    person.save(update_fields=["last_login"])  # signing in: nothing the list shows
    with CaptureQueriesContext(connection) as again:
        client.get(url)
    assert not [q for q in again.captured_queries if "COUNT(*)" in q["sql"]]
