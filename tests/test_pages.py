"""The read-only plan pages: content, refusals and a query count that does not grow with schools."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from governance.models import Role, RoleAssignment, User
from plans.models import Status, StrategicPlan
from schools.models import Phase, School

pytestmark = pytest.mark.django_db

PLAN = "tsp-2022-27"
PAGES = [
    reverse("home"),
    reverse("plans:index"),
    reverse("plans:contents", args=[PLAN]),
    *[reverse(f"plans:{s}", args=[PLAN]) for s in (
        "introduction", "values", "principles", "vision", "key-documents", "roles", "review-cycle", "references")],
    reverse("plans:strand", args=[PLAN, "learners"]),
    reverse("plans:aim", args=[PLAN, "TSP2"]),
    reverse("plans:pocket_guide", args=[PLAN, "2023-24"]),
]  # fmt: skip


@pytest.mark.parametrize("url", PAGES)
def test_every_page_is_public_and_renders(client, demo, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response.content.count(b"<h1") == 1


@pytest.mark.parametrize("url", PAGES)
def test_pages_are_read_only(client, demo, url):
    assert client.post(url).status_code == 405


def test_contents_links_every_aim_strand_section_and_guide(client, demo):
    html = client.get(reverse("plans:contents", args=[PLAN])).content.decode()
    for i in range(1, 9):
        assert reverse("plans:aim", args=[PLAN, f"TSP{i}"]) in html
    for slug in ("learners", "leaders", "communities", "business"):
        assert reverse("plans:strand", args=[PLAN, slug]) in html
    assert reverse("plans:pocket_guide", args=[PLAN, "2023-24"]) in html
    assert reverse("plans:review-cycle", args=[PLAN]) in html
    assert reverse("plans:glossary", args=[PLAN]) not in html  # the seed has none: no empty page


def test_aim_page_shows_nested_strategies_drivers_and_goal(client, demo):
    html = client.get(reverse("plans:aim", args=[PLAN, "TSP2"])).content.decode()
    assert "Continuous Progress for All Staff" in html
    assert html.index("2.4</span>") < html.index("2.4.1</span>") < html.index("2.4.3</span>") < html.index("Milestones")
    assert html.count('class="strategies nested"') == 1
    assert "Annual moderation of appraisal" in html
    assert "Every member of staff in every role across SMART" in html


def test_pocket_guide_grid_has_every_milestone_and_readable_ticks(client, demo):
    response = client.get(reverse("plans:pocket_guide", args=[PLAN, "2023-24"]))
    html = response.content.decode()
    assert "Learning: A culture empowering lifelong curiosity" in html
    assert "Business: Services well defined, reliable &amp; scalable" in html
    assert html.count('class="col-milestone"') == 8 + 1  # eight rows and the heading
    # Ticks are never colour or a symbol alone: each row says which column applies.
    assert html.count(": yes</span>") == 8


@pytest.mark.parametrize(
    "url",
    [
        reverse("plans:aim", args=[PLAN, "TSP99"]),
        reverse("plans:strand", args=[PLAN, "nowhere"]),
        reverse("plans:pocket_guide", args=[PLAN, "2031-32"]),
        reverse("plans:pocket_guide", args=[PLAN, "2023-99"]),
        reverse("plans:pocket_guide", args=[PLAN, "soon"]),
        reverse("plans:contents", args=["no-such-plan"]),
        reverse("plans:glossary", args=[PLAN]),
    ],
)
def test_missing_things_are_404(client, demo, url):
    assert client.get(url).status_code == 404


def make_person(role=None, school=None, **extra) -> User:
    person = User.objects.create_user(
        f"{role or 'nobody'}-{User.objects.count()}@example.org", "pw", full_name="P", **extra
    )
    if role:
        trust = StrategicPlan.objects.get(slug=PLAN).trust
        RoleAssignment.objects.create(user=person, role=role, trust=trust, school=school)
    return person


def test_draft_plan_is_read_only_by_those_consulted_on_it(client, demo):
    StrategicPlan.objects.filter(slug=PLAN).update(status=Status.DRAFT)
    urls = [
        reverse("plans:contents", args=[PLAN]),
        reverse("plans:aim", args=[PLAN, "TSP1"]),
        reverse("plans:pocket_guide", args=[PLAN, "2023-24"]),
    ]
    school = School.objects.get(slug="saltash")
    for person, expected in [
        (None, 404),
        (make_person(Role.STAFF, school), 404),
        (make_person(Role.MIDDLE_LEADER, school), 404),
        (make_person(is_staff=True), 404),  # admin access alone is not a role
        (make_person(Role.TRUSTEE), 200),
        (make_person(Role.HEADTEACHER, school), 200),  # consulted on drafts
        (make_person(Role.LOCAL_GOVERNOR, school), 200),
        (make_person(is_superuser=True), 200),
    ]:
        client.logout()
        if person:
            client.force_login(person)
        assert [client.get(u).status_code for u in urls] == [expected] * 3, person
    client.logout()
    assert b"tsp-2022-27" not in client.get(reverse("home")).content


def test_page_queries_do_not_grow_with_the_number_of_schools(client, demo):
    def counts() -> list[int]:
        """Each page's queries when rendered afresh, then when its cached part is found."""
        result = []
        cache.clear()
        for _ in ("rendered", "cached"):
            for url in PAGES:
                with CaptureQueriesContext(connection) as queries:
                    assert client.get(url).status_code == 200
                result.append(len(queries))
        return result

    client.force_login(make_person(Role.TRUSTEE))
    client.get(PAGES[0])  # the first request after signing in renews the session (once a minute)
    before = counts()
    trust = StrategicPlan.objects.get(slug=PLAN).trust
    for i in range(60):
        school = School.objects.create(
            trust=trust, name=f"School {i}", slug=f"s{i}", phase=Phase.PRIMARY, urn=f"{800000 + i}"
        )
        make_person(Role.HEADTEACHER, school)
    assert counts() == before
    # A signed-in request costs 3 queries of its own (session, person, roles; the session is
    # written at most once a minute); a page rendered afresh at most 11 more, a page whose costly
    # part is cached at most 4.
    # The home page adds two for the review cycle (the data versions its list of what is due is kept
    # under, and the year's stages), whatever the number of schools.
    rendered, cached = before[: len(PAGES)], before[len(PAGES) :]
    budget = {url: 3 + 11 + (2 if url == reverse("home") else 0) for url in PAGES}
    over = [f"{url}: {n}" for url, n in zip(PAGES, rendered, strict=True) if n > budget[url]]
    assert not over, over
    assert all(c <= r for c, r in zip(cached, rendered, strict=True))
    # Contents, an aim, the pocket guide: the plan, the heading, the content version.
    assert max(cached[2], cached[-2], cached[-1]) <= 3 + 4, cached


def test_health(client, db):
    body = client.get(reverse("health")).json()
    assert body["database"] == "ok" and set(body) == {"status", "database", "redis", "worker"}


def test_sign_in_with_email(client, demo):
    response = client.post(
        reverse("login"), {"username": "head@demo.smart-trust.invalid", "password": "demo-pass-for-tests"}
    )
    assert response.status_code == 302
    assert "Signed in as Hannah Eddy" in client.get(reverse("home")).content.decode()
