"""The permission policy: the one place that decides who may see and do what.

Views, templates (through the `policy` template tags) and downloads ask these functions; nothing
else looks at roles. The rules follow DOMAIN.md:

- published plans and pocket guides are public; drafts are read by the people consulted on them
  (trust-wide roles, headteachers and local governors) and by nobody else;
- trust-wide roles (CEO, CFO/COO, central team, trustees, TOLT) see every school;
  everyone else sees only the schools where they hold a role;
- the central team (and the CEO) manage people and their roles.

Answers are computed from the person's role assignments, read once per request and cached on the
user object, so asking many questions costs one query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from governance.models import TRUST_ROLES, Role

if TYPE_CHECKING:
    from plans.models import PocketGuide, StrategicPlan
    from schools.models import School

PEOPLE_MANAGERS = {Role.CENTRAL_TEAM, Role.CEO}
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


# --- one entry point for templates -----------------------------------------------------------

ACTIONS = {
    "manage_people": lambda user, obj: can_manage_people(user),
    "view_school": lambda user, obj: can_view_school(user, obj),
    "view_plan": lambda user, obj: can_view_plan(user, obj),
    "view_pocket_guide": lambda user, obj: can_view_pocket_guide(user, obj),
    "see_schools": lambda user, obj: bool(has_trust_role(user) or school_ids(user)),
}


def allowed(user, action: str, obj=None) -> bool:
    """`allowed(user, "view_school", school)`: what templates and buttons ask."""
    return ACTIONS[action](user, obj)
