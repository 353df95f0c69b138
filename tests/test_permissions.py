"""The permission matrix: every URL pattern of the project x every demo role (and anonymous).

A new page cannot ship without its row: `test_every_url_pattern_has_a_row` walks the URL resolver.
Statuses: 200 shown, 302 sent elsewhere (sign-in for anonymous; success redirects), 403 visible but
not allowed, 404 not yours (never reveal it exists), 405 wrong method.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from governance.models import RoleAssignment, User
from smart_trust.demo import demo_email
from tests import permission_rows_calendar, permission_rows_compliance, permission_rows_cycle

PERSONAS = {
    "anonymous": None,
    "ceo": "ceo",
    "cfo": "cfo",
    "central": "central",
    "trustee": "trustee",
    "tolt": "tolt",
    "governor": "governor",
    "head": "head",
    "senior": "senior",
    "middle": "middle",
    "staff": "staff",
    "other_head": "head.brunel",  # headteacher of another school
}
TRUST_WIDE = {"ceo", "cfo", "central", "trustee", "tolt"}
AT_SALTASH = {"governor", "head", "senior", "middle", "staff"}
SIGNED_IN = set(PERSONAS) - {"anonymous"}
PEOPLE_MANAGERS = {"ceo", "central"}

PLAN = "tsp-2022-27"
# Saltash's SDP in draft: read by trust-wide roles and Saltash's governors and leaders (not staff,
# not other schools), written by its headteacher and senior leaders.
SDP_READERS = TRUST_WIDE | {"governor", "head", "senior", "middle"}
SDP_WRITERS = {"head", "senior"}
NOT_SHOWN = {"staff", "other_head"}


def sdp_rule(allowed: set[str], yes: int) -> dict[str, int]:
    """`yes` for `allowed`, 404 for people who may not see the draft, 403 for readers who may not act."""
    return {p: 302 if p == "anonymous" else yes if p in allowed else 404 if p in NOT_SHOWN else 403 for p in PERSONAS}


def statuses(default: int, **overrides: int) -> dict[str, int]:
    return {persona: overrides.get(persona, default) for persona in PERSONAS}


def only(allowed: set[str], yes: int, no: int, anonymous: int = 302) -> dict[str, int]:
    return {p: anonymous if p == "anonymous" else (yes if p in allowed else no) for p in PERSONAS}


PUBLIC = statuses(200)
SIGNED_IN_ONLY = statuses(200, anonymous=302)
PEOPLE = only(PEOPLE_MANAGERS, 200, 403)


def saltash_sdp(state: str = "draft") -> dict:
    from tests.school_plan_builders import sdp

    return {"pk": sdp(state=state).pk}


def sdp_action(**extra) -> dict:
    from plans.models import Action

    plan = saltash_sdp()["pk"]
    action = Action.objects.get(plan_id=plan)
    return {"pk": plan, "item_pk": action.pk, **extra}


def sdp_first_priority() -> dict:
    from plans.models import Priority

    plan = saltash_sdp()["pk"]
    return {"pk": plan, "parent_pk": Priority.objects.filter(plan_id=plan).first().pk}


def sdp_action_as_parent() -> dict:
    from plans.models import Action

    plan = saltash_sdp()["pk"]
    return {"pk": plan, "parent_pk": Action.objects.get(plan_id=plan).pk}


def sdp_action_restore_data() -> dict:
    from plans.models import Action

    action = Action.objects.latest("pk")
    return {"history_id": action.history.earliest("history_date").history_id}


def assignment_of_staff(_db=None) -> dict:
    return {"pk": User.objects.get(email=demo_email("staff")).pk}


def staff_role() -> dict:
    assignment = RoleAssignment.objects.get(user__email=demo_email("staff"))
    return {"pk": assignment.user_id, "assignment_pk": assignment.pk}


TERM_KEEPERS = {"ceo", "central"}


def autumn_term() -> dict:
    from reviews.models import TermDates

    return {"pk": TermDates.objects.get(academic_year__start_year=2023, term="autumn").pk}


def open_sdp_action() -> dict:
    """The action of a signed-off Saltash SDP, with the autumn 2023 term open today."""
    from plans.models import Action
    from reviews.models import TermDates

    plan = saltash_sdp("signed_off")["pk"]
    TermDates.objects.filter(academic_year__start_year=2023).update(reopened_until="2099-01-01")
    return {"pk": plan, "term": "autumn", "kind": "action", "item_pk": Action.objects.get(plan_id=plan).pk}


def open_aim() -> dict:
    from plans.models import Aim
    from reviews.models import TermDates

    TermDates.objects.filter(academic_year__start_year=2023).update(reopened_until="2099-01-01")
    return {"term": "2023-24-autumn", "aim_pk": Aim.objects.get(code="TSP1").pk}


def saltash_cell() -> dict:
    """A heatmap cell of a signed-off Saltash SDP (its drill-down needs a published plan)."""
    saltash_sdp("signed_off")
    return {"term": "2023-24-spring", "school": "saltash", "aim": "TSP1"}


# A school's ratings: trust-wide roles, its governors and leaders; its staff only where the trust
# allows (not in the demo); another school's head is not told it exists.
SCHOOL_RATINGS = {
    p: 302 if p == "anonymous" else 200 if p in SDP_READERS else 404 if p == "other_head" else 403 for p in PERSONAS
}


# name -> (method, kwargs or a function returning kwargs, POST data, expected status per persona)
MATRIX = {
    "home": ("get", {}, None, PUBLIC),
    "health": ("get", {}, None, PUBLIC),
    "accessibility": ("get", {}, None, PUBLIC),
    "plans:index": ("get", {}, None, PUBLIC),
    "plans:contents": ("get", {"plan": PLAN}, None, PUBLIC),
    "plans:strand": ("get", {"plan": PLAN, "strand": "learners"}, None, PUBLIC),
    "plans:aim": ("get", {"plan": PLAN, "aim": "TSP1"}, None, PUBLIC),
    "plans:pocket_guide": ("get", {"plan": PLAN, "year": "2023-24"}, None, PUBLIC),
    # The published pocket guide's PDF is for everyone, as its page is.
    "plans:pocket_guide_pdf": ("get", {"plan": PLAN, "year": "2023-24"}, None, PUBLIC),
    # The whole plan's PDF is for whoever reads the plan (here its "being prepared" page: the worker's
    # job is queued once the request commits); asking again after a failed render, too.
    "plans:plan_pdf": ("get", {"plan": PLAN}, None, PUBLIC),
    "plans:plan_pdf_retry": ("post", {"plan": PLAN}, {}, statuses(302)),
    **{
        f"plans:{section}": ("get", {"plan": PLAN}, None, PUBLIC)
        for section in (
            "introduction",
            "values",
            "principles",
            "vision",
            "key-documents",
            "roles",
            "review-cycle",
            "references",
        )
    },  # fmt: skip
    # The demo plan has no glossary: the page does not exist for it.
    "plans:glossary": ("get", {"plan": PLAN}, None, statuses(404)),
    "login": ("get", {}, None, statuses(302, anonymous=200)),
    "logout": ("post", {}, {}, statuses(302)),
    "account": ("get", {}, None, SIGNED_IN_ONLY),
    # The code step needs a password accepted first: everyone else is sent on (anonymous to sign in).
    "login_code": ("get", {}, None, statuses(302)),
    "two_factor": ("get", {}, None, SIGNED_IN_ONLY),
    "two_factor_setup": ("get", {}, None, SIGNED_IN_ONLY),
    # Recovery codes are shown once, right after set-up; otherwise back to the two-factor page.
    "two_factor_codes": ("get", {}, None, statuses(302)),
    # Nobody in the demo has it on: turning it off says so and goes back.
    "two_factor_off": ("post", {}, {"code": "123456"}, statuses(302)),
    "password_change": ("get", {}, None, SIGNED_IN_ONLY),
    "password_change_done": ("get", {}, None, SIGNED_IN_ONLY),
    "password_reset": ("get", {}, None, PUBLIC),
    "password_reset_done": ("get", {}, None, PUBLIC),
    "password_reset_confirm": ("get", {"uidb64": "MQ", "token": "bad-token"}, None, PUBLIC),
    "password_reset_complete": ("get", {}, None, PUBLIC),
    "schools:index": ("get", {}, None, SIGNED_IN_ONLY),
    "schools:detail": ("get", {"slug": "saltash"}, None, only(TRUST_WIDE | AT_SALTASH, 200, 404)),
    # The trust's colours and logo (every PDF uses them): the central team and the CEO.
    "schools:branding": ("get", {}, None, only({"ceo", "central"}, 200, 403)),
    "people": ("get", {}, None, PEOPLE),
    "person_add": ("get", {}, None, PEOPLE),
    "people_import": ("get", {}, None, PEOPLE),
    "people_import_template": ("get", {}, None, PEOPLE),
    # Without a checked file in the session, confirming sends the manager back to upload one.
    "people_import_confirm": ("post", {}, {"fingerprint": "x"}, only(PEOPLE_MANAGERS, 302, 403)),
    "person_detail": ("get", assignment_of_staff, None, PEOPLE),
    "person_edit": ("get", assignment_of_staff, None, PEOPLE),
    "role_grant": ("post", assignment_of_staff, {"role": "trustee"}, only(PEOPLE_MANAGERS, 302, 403)),
    "role_remove": ("post", staff_role, {"reason": "left"}, only(PEOPLE_MANAGERS, 302, 403)),
    "school_plans:index": ("get", {}, None, SIGNED_IN_ONLY),
    "school_plans:create": (
        "get",
        {},
        None,
        only({"head", "senior", "other_head", "tolt", "cfo", "central"}, 200, 403),
    ),
    "school_plans:sign_off": ("get", {}, None, only({"ceo"}, 200, 403)),
    "school_plans:detail": ("get", saltash_sdp, None, sdp_rule(SDP_READERS, 200)),
    # The plan as a PDF (with this term's ratings for those who read them): the page's rule.
    "reviews:plan_pdf": ("get", saltash_sdp, None, sdp_rule(SDP_READERS, 200)),
    "school_plans:smart": ("get", saltash_sdp, None, sdp_rule(SDP_READERS, 200)),
    "school_plans:pocket_guide": ("get", saltash_sdp, None, sdp_rule(SDP_READERS, 200)),
    # A draft SDP's pocket guide PDF is not for staff: the same rule as its page.
    "school_plans:pocket_guide_pdf": ("get", saltash_sdp, None, sdp_rule(SDP_READERS, 200)),
    "school_plans:history": ("get", saltash_sdp, None, sdp_rule(SDP_READERS, 200)),
    # Signed off, so staff of the school read it too.
    "school_plans:as_signed_off": (
        "get",
        lambda: saltash_sdp("signed_off"),
        None,
        {p: 302 if p == "anonymous" else 404 if p == "other_head" else 200 for p in PERSONAS},
    ),
    "school_plans:step": ("post", lambda: {**saltash_sdp(), "step": "submit"}, {}, sdp_rule(SDP_WRITERS, 302)),
    # "Finalise this plan?": for the writers of an agreed plan; readers 403, others 404.
    "school_plans:step_confirm": (
        "get",
        lambda: {**saltash_sdp("agreed"), "step": "finalise"},
        None,
        sdp_rule(SDP_WRITERS, 200),
    ),
    "school_plans:priority_add": ("get", saltash_sdp, None, sdp_rule(SDP_WRITERS, 200)),
    "school_plans:action_add": ("get", sdp_first_priority, None, sdp_rule(SDP_WRITERS, 200)),
    "school_plans:criterion_add": ("get", sdp_action_as_parent, None, sdp_rule(SDP_WRITERS, 200)),
    "school_plans:progress": ("get", sdp_action, None, sdp_rule(SDP_WRITERS | {"middle"}, 200)),
    "school_plans:item_edit": ("get", lambda: sdp_action(kind="action"), None, sdp_rule(SDP_WRITERS, 200)),
    "school_plans:item_delete": ("get", lambda: sdp_action(kind="action"), None, sdp_rule(SDP_WRITERS, 200)),
    "school_plans:item_move": (
        "post",
        lambda: sdp_action(kind="action"),
        {"direction": "up"},
        sdp_rule(SDP_WRITERS, 302),
    ),
    "school_plans:item_history": ("get", lambda: sdp_action(kind="action"), None, sdp_rule(SDP_READERS, 200)),
    "school_plans:item_restore": (
        "post",
        lambda: sdp_action(kind="action"),
        sdp_action_restore_data,
        sdp_rule(SDP_WRITERS, 302),
    ),
    # Terms and rating windows: read by trust-wide roles, dates and settings kept by the central
    # team and the CEO, a closed term reopened by the CEO alone.
    "reviews:terms": ("get", {}, None, only(TRUST_WIDE, 200, 403)),
    "reviews:term_edit": ("get", autumn_term, None, only(TERM_KEEPERS, 200, 403)),
    "reviews:term_reopen": ("get", autumn_term, None, only({"ceo"}, 200, 403)),
    "reviews:settings": ("post", {}, {"use_complete": "on"}, only(TERM_KEEPERS, 302, 403)),
    # Rating a signed-off plan: its readers see the page (staff only where the trust allows, so not
    # in the demo); the governors give the governors' voice, its leaders the self-assessment.
    "reviews:rate": (
        "get",
        lambda: {"pk": saltash_sdp("signed_off")["pk"], "term": "autumn"},
        None,
        {
            p: 302 if p == "anonymous" else 200 if p in SDP_READERS else 404 if p == "other_head" else 403
            for p in PERSONAS
        },
    ),
    "reviews:rate_now": (
        "get",
        lambda: saltash_sdp("signed_off"),
        None,
        {p: 302 if p in SDP_READERS | {"anonymous"} else 404 if p == "other_head" else 403 for p in PERSONAS},
    ),
    "reviews:action_history": (
        "get",
        lambda: sdp_action(),
        None,
        {p: 302 if p == "anonymous" else 200 if p in SDP_READERS else 404 for p in PERSONAS},
    ),
    "reviews:rate_item": (
        "post",
        open_sdp_action,
        {"voice": "governors", "value": "amber", "commentary": "Behind"},
        {p: 302 if p in {"anonymous", "governor"} else 404 if p == "other_head" else 403 for p in PERSONAS},
    ),
    "reviews:aims": ("get", {"term": "2023-24-autumn"}, None, only(TRUST_WIDE, 200, 403)),
    "reviews:rate_aim": (
        "post",
        open_aim,
        {"value": "amber", "commentary": "Mixed"},
        only({"trustee", "ceo"}, 302, 403),
    ),
    # The trust-wide and school read pages: every school's ratings for trust-wide roles only.
    "reviews:heatmap": ("get", {}, None, only(TRUST_WIDE, 200, 403)),
    "reviews:cell": ("get", saltash_cell, None, only(TRUST_WIDE, 200, 403)),
    "reviews:golden_thread": ("get", {"plan": PLAN, "aim": "TSP1"}, None, only(TRUST_WIDE, 200, 403)),
    "reviews:board_report": ("get", {"term": "2023-24-spring"}, None, only(TRUST_WIDE, 200, 403)),
    "reviews:board_report_pdf": ("get", {"term": "2023-24-spring"}, None, only(TRUST_WIDE, 200, 403)),
    "reviews:export": ("get", {"term": "2023-24-spring", "fmt": "xlsx"}, None, only(TRUST_WIDE, 200, 403)),
    "reviews:school": ("get", {"slug": "saltash"}, None, SCHOOL_RATINGS),
    "reviews:lgc_report": ("get", {"slug": "saltash", "term": "2023-24-spring"}, None, SCHOOL_RATINGS),
    "reviews:lgc_report_pdf": ("get", {"slug": "saltash", "term": "2023-24-spring"}, None, SCHOOL_RATINGS),
    # Django's admin is gated by its own staff flag; the demo central team has it.
    "admin:index": ("get", {}, None, statuses(302, central=200)),
    # The CEO publishes a draft guide (the demo's are published: she is told so and sent back).
    "plans:pocket_guide_publish": ("post", {"plan": PLAN, "year": "2023-24"}, {}, only({"ceo"}, 302, 403)),
}
# The review cycle's pages (reviews.urls_cycle), each part's rows beside its tests.
for _rows in (permission_rows_cycle.ROWS, permission_rows_calendar.ROWS, permission_rows_compliance.ROWS):
    assert not set(_rows) & set(MATRIX), "a URL name has two rows"
    MATRIX.update(_rows)


def project_url_names() -> set[str]:
    def walk(patterns, namespace=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = p.namespace or ""
                if ns == "admin":
                    yield "admin:index"  # the admin's own pages follow its permission system
                    continue
                yield from walk(p.url_patterns, f"{namespace}{ns}:" if ns else namespace)
            elif isinstance(p, URLPattern):
                assert p.name, f"URL pattern {p.pattern} has no name"
                yield f"{namespace}{p.name}"

    return set(walk(get_resolver().url_patterns))


def test_every_url_pattern_has_a_row():
    names = project_url_names()
    assert names - set(MATRIX) == set(), "add these URL names to the permission matrix"
    assert set(MATRIX) - names == set(), "the matrix names URLs that no longer exist"


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_permission_matrix(client, demo, name, persona):
    method, kwargs, data, expected = MATRIX[name]
    if callable(kwargs):
        kwargs = kwargs()
    if PERSONAS[persona]:
        client.force_login(User.objects.get(email=demo_email(PERSONAS[persona])))
    url = reverse(name, kwargs=kwargs)
    if callable(data):
        data = data()
    response = client.post(url, data or {}) if method == "post" else client.get(url)
    assert response.status_code == expected[persona], f"{persona} {method.upper()} {url}"
    if response.status_code == 302 and persona == "anonymous" and name not in {"logout", "plans:plan_pdf_retry"}:
        assert response["Location"].startswith(reverse("login")) or name == "admin:index"


@pytest.mark.parametrize("name", sorted(n for n, row in MATRIX.items() if row[0] == "post"))
def test_state_changes_refuse_get(client, demo, name):
    kwargs = MATRIX[name][1]
    kwargs = kwargs() if callable(kwargs) else kwargs
    client.force_login(User.objects.get(email=demo_email("central")))
    assert client.get(reverse(name, kwargs=kwargs)).status_code == 405


# Managing people above you (issue 16 item 1): the edit page of each people manager, as each. The
# demo central account is also a superuser, so it may manage the CEO; the CEO may not manage it.
# The pairs without the superuser flag are in tests/test_people_escalation.py.
EDIT_ABOVE = {("ceo", "ceo"): 200, ("ceo", "central"): 403, ("central", "ceo"): 200, ("central", "central"): 200}


@pytest.mark.parametrize(("actor", "target"), sorted(EDIT_ABOVE))
def test_people_managers_edit_only_people_at_or_below_their_power(client, demo, actor, target):
    client.force_login(User.objects.get(email=demo_email(actor)))
    person = User.objects.get(email=demo_email(target))
    assert client.get(reverse("person_edit", args=[person.pk])).status_code == EDIT_ABOVE[actor, target]
