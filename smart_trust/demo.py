"""The demo trust: schools, one person per role, and the trust's real 2022-27 plan.

Idempotent: running it again changes nothing and never resets a password. URNs here are
illustrative, not the schools' real DfE numbers.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from governance.models import Role, RoleAssignment, User
from plans.planfile import import_plan_text
from schools.models import Phase, School

DEMO_PLAN = Path(settings.BASE_DIR) / "plans" / "demo_data" / "tsp-2022-27.yaml"
DEMO_DOMAIN = "demo.smart-trust.invalid"

SCHOOLS = [
    ("Saltash Community School", "saltash", Phase.SECONDARY, "900001"),
    ("Brunel Primary and Nursery Academy", "brunel", Phase.PRIMARY, "900002"),
    ("Bishop Cornish CofE Primary School", "bishop-cornish", Phase.PRIMARY, "900003"),
    ("Burraton Community Primary School", "burraton", Phase.PRIMARY, "900004"),
    ("Landulph School", "landulph", Phase.PRIMARY, "900005"),
    ("St Stephens Community Academy", "st-stephens", Phase.PRIMARY, "900006"),
]

# (e-mail local part, name, role, school slug or None, extra flags)
PEOPLE = (
    [
        ("ceo", "Chris Evans", Role.CEO, None, {}),
        ("cfo", "Fran Owen", Role.CFO_COO, None, {}),
        ("central", "Cat Tremayne", Role.CENTRAL_TEAM, None, {}),
        ("trustee", "Tom Rowe", Role.TRUSTEE, None, {}),
        ("tolt", "Tess Olds", Role.TOLT_MEMBER, None, {}),
        ("governor", "Gwen Lander", Role.LOCAL_GOVERNOR, "saltash", {"is_chair": True}),
        ("link-governor", "Lee Inch", Role.LOCAL_GOVERNOR, "saltash", {"is_link_governor": True, "link_area": "SEND"}),
        ("head", "Hannah Eddy", Role.HEADTEACHER, "saltash", {}),
        ("senior", "Sam Lowe", Role.SENIOR_LEADER, "saltash", {}),
        ("middle", "Mia Dunn", Role.MIDDLE_LEADER, "saltash", {}),
        ("staff", "Stacey Taff", Role.STAFF, "saltash", {}),
    ]
    + [(f"head.{slug}", f"Headteacher of {name}", Role.HEADTEACHER, slug, {}) for name, slug, _, _ in SCHOOLS[1:]]
    + [
        (f"governor.{slug}", f"Chair of {name} LGC", Role.LOCAL_GOVERNOR, slug, {"is_chair": True})
        for name, slug, _, _ in SCHOOLS[1:]
    ]
)


@dataclass
class DemoResult:
    created_people: list[User]
    password: str | None
    plan_changes: int


def demo_email(local: str) -> str:
    return f"{local}@{DEMO_DOMAIN}"


def load_demo(*, password: str | None = None) -> DemoResult:
    created: list[User] = []
    with transaction.atomic():
        result = import_plan_text(DEMO_PLAN.read_text(encoding="utf-8"), source="demo data")
        trust = result.plan.trust
        if not trust.short_name:
            trust.short_name = "SMART"
            trust.save()
        schools = {}
        for name, slug, phase, urn in SCHOOLS:
            schools[slug], _ = School.objects.get_or_create(
                urn=urn,
                defaults={"trust": trust, "name": name, "slug": slug, "phase": phase, "lgc_name": f"{name} LGC"},
            )
        new_password = password or secrets.token_urlsafe(9)
        for local, name, role, school_slug, flags in PEOPLE:
            user = User.objects.filter(email=demo_email(local)).first()
            if user is None:
                is_central = role == Role.CENTRAL_TEAM
                user = User.objects.create_user(
                    demo_email(local), new_password, full_name=name,
                    is_staff=is_central, is_superuser=is_central,
                )  # fmt: skip
                created.append(user)
            RoleAssignment.objects.get_or_create(
                user=user, role=role, trust=trust, school=schools.get(school_slug), defaults=flags
            )
    return DemoResult(created, new_password if created else None, result.changes)
