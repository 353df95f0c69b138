"""Writes about people and roles. Each runs in one transaction and records who did it."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from schools.models import School, Trust

from . import branding, policy
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


@transaction.atomic
def trust_branding_save(
    *,
    trust: Trust,
    by: User,
    colour: str,
    accent_colour: str,
    logo: UploadedFile | None = None,
    remove_logo: bool = False,
) -> Trust:
    """Keep the trust's colours and logo (every PDF uses them). The rules are checked again here,
    whoever calls: white text on the main colour and the accent colour on white at least 4.5:1, a
    logo of at most 1 MB that really is a PNG, JPEG or SVG. A replaced logo's file stays in storage:
    the history rows, and the PDFs rendered with it, still name it."""
    if not policy.manages_branding(by):
        raise PermissionDenied("The central team and the CEO set the trust's colours and logo.")
    trust = Trust.objects.select_for_update().get(pk=trust.pk)
    colour, accent_colour = branding.normalise_hex(colour), branding.normalise_hex(accent_colour)
    errors = {}
    for field, check, value in (
        ("colour", branding.check_main_colour, colour),
        ("accent_colour", branding.check_accent_colour, accent_colour),
    ):
        try:
            check(value)
        except ValidationError as exc:
            errors[field] = exc.messages
    if logo is not None:
        try:
            branding.check_logo(logo)
        except ValidationError as exc:
            errors["logo"] = exc.messages
    if errors:
        raise ValidationError(errors)
    changes = []
    if (trust.colour, trust.accent_colour) != (colour, accent_colour):
        changes.append("colours")
    trust.colour, trust.accent_colour = colour, accent_colour
    if logo is not None:
        extension = branding.logo_extension(logo.name)
        trust.logo.save(f"{trust.slug}-logo.{extension}", logo, save=False)  # storage adds a suffix if taken
        changes.append("new logo")
    elif remove_logo and trust.logo:
        trust.logo = ""
        changes.append("logo removed")
    if not changes:
        return trust
    trust.full_clean()
    _attribute(trust, by, f"Branding changed: {', '.join(changes)}")
    trust.save()
    return trust
