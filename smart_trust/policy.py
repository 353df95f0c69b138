"""The permission policy: the one place that decides who may see and do what.

Views, templates and downloads ask these functions; nothing else checks roles. The rules grow
with the roles issue; today: published plans and pocket guides are public, drafts are seen only
by the central team (admin access) and by people with a trust-wide role.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

if TYPE_CHECKING:
    from plans.models import PocketGuide, StrategicPlan


def sees_drafts(user) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser or user.is_staff:
        return True
    from governance.models import TRUST_ROLES

    return user.roles.filter(role__in=[r.value for r in TRUST_ROLES]).exists()


def visible_plans(user, plans: QuerySet) -> QuerySet:
    return plans if sees_drafts(user) else plans.published()


def visible_pocket_guides(user, guides: QuerySet) -> QuerySet:
    return guides if sees_drafts(user) else guides.published()


def can_view_plan(user, plan: StrategicPlan) -> bool:
    return plan.status == "published" or sees_drafts(user)


def can_view_pocket_guide(user, guide: PocketGuide) -> bool:
    published = guide.status == "published" and guide.plan.status == "published"
    return published or sees_drafts(user)
