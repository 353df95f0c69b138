"""Rating a plan: the window, one current rating per item, term and voice with its history, the
two voices, conflicts, the rating page with and without JavaScript, the trustees' aims, and the
home page's "waiting for you"."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from plans import services as plan_services
from plans.models import Action, Aim, Priority, SchoolPlan
from reviews import selectors, services
from reviews.models import Rating, ReviewSettings, TermDates
from tests.school_plan_builders import client_for, person, sdp

pytestmark = pytest.mark.django_db

INSIDE = datetime.date(2023, 12, 1)  # inside the autumn 2023 window (18 Nov to 13 Dec)
FETCH = {"HTTP_X_REQUESTED_WITH": "fetch"}


def words(html: str) -> str:
    """The page's text as a reader gets it: no tags, single spaces."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def autumn(plan) -> TermDates:
    return selectors.term_of(plan.academic_year, "autumn")


def open_now(term: TermDates) -> TermDates:
    """Open the term today (as the CEO's reopening does) so the pages can rate."""
    TermDates.objects.filter(pk=term.pk).update(reopened_until=datetime.date.today() + datetime.timedelta(days=5))
    term.refresh_from_db()
    return term


def the_action(plan):
    return plan.priorities.last().actions.get()


def rate(plan, value="amber", voice="governors", who="governor", today=INSIDE, **extra):
    extra.setdefault("commentary", "Behind plan" if value in ("red", "amber") else "")
    extra.setdefault("expected_version", None)
    return services.rate(
        term=autumn(plan), voice=voice, item=the_action(plan), value=value, by=person(who), today=today, **extra
    )


# --- the window ----------------------------------------------------------------------------------


def test_the_window_opens_and_closes():
    plan = sdp(state="signed_off")
    with pytest.raises(ValidationError, match="opens on 18 November 2023"):
        rate(plan, today=datetime.date(2023, 11, 17))
    with pytest.raises(ValidationError, match="closed on 13 December 2023; only the CEO can reopen it"):
        rate(plan, today=datetime.date(2023, 12, 14))
    assert Rating.objects.filter(plan=plan).count() == 0
    assert rate(plan, today=datetime.date(2023, 11, 18)).value == "amber"
    assert rate(plan, "red", today=datetime.date(2023, 12, 13), expected_version=1).value == "red"


def test_the_ceo_reopens_a_closed_term_with_a_reason():
    plan = sdp(state="signed_off")
    term = autumn(plan)
    later = datetime.date(2024, 2, 1)
    with pytest.raises(ValidationError) as refused:
        services.reopen(term=term, until=datetime.date(2024, 2, 20), reason=" ", by=person("ceo"), today=later)
    assert "reason" in refused.value.message_dict
    services.reopen(term=term, until=datetime.date(2024, 2, 20), reason="LGC met late", by=person("ceo"), today=later)
    assert rate(plan, today=later).value == "amber"
    with pytest.raises(ValidationError, match="closed"):
        rate(plan, "red", today=datetime.date(2024, 2, 21), expected_version=1)
    reopening = term.reopenings.get()
    assert (reopening.by, reopening.reason) == (person("ceo"), "LGC met late")


def test_only_a_finalised_or_signed_off_plan_is_rated():
    plan = sdp(state="agreed")
    with pytest.raises(ValidationError, match="once the plan is finalised"):
        rate(plan)


# --- one current rating per voice, with history -------------------------------------------------


def test_one_current_rating_per_item_term_and_voice_with_every_change_kept():
    plan = sdp(state="signed_off")
    first = rate(plan, "amber")
    second = rate(plan, "red", commentary="Stalled", expected_version=first.version)
    mine = rate(plan, "green", voice="self", who="head", current_value="80%")
    assert Rating.objects.filter(action=the_action(plan), voice="governors").count() == 1
    assert (second.pk, second.version, second.value) == (first.pk, 2, "red")
    history = list(
        second.history.order_by("history_date").values_list("value", "history_user__email", "history_change_reason")
    )
    assert history == [
        ("amber", person("governor").email, "Rated"),
        ("red", person("governor").email, "Rating changed"),
    ]
    assert mine.voice == "self" and mine.pk != second.pk


def test_an_edit_on_an_old_copy_is_refused_and_nothing_changes():
    plan = sdp(state="signed_off")
    rate(plan, "amber")
    rate(plan, "red", commentary="Stalled", expected_version=1, who="link-governor")
    with pytest.raises(services.RatingConflict) as conflict:
        rate(plan, "green", current_value="85%", expected_version=1)
    assert conflict.value.current.value == "red"
    assert Rating.objects.get(plan=plan).value == "red"


def test_commentary_and_no_bare_green_are_enforced_by_the_service():
    plan = sdp(state="signed_off")  # its action's criterion has a target of 85%
    with pytest.raises(ValidationError) as refused:
        rate(plan, "amber", commentary="")
    assert list(refused.value.message_dict) == ["commentary"]
    with pytest.raises(ValidationError) as bare:
        rate(plan, "green")
    assert list(bare.value.message_dict) == ["current_value"]
    # The head's self-assessment brought this term's figure: the governors' green needs no repeat.
    rate(plan, "green", voice="self", who="head", current_value="79%")
    assert rate(plan, "green").value == "green"


def test_evidence_added_this_term_allows_a_green():
    plan = sdp(state="signed_off")
    plan_services.evidence_add(action=the_action(plan), note="Borrowing log", link="", by=person("head"))
    # The evidence is dated today, after the autumn term 2023 ended: it counts for a term judged now.
    term = open_now(autumn(plan))
    rating = services.rate(
        term=term, voice="governors", item=the_action(plan), value="green", by=person("governor"), expected_version=None
    )
    assert rating.value == "green"


# --- the rating page -----------------------------------------------------------------------------


def test_the_governor_rates_one_action_in_the_background():
    plan = sdp(state="signed_off")
    open_now(autumn(plan))
    client = client_for("governor")
    page = client.get(reverse("reviews:rate", kwargs={"pk": plan.pk, "term": "autumn"}))
    assert page.status_code == 200
    html = words(page.content.decode())
    assert "0 of 1 rated" in html and "Weekly library sessions for Year 7" in html and "(target 85%)" in html
    url = reverse(
        "reviews:rate_item", kwargs={"pk": plan.pk, "term": "autumn", "kind": "action", "item_pk": the_action(plan).pk}
    )
    refused = client.post(
        url, {"voice": "governors", "value": "amber", "commentary": "", "current_value": "61%"}, **FETCH
    )
    assert refused.status_code == 400
    card = refused.content.decode()
    assert card.lstrip().startswith("<article") and "needs a commentary" in card
    assert 'value="61%"' in card  # the typing is kept
    assert Rating.objects.filter(plan=plan).count() == 0
    saved = client.post(url, {"voice": "governors", "value": "amber", "commentary": "Slow start"}, **FETCH)
    assert saved.status_code == 200 and saved["X-Rated"] == "1"
    # The page's summary line follows: the one action is now amber, and stale (nothing new this term).
    assert saved["X-Plan-Summary"] == "1 amber. 1 with no new evidence since last term."
    assert "Saved:" in saved.content.decode()
    assert Rating.objects.get(plan=plan).commentary == "Slow start"


def test_without_javascript_the_form_posts_and_comes_back():
    plan = sdp(state="signed_off")
    open_now(autumn(plan))
    client = client_for("governor")
    url = reverse(
        "reviews:rate_item", kwargs={"pk": plan.pk, "term": "autumn", "kind": "action", "item_pk": the_action(plan).pk}
    )
    saved = client.post(url, {"voice": "governors", "value": "red", "commentary": "No progress"})
    assert saved.status_code == 302
    assert saved["Location"].endswith(f"?voice=governors#action-{the_action(plan).pk}")
    refused = client.post(
        url, {"voice": "governors", "value": "amber", "commentary": "", "version": "1", "evidence": "typed"}
    )
    assert refused.status_code == 400
    assert "<h1>" in refused.content.decode() and ">typed</textarea>" in refused.content.decode()
    assert Rating.objects.get(plan=plan).value == "red"


def test_each_voice_is_given_only_by_its_people():
    plan = sdp(state="signed_off")
    open_now(autumn(plan))
    url = reverse(
        "reviews:rate_item", kwargs={"pk": plan.pk, "term": "autumn", "kind": "action", "item_pk": the_action(plan).pk}
    )
    data = {"value": "amber", "commentary": "why"}
    assert client_for("head").post(url, {**data, "voice": "governors"}).status_code == 403
    assert client_for("governor").post(url, {**data, "voice": "self"}).status_code == 403
    assert client_for("staff").post(url, {**data, "voice": "self"}).status_code == 403
    assert client_for("head.brunel").post(url, {**data, "voice": "self"}).status_code == 404
    assert client_for("head").post(url, {**data, "voice": "self"}).status_code == 302
    # The same rating again (a double click) keeps nothing new; a changed one is the middle leader's.
    assert client_for("middle").post(url, {**data, "voice": "self", "version": "1"}).status_code == 302
    assert Rating.objects.get(plan=plan).by == person("head")
    assert (
        client_for("middle")
        .post(url, {"value": "amber", "commentary": "Staffing", "voice": "self", "version": "1"})
        .status_code
        == 302
    )
    assert Rating.objects.get(plan=plan).by == person("middle")


def test_staff_read_ratings_only_where_the_trust_allows():
    plan = sdp(state="signed_off")
    url = reverse("reviews:rate", kwargs={"pk": plan.pk, "term": "autumn"})
    assert client_for("staff").get(url).status_code == 403
    ReviewSettings.objects.create(trust=plan.trust, staff_see_ratings=True)
    page = client_for("staff").get(url)
    assert page.status_code == 200 and "<form" not in page.content.decode().split('id="main"')[1]


def test_a_closed_term_is_read_only_on_the_page():
    plan = sdp(state="signed_off")
    html = (
        client_for("governor").get(reverse("reviews:rate", kwargs={"pk": plan.pk, "term": "autumn"})).content.decode()
    )
    assert "closed on 13 December 2023 and are read-only. Only the CEO can reopen them." in html
    assert 'class="rate-form"' not in html


def test_the_rating_page_asks_the_same_number_of_queries_for_5_or_40_actions():
    def count(actions: int) -> int:
        plan = sdp(school="brunel" if actions == 5 else "landulph", state="draft", with_action=False)
        head = person("head.brunel" if actions == 5 else "head.landulph")
        priority = plan.priorities.first()
        for n in range(actions):
            a = plan_services.item_save(
                item=plan_services.Action(plan=plan, priority=priority),
                values={"what": f"Action {n}", "lead": head, "due_term": "summer"},
                expected_version=None,
                by=head,
            )
            plan_services.item_save(
                item=plan_services.SuccessCriterion(plan=plan, action=a),
                values={"text": "Measured", "target": 50, "unit": "%"},
                expected_version=None,
                by=head,
            )
            plan_services.evidence_add(action=a, note="Note", link="", by=head)
        plan.state = "signed_off"
        plan.save()
        term = open_now(autumn(plan))
        for a in list(plan.priorities.first().actions.all())[: actions // 2]:
            services.rate(term=term, voice="self", item=a, value="green", by=head, expected_version=None)
        client = client_for("governor.brunel" if actions == 5 else "governor.landulph")
        cache.clear()
        url = reverse("reviews:rate", kwargs={"pk": plan.pk, "term": "autumn"})
        client.get(url)  # the session's first request renews it
        cache.clear()
        counted = []
        for _ in ("rendered", "kept"):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            counted.append(len(queries))
        return counted

    assert count(5) == count(40)


# --- the trust's aims ----------------------------------------------------------------------------


def test_trustees_rate_an_aim_with_the_schools_spread_beside_it():
    plan = sdp(state="signed_off")
    term = open_now(autumn(plan))
    aim = Aim.objects.get(code="TSP1")
    Priority.objects.filter(pk=the_action(plan).priority_id).update(aim=aim)
    services.rate(
        term=term, voice="governors", item=the_action(plan), value="red", commentary="Stalled",
        by=person("governor"), expected_version=None,
    )  # fmt: skip
    # Counted straight from the tables: the governors' reds this term under TSP1's priorities, and
    # the schools with a finalised plan with actions under it.
    under = Action.objects.filter(
        priority__aim=aim, plan__state__in=["finalised", "signed_off"], plan__academic_year=plan.academic_year
    )
    reds = Rating.objects.filter(term=term, voice="governors", value="red", action__in=under).count()
    schools = under.values("plan__school").distinct().count()
    url = reverse("reviews:aims", kwargs={"term": term.slug})
    page = words(client_for("trustee").get(url).content.decode())
    tsp1 = page[page.index("TSP1:") :].split("The golden thread")[0]
    assert f"{reds} red" in tsp1 and f"({schools} schools)" in tsp1
    assert client_for("governor").get(url).status_code == 403
    rate_url = reverse("reviews:rate_aim", kwargs={"term": term.slug, "aim_pk": aim.pk})
    assert client_for("governor").post(rate_url, {"value": "green"}).status_code == 403
    saved = client_for("trustee").post(rate_url, {"value": "amber", "commentary": "One school stalled"}, **FETCH)
    assert saved.status_code == 200
    rating = Rating.objects.get(aim=aim, term=term)
    assert (rating.voice, rating.value, rating.by) == ("trustees", "amber", person("trustee"))
    assert saved["X-Rated"] == str(Rating.objects.filter(term=term, voice="trustees").count())


# --- the home page -------------------------------------------------------------------------------


def test_home_says_what_is_waiting_for_each_person():
    plan = sdp(state="signed_off")
    term = open_now(autumn(plan))
    until = f"{term.open_until():%-d %B}"
    rate(plan, "green", voice="self", who="head", current_value="80%", today=None)

    def home(who):
        return words(client_for(who).get(reverse("home")).content.decode())

    assert f"Rate the Saltash Community School SDP for the autumn term, open until {until}: 0 of 1 rated" in home(
        "governor"
    )
    assert (
        f"Self-assess the Saltash Community School SDP for the autumn term, open until {until}: 1 of 1 self-assessed"
        in home("head")
    )
    assert "Waiting for you" not in home("staff")
    ceo = home("ceo")
    published = SchoolPlan.objects.filter(
        kind="sdp", academic_year=plan.academic_year, state__in=["finalised", "signed_off"]
    )
    # The latest open term: the demo reopens the summer term of 2023/24.
    assert f"The trust, the summer term 2023/24 {published.count()} schools with a finalised plan:" in ceo
    # Nobody has rated the summer term yet: every school is named as not having started.
    assert f"{published.count()} schools have not rated at all." in ceo
    assert "See the heatmap" in ceo and "Waiting for you" not in home("cfo")
    assert "Rate the trust&#x27;s aims for the autumn term 2023/24" in home("trustee")


def test_the_plan_page_links_to_the_ratings_of_the_term_that_matters_now():
    plan = sdp(state="signed_off")
    client = client_for("governor")
    assert reverse("reviews:rate_now", kwargs={"pk": plan.pk}) in client.get(plan.get_absolute_url()).content.decode()
    # 2023/24 is long over: its last term to have begun is the summer.
    assert client.get(reverse("reviews:rate_now", kwargs={"pk": plan.pk}))["Location"].endswith("/summer/")
    open_now(autumn(plan))
    assert client.get(reverse("reviews:rate_now", kwargs={"pk": plan.pk}))["Location"].endswith("/autumn/")
    # A draft is not rated yet: no link.
    draft = client.get(sdp(year=2024).get_absolute_url())
    assert draft.status_code == 200 and "Termly ratings" not in draft.content.decode()


def test_kept_cards_show_every_new_rating_and_carry_the_readers_own_csrf_token():
    from django.test import Client

    from reviews.views_rate import CSRF_SLOT

    plan = sdp(state="signed_off")
    term = open_now(autumn(plan))
    url = reverse("reviews:rate", kwargs={"pk": plan.pk, "term": "autumn"})
    client = Client(enforce_csrf_checks=True)
    client.force_login(person("governor"))
    first = client.get(url).content.decode()
    assert "Not rated" in words(first.split(f'id="action-{the_action(plan).pk}"')[1].split("</article>")[0])
    # Another governor rates: the kept card is not served again.
    services.rate(
        term=term, voice="governors", item=the_action(plan), value="amber", commentary="Slow start",
        by=person("link-governor"), expected_version=None,
    )  # fmt: skip
    page = client.get(url).content.decode()
    card = page.split(f'id="action-{the_action(plan).pk}"')[1].split("</article>")[0]
    assert CSRF_SLOT not in page
    assert 'class="btn-check" type="radio" name="value" value="amber" id="a' in card and " checked" in card
    # Evidence added since (the plan's content version moves on) shows too.
    plan_services.evidence_add(action=the_action(plan), note="Library log for October", link="", by=person("head"))
    assert "Library log for October" in client.get(url).content.decode()
    # The token in the kept card is this person's: posting with it is accepted.
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', card).group(1)
    item_url = reverse(
        "reviews:rate_item", kwargs={"pk": plan.pk, "term": "autumn", "kind": "action", "item_pk": the_action(plan).pk}
    )
    data = {"csrfmiddlewaretoken": token, "voice": "governors", "value": "red", "commentary": "No", "version": "1"}
    assert client.post(item_url, data).status_code == 302
    assert Rating.objects.get(plan=plan, voice="governors").value == "red"


def test_every_rating_of_an_action_is_kept_with_who_and_when():
    plan = sdp(state="signed_off")
    first = rate(plan, "amber")
    rate(plan, "red", commentary="Stalled since October", expected_version=first.version, who="link-governor")
    rate(plan, "green", voice="self", who="head", current_value="80%")
    url = reverse("reviews:action_history", kwargs={"pk": plan.pk, "item_pk": the_action(plan).pk})
    page = words(client_for("governor").get(url).content.decode())
    rows = page.split("By ")[1]
    assert rows.index("Self-assessment Green") < rows.index("Governors Red Stalled since October Lee Inch")
    assert rows.index("Governors Red") < rows.index("Governors Amber Behind plan Gwen Lander")
    # The school's staff read the signed-off plan, but its ratings only where the trust allows.
    assert client_for("staff").get(url).status_code == 403


def test_the_heatmap_leads_to_the_aims_and_the_terms():
    page = client_for("ceo").get(reverse("reviews:heatmap") + "?term=2023-24-spring").content.decode()
    assert reverse("reviews:aims", kwargs={"term": "2023-24-spring"}) in page and "rate them" in page
    assert reverse("reviews:terms") in page
    assert "rate them" not in client_for("cfo").get(reverse("reviews:heatmap")).content.decode()
