"""The costly part of the plan's pages is kept per content version and audience
(plans.page_cache): any change to the plan shows on the next request, whoever made it and how;
someone who may not see drafts never gets a part rendered for someone who may; a cache that is
down costs a render, never an error."""

import os
import uuid
from urllib.parse import unquote

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from plans import page_cache, services
from plans.models import (
    AcademicYear,
    Action,
    Aim,
    Driver,
    Milestone,
    PocketGuide,
    PocketGuideGroup,
    Status,
    StrategicPlan,
)
from tests.conftest import require
from tests.school_plan_builders import client_for, person, sdp

pytestmark = pytest.mark.django_db

PLAN = "tsp-2022-27"
AIM_URL = reverse("plans:aim", args=[PLAN, "TSP2"])


def test_an_edit_to_an_aim_shows_on_the_next_request(client, demo):
    assert b"Brand new title" not in client.get(AIM_URL).content
    aim = Aim.objects.get(code="TSP2", plan__slug=PLAN)
    aim.title = "Brand new title"
    aim.save()  # as the administration screens save it
    assert b"Brand new title" in client.get(AIM_URL).content


def test_a_removed_driver_and_a_removed_focus_tick_go_at_once(client, demo):
    aim = Aim.objects.get(code="TSP2", plan__slug=PLAN)
    driver = aim.drivers.first()
    column = aim.focus_columns.first()
    page = client.get(AIM_URL).content.decode()
    assert driver.text[:30] in page and f'<span class="focus-tick">{column}</span>' in page
    before = page_cache.strategic_version()
    Driver.objects.filter(pk=driver.pk).get().delete()
    aim.focus_columns.remove(column)  # a many-to-many change, no save() of the aim
    assert page_cache.strategic_version() != before
    page = client.get(AIM_URL).content.decode()
    assert driver.text[:30] not in page
    assert f'<span class="focus-tick">{column}</span>' not in page


def test_reading_does_not_move_the_version(client, demo):
    client.get(AIM_URL)
    before = page_cache.strategic_version()
    client.get(AIM_URL)
    client.get(reverse("plans:contents", args=[PLAN]))
    assert page_cache.strategic_version() == before


def test_a_draft_guide_rendered_for_the_central_team_is_not_shown_to_anyone_else(client, demo):
    plan_guide = PocketGuide.objects.get(plan__slug=PLAN, academic_year__start_year=2023)
    draft = PocketGuide.objects.create(
        plan=plan_guide.plan,
        academic_year=AcademicYear.objects.get_or_create(start_year=2024)[0],
        title="Draft guide for next year",
        status=Status.DRAFT,
    )
    aim = Aim.objects.get(code="TSP2", plan__slug=PLAN)
    group = PocketGuideGroup.objects.create(guide=draft, name="Learners")
    Milestone.objects.create(guide=draft, group=group, aim=aim, label="A draft milestone nobody may read yet")
    contents = reverse("plans:contents", args=[PLAN])
    central = client_for("central")
    assert b"A draft milestone nobody may read yet" in central.get(AIM_URL).content
    assert b"Draft guide for next year" in central.get(contents).content
    # Rendered for the central team first; the public and staff still get their own.
    assert b"A draft milestone nobody may read yet" not in client.get(AIM_URL).content
    assert b"Draft guide for next year" not in client.get(contents).content
    assert b"A draft milestone nobody may read yet" not in client_for("staff").get(AIM_URL).content


class BrokenCache:
    """A cache backend whose server does not answer."""

    def __init__(self, *args, **kwargs):
        pass

    def get(self, *args, **kwargs):
        raise ConnectionError("cache down")

    set = get

    def clear(self):
        pass

    def close(self, **kwargs):
        pass


@override_settings(CACHES={"default": {"BACKEND": "tests.test_page_cache.BrokenCache"}})
def test_a_cache_that_is_down_costs_a_render_not_an_error_page(client, demo):
    response = client.get(AIM_URL)
    assert response.status_code == 200
    assert Aim.objects.get(code="TSP2", plan__slug=PLAN).title.encode() in response.content


def test_a_school_pocket_guide_shows_an_edit_and_a_leads_new_name_at_once(demo):
    plan = sdp()
    head = person("head")
    url = reverse("school_plans:pocket_guide", args=[plan.pk])
    client = client_for("head")
    assert b"Weekly library sessions" in client.get(url).content
    action = Action.objects.get(plan=plan)
    services.item_save(item=action, values={"what": "Daily reading clubs"}, expected_version=action.version, by=head)
    page = client.get(url).content
    assert b"Daily reading clubs" in page and b"Weekly library sessions" not in page
    head.full_name = "Hannah Eddy-Renamed"
    head.save()
    assert b"Hannah Eddy-Renamed" in client.get(url).content
    head.save(update_fields=["last_login"])  # signing in is not a change to any plan
    version = type(plan).objects.values_list("content_version", flat=True).get(pk=plan.pk)
    head.save(update_fields=["last_login"])
    assert type(plan).objects.values_list("content_version", flat=True).get(pk=plan.pk) == version


def test_in_production_the_parts_are_kept_in_redis_shared_by_every_web_process(client, demo):
    """The same page served twice through Django's Redis cache on the machine's Redis: the second
    answer comes from the entry the first one stored there, where another process would find it."""
    url = os.environ.get("REDIS_URL", "")
    require(url.startswith("redis://"), "REDIS_URL (a running Redis)")
    shared = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url,
                          "KEY_PREFIX": f"test-{uuid.uuid4()}"}}  # fmt: skip
    aim = Aim.objects.get(code="TSP2", plan__slug=PLAN)
    key = f"page:aim:{aim.plan_id}:{aim.pk}:{page_cache.strategic_version()}:published"
    with override_settings(CACHES=shared):
        from django.core.cache import cache

        try:
            first = client.get(AIM_URL).content
            kept = cache.get(key)
            assert kept and "Key drivers" in kept
            assert first == client.get(AIM_URL).content
        finally:
            cache.delete(key)  # only ours: clear() would empty the whole Redis database


def test_the_sign_off_queue_shows_a_change_at_once_and_its_link_compares_up_to_now(demo):
    plan = sdp(state="agreed")
    ceo = client_for("ceo")
    queue = reverse("school_plans:sign_off")
    assert "Not opened yet: 0 changes since the LGC agreed it" in ceo.get(queue).content.decode()
    action = Action.objects.get(plan=plan)
    services.item_save(item=action, values={"what": "Changed"}, expected_version=action.version, by=person("head"))
    page = ceo.get(queue).content.decode()
    assert "Not opened yet: 1 change since the LGC agreed it" in page
    link = page.split(f'href="/school-plans/{plan.pk}/history/?from=')[1].split('"')[0]
    assert "to=" not in link  # the page is kept; a moment of rendering in it would be wrong later
    history = ceo.get(reverse("school_plans:history", args=[plan.pk]), {"from": unquote(link)})
    assert history.status_code == 200
    compared = history.context["compared"]
    assert compared["from"] < compared["to"] and [line for line in compared["lines"] if "Changed" in str(line)]
    # Opening the plan is a look: the next queue counts from it.
    ceo.get(plan.get_absolute_url())
    assert "0 changes since" in ceo.get(queue).content.decode()


def test_a_plans_history_is_kept_yet_shows_a_change_and_a_new_name_at_once(demo):
    plan = sdp(state="agreed")
    url = reverse("school_plans:history", args=[plan.pk])
    ceo, senior = client_for("ceo"), person("senior")
    assert "Reworded by the senior leader" not in ceo.get(url).content.decode()
    services.item_save(
        item=plan.priorities.filter(milestone=None).get(),
        values={"title": "Reworded by the senior leader"},
        expected_version=1,
        by=senior,
    )
    page = ceo.get(url).content.decode()
    assert "Reworded by the senior leader" in page and "Sam Lowe" in page
    with CaptureQueriesContext(connection) as queries:
        again = ceo.get(url).content.decode()
    body = page.index("<h1>History")
    assert again[body : again.index("</main>")] == page[body : page.index("</main>")]
    assert not [q for q in queries.captured_queries if "historical" in q["sql"]]  # kept: no history read
    senior.full_name = "Samantha Lowe"  # leads no action: shown only as who made the change
    senior.save()
    page = ceo.get(url).content.decode()
    assert "Samantha Lowe" in page and "Sam Lowe" not in page


def test_a_plan_page_reads_the_version_not_the_plan_and_shows_a_renamed_trust_at_once(client, demo):
    contents = reverse("plans:contents", args=[PLAN])
    client.get(contents)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(contents).content.decode()
    assert len(queries) == 1 and "dataversion" in queries.captured_queries[0]["sql"]
    trust = Aim.objects.get(code="TSP2", plan__slug=PLAN).plan.trust
    assert trust.name in page
    trust.name = "The Renamed Learning Trust"
    trust.save()
    assert "The Renamed Learning Trust" in client.get(contents).content.decode()


def test_a_draft_plan_kept_for_one_reader_is_still_hidden_from_another(client, demo):
    StrategicPlan.objects.filter(slug=PLAN).update(status=Status.DRAFT)
    page_cache.strategic_content_changed()  # as a save would (update() sends no signal)
    assert client_for("central").get(AIM_URL).status_code == 200  # kept now, for the central team
    assert client.get(AIM_URL).status_code == 404  # the public: as if it did not exist
    assert client_for("staff").get(AIM_URL).status_code == 404


def test_a_schools_new_name_shows_at_once_on_its_plans_kept_pages(demo):
    plan = sdp()
    url = reverse("school_plans:pocket_guide", args=[plan.pk])
    client = client_for("head")
    assert "Saltash Community School" in client.get(url).content.decode()
    school = plan.school
    school.name = "Saltash Renamed Academy"
    school.save()
    page = client.get(url).content.decode()
    assert "Saltash Renamed Academy: our priorities" in page
