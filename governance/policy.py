"""The permission policy: the one place that decides who may see and do what.

Views, templates (through the `policy` template tags) and downloads ask these functions; nothing
else looks at roles. It lives in governance (people and roles), below plans and reviews, so every
app above may ask it and it imports from none of them. The rules, in the trust's words:

- published plans and pocket guides are public; drafts are read by the people consulted on them
  (trust-wide roles, headteachers and local governors) and by nobody else;
- trust-wide roles (CEO, CFO/COO, central team, trustees, TOLT) see every school;
  everyone else sees only the schools where they hold a role;
- the central team (and the CEO) manage people and their roles;
- a school's plans (SDP, school BDP) are written by its headteacher and senior leaders, read in
  draft by its governors and leaders, and by its staff once finalised; the trust-wide BDP is
  written by TOLT, the CFO / COO and the central team; trust-wide roles read every plan;
- local governors agree or return their school's plan (trustees the trust-wide BDP), the CEO
  signs every plan off and alone reopens a signed-off one; nobody edits a plan outside the
  states in which it is written (draft, and agreed before it is finalised); which step each rule
  decides is written in plans.workflow.STEPS; progress (an action's
  status and evidence) is recorded all year by the school's leaders and the action's lead.

Answers are computed from the person's role assignments, read once per request and cached on the
user object, so asking many questions costs one query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from django.db.models import Q, QuerySet

from governance.models import TRUST_ROLES, Role, RoleAssignment

if TYPE_CHECKING:
    from schools.models import School


# The plans app depends on this module, not the other way round: rules about plans take any object
# with these attributes (a SchoolPlan, or a record of one from its history).
class StrategicPlan(Protocol):
    status: str


class PocketGuide(Protocol):
    status: str
    plan: StrategicPlan


class SchoolPlan(Protocol):
    school_id: int | None
    kind: str
    is_published: bool
    is_editable: bool


class Action(Protocol):
    lead_id: int | None


PEOPLE_MANAGERS = {Role.CENTRAL_TEAM, Role.CEO}
SCHOOL_PLAN_WRITERS = {Role.HEADTEACHER, Role.SENIOR_LEADER}
SCHOOL_PLAN_DRAFT_READERS = {Role.HEADTEACHER, Role.SENIOR_LEADER, Role.MIDDLE_LEADER, Role.LOCAL_GOVERNOR}
TRUST_BDP_WRITERS = {Role.TOLT_MEMBER, Role.CFO_COO, Role.CENTRAL_TEAM}
EVIDENCE_ADDERS = SCHOOL_PLAN_WRITERS | {Role.MIDDLE_LEADER}
DRAFT_READERS_IN_SCHOOLS = {Role.HEADTEACHER, Role.LOCAL_GOVERNOR}


@dataclass(frozen=True)
class Held:
    role: str
    school_id: int | None


def held_roles(user) -> frozenset[Held]:
    """The person's roles as (role, school id) pairs; one query per request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_policy_roles", None)
    if cached is None:
        cached = frozenset(Held(role, school_id) for role, school_id in user.roles.values_list("role", "school_id"))
        user._policy_roles = cached
    return cached


def has_trust_role(user) -> bool:
    return bool(user.is_authenticated and user.is_superuser) or any(h.role in TRUST_ROLES for h in held_roles(user))


def school_ids(user) -> set[int]:
    """Schools where the person holds a role of their own."""
    return {h.school_id for h in held_roles(user) if h.school_id is not None}


# --- plans -----------------------------------------------------------------------------------


def sees_drafts(user) -> bool:
    return has_trust_role(user) or any(h.role in DRAFT_READERS_IN_SCHOOLS for h in held_roles(user))


def visible_plans(user, plans: QuerySet) -> QuerySet:
    return plans if sees_drafts(user) else plans.published()


def visible_pocket_guides(user, guides: QuerySet) -> QuerySet:
    return guides if sees_drafts(user) else guides.published()


def can_view_plan(user, plan: StrategicPlan) -> bool:
    return plan.status == "published" or sees_drafts(user)


def can_view_pocket_guide(user, guide: PocketGuide) -> bool:
    published = guide.status == "published" and guide.plan.status == "published"
    return published or sees_drafts(user)


# --- schools ---------------------------------------------------------------------------------


def visible_schools(user, schools: QuerySet) -> QuerySet:
    if has_trust_role(user):
        return schools
    return schools.filter(pk__in=school_ids(user))


def can_view_school(user, school: School) -> bool:
    return has_trust_role(user) or school.pk in school_ids(user)


# --- people ----------------------------------------------------------------------------------


def can_manage_people(user) -> bool:
    if getattr(user, "is_authenticated", False) and user.is_superuser:
        return True
    return any(h.role in PEOPLE_MANAGERS for h in held_roles(user))


# Power, to decide who may manage whom. A person's power is the highest rank of the roles they
# hold, and separately their access to the admin screens (superuser above staff above none).
# Someone "holds more power" when they are above on either scale, so a manager never edits,
# grants a role to or removes a role from such a person (taking over their account, e.g. by
# changing its e-mail and resetting the password, would be a promotion). A role is granted only
# by someone whose own rank is at least the role's, never to oneself, and the CEO role only by a
# superuser (handing it over is the system administrator's job, not the outgoing CEO's).
ROLE_RANK = {
    Role.CEO: 6,
    Role.CENTRAL_TEAM: 5,
    Role.CFO_COO: 4,
    Role.TRUSTEE: 4,
    Role.TOLT_MEMBER: 4,
    Role.HEADTEACHER: 3,
    Role.LOCAL_GOVERNOR: 3,
    Role.SENIOR_LEADER: 2,
    Role.MIDDLE_LEADER: 1,
    Role.STAFF: 0,
}
NO_ROLE_RANK = -1
SUPERUSER_RANK = max(ROLE_RANK.values()) + 1
GRANTED_ONLY_BY_SUPERUSERS = {Role.CEO}


@dataclass(frozen=True)
class Power:
    rank: int
    admin: int  # 2 superuser, 1 admin screens (staff), 0 none
    top_role: str | None

    def above(self, other: Power) -> bool:
        return self.rank > other.rank or self.admin > other.admin


def power(user) -> Power:
    """Every role the person holds counts, active or not (reactivating an account is an edit)."""
    if user.is_superuser:
        return Power(SUPERUSER_RANK, 2, None)
    roles = set(user.roles.values_list("role", flat=True)) if user.pk else set()
    top = max(roles, key=ROLE_RANK.__getitem__, default=None)
    return Power(ROLE_RANK[top] if top else NO_ROLE_RANK, 1 if user.is_staff else 0, top)


def person_refusal(by, person, action: str, role: str | None = None) -> str | None:
    """Why `by` may not `action` ("edit", "grant", "remove") `person` (with `role` for grant and
    remove), in words for the manager; None when allowed. Only asked of people managers."""
    if person.is_superuser and not by.is_superuser:
        return "Only a superuser manages a superuser's account."
    mine, theirs = power(by), power(person)
    if theirs.above(mine):
        what = Role(theirs.top_role).label if theirs.rank > mine.rank else "access to the admin screens"
        return f"{person} holds more power ({what}) than you do: ask someone who holds as much."
    if role is None:
        return None
    label = Role(role).label
    if action == "grant" and person.pk is not None and person.pk == by.pk:
        return f"You cannot grant yourself a role ({label}): another manager does that."
    if role in GRANTED_ONLY_BY_SUPERUSERS and not by.is_superuser:
        return f"Only a superuser grants or removes the {label} role."
    if ROLE_RANK[role] > mine.rank:
        return f"The {label} role holds more power than yours: you cannot grant or remove it."
    return None


def grantable_roles(by, person) -> list[str]:
    """The roles `by` may grant `person`, in the order of Role: what the grant form offers. The
    services check each grant again (person_refusal), so a role posted by hand is still refused."""
    if person.pk is not None and person.pk == by.pk or person_refusal(by, person, "edit") is not None:
        return []
    mine = power(by)
    return [
        role
        for role in Role.values
        if ROLE_RANK[role] <= mine.rank and (role not in GRANTED_ONLY_BY_SUPERUSERS or by.is_superuser)
    ]


# The roles whose accounts can change the whole trust: they must use two-factor sign-in when
# their trust requires it.
TWO_FACTOR_ROLES = (Role.CEO, Role.TRUSTEE, Role.CENTRAL_TEAM)


def must_use_two_factor(user) -> bool:
    """The CEO, trustees and the central team of a trust that requires two-factor sign-in."""
    return RoleAssignment.objects.filter(user=user, role__in=TWO_FACTOR_ROLES, trust__two_factor_required=True).exists()


# --- school and business development plans ---------------------------------------------------


def _roles_at(user, school_id: int | None) -> set[str]:
    """The person's roles at one school, or their trust-wide roles when `school_id` is None."""
    return {h.role for h in held_roles(user) if h.school_id == school_id}


def _schools_with(user, roles: set[str]) -> set[int]:
    return {h.school_id for h in held_roles(user) if h.school_id is not None and h.role in roles}


def visible_school_plans(user, plans: QuerySet) -> QuerySet:
    """`plans` is a school-plan queryset: its `published()` says which plans staff may read."""
    if has_trust_role(user):
        return plans
    if not held_roles(user):
        return plans.none()
    drafts = _schools_with(user, SCHOOL_PLAN_DRAFT_READERS)
    published = plans.published().filter(Q(school_id__in=school_ids(user)) | Q(school_id__isnull=True))
    return plans.filter(school_id__in=drafts) | published


def can_view_school_plan(user, plan: SchoolPlan) -> bool:
    if has_trust_role(user):
        return True
    if not held_roles(user):
        return False
    if plan.school_id is None:
        return plan.is_published
    if _roles_at(user, plan.school_id) & SCHOOL_PLAN_DRAFT_READERS:
        return True
    return plan.is_published and plan.school_id in school_ids(user)


def sees_school_plan_drafts(user, plan: SchoolPlan) -> bool:
    """The people who write, agree or oversee the plan: its history and SMART report are theirs."""
    if has_trust_role(user):
        return True
    return plan.school_id is not None and bool(_roles_at(user, plan.school_id) & SCHOOL_PLAN_DRAFT_READERS)


def writes_school_plan(user, plan: SchoolPlan) -> bool:
    """Whether the person is one of the plan's writers, whatever state it is in."""
    trust_writer = bool(_roles_at(user, None) & TRUST_BDP_WRITERS)
    if plan.school_id is None:
        return trust_writer
    if plan.kind == "bdp" and trust_writer:
        return True
    return bool(_roles_at(user, plan.school_id) & SCHOOL_PLAN_WRITERS)


def can_edit_school_plan(user, plan: SchoolPlan) -> bool:
    """Change priorities, actions and criteria: a writer, while the plan is being written."""
    return plan.is_editable and writes_school_plan(user, plan)


def can_add_evidence(user, plan: SchoolPlan, action: Action | None = None) -> bool:
    """Evidence is gathered all year, signed off or not, by the writers, leaders and the action's lead."""
    if writes_school_plan(user, plan):
        return True
    if action is not None and action.lead_id == getattr(user, "pk", None) and can_view_school_plan(user, plan):
        return True
    return plan.school_id is not None and bool(_roles_at(user, plan.school_id) & EVIDENCE_ADDERS)


def schools_for_new_plan(user, kind: str, schools: QuerySet) -> QuerySet:
    """The schools for which the person may start a plan of this kind."""
    if kind == "bdp" and _roles_at(user, None) & TRUST_BDP_WRITERS:
        return schools
    return schools.filter(pk__in=_schools_with(user, SCHOOL_PLAN_WRITERS))


def can_create_trust_wide_plan(user, kind: str) -> bool:
    return kind == "bdp" and bool(_roles_at(user, None) & TRUST_BDP_WRITERS)


def can_start_a_plan(user) -> bool:
    return bool(_roles_at(user, None) & TRUST_BDP_WRITERS or _schools_with(user, SCHOOL_PLAN_WRITERS))


def agrees_school_plan(user, plan: SchoolPlan) -> bool:
    """The plan's governing body: the school's local governors, the trustees for a trust-wide plan."""
    if plan.school_id is None:
        return Role.TRUSTEE in _roles_at(user, None)
    return Role.LOCAL_GOVERNOR in _roles_at(user, plan.school_id)


def is_ceo(user, plan: SchoolPlan | None = None) -> bool:
    """The CEO signs every plan off and alone reopens one (`plan` lets the workflow table call it
    like the other step rules)."""
    return Role.CEO in _roles_at(user, None)


# --- termly ratings (reviews) ------------------------------------------------------------------
# Two voices rate a school plan's actions each term: its leaders' self-assessment (the writers,
# leaders, and an action's own lead for that action), then its governing body (the school's local
# governors; the trustees for the trust-wide BDP). Trustees and the CEO rate the trust's aims.
# Ratings are read by the people who read the plan in draft, and by its staff once it is
# published only where the trust lets them (reviews.ReviewSettings.staff_see_ratings).
SELF_ASSESSORS = SCHOOL_PLAN_WRITERS | {Role.MIDDLE_LEADER}
AIM_RATERS = {Role.TRUSTEE, Role.CEO}
TERM_KEEPERS = {Role.CENTRAL_TEAM, Role.CEO}


def self_assesses(user, plan: SchoolPlan, action: Action | None = None) -> bool:
    """May record the leaders' self-assessment of the plan's actions (of `action`, when given)."""
    if writes_school_plan(user, plan):
        return True
    if plan.school_id is not None and _roles_at(user, plan.school_id) & SELF_ASSESSORS:
        return True
    return action is not None and action.lead_id == getattr(user, "pk", None) and can_view_school_plan(user, plan)


def rates_as_governor(user, plan: SchoolPlan) -> bool:
    """May give the governors' rating: the plan's governing body (see agrees_school_plan)."""
    return agrees_school_plan(user, plan)


def can_view_ratings(user, plan: SchoolPlan, *, staff_allowed: bool) -> bool:
    """The people who read the plan in draft; its other readers (staff) once it is published and
    only if the trust lets staff read ratings."""
    if sees_school_plan_drafts(user, plan) or rates_as_governor(user, plan):
        return True
    return staff_allowed and plan.is_published and can_view_school_plan(user, plan)


def rates_aims(user) -> bool:
    """Trustees and the CEO rate each trust aim every term."""
    return bool(_roles_at(user, None) & AIM_RATERS)


def sees_trust_ratings(user) -> bool:
    """The trust-wide picture (heatmap, Board report, exports): trust-wide roles."""
    return has_trust_role(user)


def can_view_school_ratings(user, school_id: int, *, staff_allowed: bool = False) -> bool:
    """A school's ratings across its plans (its page by term, its LGC report): trust-wide roles,
    the school's governors and leaders; its staff where the trust allows."""
    if has_trust_role(user):
        return True
    mine = _roles_at(user, school_id)
    return bool(mine & SCHOOL_PLAN_DRAFT_READERS) or (staff_allowed and bool(mine))


def keeps_terms(user) -> bool:
    """Sets the terms' dates and rating windows: the central team and the CEO."""
    return bool(_roles_at(user, None) & TERM_KEEPERS) or bool(getattr(user, "is_superuser", False))


def reopens_terms(user) -> bool:
    """Opens a closed term's ratings again (with a reason): the CEO alone."""
    return is_ceo(user)


# --- the trust's branding ----------------------------------------------------------------------
BRANDING_KEEPERS = {Role.CENTRAL_TEAM, Role.CEO}


def manages_branding(user) -> bool:
    """Sets the trust's colours and logo (used by every PDF): the central team and the CEO."""
    return bool(_roles_at(user, None) & BRANDING_KEEPERS) or bool(getattr(user, "is_superuser", False))


def publishes_pocket_guide(user) -> bool:
    """Publishes the year's pocket guide, which e-mails every member of staff: the CEO alone."""
    return is_ceo(user)


# --- the review cycle --------------------------------------------------------------------------


def runs_the_cycle(user) -> bool:
    """Edits the year's stages and reads what was sent, held back and why: the CEO."""
    return is_ceo(user)


def sees_the_cycle_log(user) -> bool:
    """Reads the log of messages and decisions: the CEO (and the central team, who support it)."""
    return is_ceo(user) or Role.CENTRAL_TEAM in _roles_at(user, None)


def marks_stage_done(user, responsible: str, school_id: int | None) -> bool:
    """Marks a task stage done for a school (or the trust): whoever holds its responsible role
    there, and the CEO."""
    return is_ceo(user) or responsible in _roles_at(user, school_id)


def sees_what_is_owed(user, school_id: int | None, owners=()) -> bool:
    """May know that something of the review cycle is still owed, and by whom: trust-wide roles
    all of it; everyone the trust's own (no school) and what they owe themselves; a school's
    people what their school owes."""
    return (
        has_trust_role(user)
        or school_id is None
        or getattr(user, "pk", None) in owners
        or school_id in school_ids(user)
    )


def heads_schools(user) -> set[int]:
    """The schools whose whole share of the cycle the person's home page shows (what their
    governors and leaders owe too): where they are the headteacher."""
    return _schools_with(user, {Role.HEADTEACHER})


def records_compliance(user, school_id: int) -> bool:
    """Records a school's monthly compliance checks: its headteacher and senior leaders, and
    the central team and the CEO."""
    return bool(_roles_at(user, school_id) & {Role.HEADTEACHER, Role.SENIOR_LEADER}) or bool(
        _roles_at(user, None) & {Role.CEO, Role.CENTRAL_TEAM}
    )


def sees_compliance(user, school_id: int) -> bool:
    """Reads a school's compliance checks: trust-wide roles, its governors and leaders."""
    return has_trust_role(user) or bool(_roles_at(user, school_id) & SCHOOL_PLAN_DRAFT_READERS)


def keeps_compliance_areas(user) -> bool:
    """Names the areas checked each month: the central team and the CEO."""
    return bool(_roles_at(user, None) & {Role.CEO, Role.CENTRAL_TEAM})


# --- one entry point for templates -----------------------------------------------------------

ACTIONS = {
    "manage_people": lambda user, obj: can_manage_people(user),
    "view_school": lambda user, obj: can_view_school(user, obj),
    "view_plan": lambda user, obj: can_view_plan(user, obj),
    "view_pocket_guide": lambda user, obj: can_view_pocket_guide(user, obj),
    "see_schools": lambda user, obj: bool(has_trust_role(user) or school_ids(user)),
    "see_school_plans": lambda user, obj: bool(held_roles(user) or has_trust_role(user)),
    "start_school_plan": lambda user, obj: can_start_a_plan(user),
    "view_school_plan": lambda user, obj: can_view_school_plan(user, obj),
    "edit_school_plan": lambda user, obj: can_edit_school_plan(user, obj),
    "add_evidence": lambda user, obj: can_add_evidence(user, obj.plan, obj),
    "sign_off_queue": lambda user, obj: is_ceo(user),
    "see_trust_ratings": lambda user, obj: sees_trust_ratings(user),
    "rate_aims": lambda user, obj: rates_aims(user),
    "keep_terms": lambda user, obj: keeps_terms(user),
    "reopen_terms": lambda user, obj: reopens_terms(user),
    "manage_branding": lambda user, obj: manages_branding(user),
    "publish_pocket_guide": lambda user, obj: publishes_pocket_guide(user),
    "run_the_cycle": lambda user, obj: runs_the_cycle(user),
    "see_the_cycle_log": lambda user, obj: sees_the_cycle_log(user),
    "keep_compliance_areas": lambda user, obj: keeps_compliance_areas(user),
    "see_compliance": lambda user, obj: has_trust_role(user) or any(sees_compliance(user, s) for s in school_ids(user)),
    "see_the_calendar": lambda user, obj: bool(held_roles(user)),
}


def allowed(user, action: str, obj=None) -> bool:
    """`allowed(user, "view_school", school)`: what templates and buttons ask."""
    return ACTIONS[action](user, obj)
