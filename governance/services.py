"""Writes about people and roles. Each runs in one transaction and records who did it."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from schools.models import School, Trust

from . import policy
from .models import SCHOOL_ROLES, Role, RoleAssignment, User

logger = logging.getLogger("governance.people")


def refuse_if_not_allowed(*, by: User, person: User, action: str, role: str | None = None) -> None:
    """Raise PermissionDenied, and log who tried what, when the policy refuses `by` this change."""
    reason = policy.person_refusal(by, person, action, role)
    if reason is None:
        return
    label = Role(role).label if role else ""
    what = {"edit": f"edit {person.email}", "grant": f"grant {label} to {person.email}"}.get(
        action, f"remove {label} from {person.email}"
    )
    logger.warning("Refused: %s tried to %s: %s", by.email, what, reason)
    raise PermissionDenied(reason)


def _attribute(obj, by: User, reason: str) -> None:
    obj._history_user = by
    obj._change_reason = reason


@transaction.atomic
def person_create(*, email: str, full_name: str, by: User) -> User:
    person = User(email=email.strip().lower(), full_name=full_name.strip())
    person.set_unusable_password()  # they choose one through "forgot your password"
    person.full_clean()
    _attribute(person, by, "Person added")
    person.save()
    return person


@transaction.atomic
def person_update(*, person: User, full_name: str, email: str, is_active: bool, by: User) -> User:
    refuse_if_not_allowed(by=by, person=person, action="edit")
    person.full_name = full_name.strip()
    person.email = email.strip().lower()
    person.is_active = is_active
    person.full_clean()
    _attribute(person, by, "Person edited")
    person.save()
    return person


@transaction.atomic
def role_grant(
    *,
    person: User,
    role: str,
    trust: Trust,
    school: School | None,
    by: User,
    is_chair: bool = False,
    is_link_governor: bool = False,
    link_area: str = "",
) -> RoleAssignment:
    refuse_if_not_allowed(by=by, person=person, action="grant", role=role)
    if role in SCHOOL_ROLES and school is None:
        raise ValidationError({"school": f"A {Role(role).label.lower()} belongs to one school: choose it."})
    if role not in SCHOOL_ROLES:
        school = None
    if school is not None and school.trust_id != trust.pk:
        raise ValidationError({"school": "That school is not in this trust."})
    if RoleAssignment.objects.filter(user=person, role=role, trust=trust, school=school).exists():
        raise ValidationError(f"{person} already holds this role{' at ' + school.name if school else ''}.")
    assignment = RoleAssignment(
        user=person,
        role=role,
        trust=trust,
        school=school,
        is_chair=is_chair,
        is_link_governor=is_link_governor,
        link_area=link_area.strip(),
        granted_by=by,
    )
    assignment.full_clean()
    _attribute(assignment, by, "Role granted")
    assignment.save()
    return assignment


@transaction.atomic
def role_remove(*, assignment: RoleAssignment, by: User, reason: str = "") -> None:
    refuse_if_not_allowed(by=by, person=assignment.user, action="remove", role=assignment.role)
    _attribute(assignment, by, reason.strip() or "Role removed")
    assignment.delete()
