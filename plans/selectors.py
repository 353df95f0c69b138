"""Reads of the plan, each starting from what the person may see, each a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch
from django.http import Http404

from governance import policy

from . import models as m
from . import page_cache
from .models import Aim, ColumnHeadline, Milestone, PocketGuide, StrategicPlan, Strategy

# Optional sections of a plan: section slug -> the model whose rows make it worth a page.
SECTION_ROWS = {
    "values": m.SharedValue,
    "principles": m.Principle,
    "vision": m.VisionHeading,
    "key-documents": m.KeyDocument,
    "roles": m.Responsibility,
    "review-cycle": m.ReviewPeriod,
    "references": m.Reference,
    "glossary": m.GlossaryTerm,
}


SECTION_TEXT = {
    "introduction": "introduction",
    "values": "values_intro",
    "principles": "principles_intro",
    "vision": "vision_intro",
    "review-cycle": "review_cycle_intro",
    "references": "references_intro",
}


def plan_for(user, slug: str) -> StrategicPlan:
    """The plan with this slug if the person may see it; otherwise 404 (never reveal a draft).

    The plan's row is kept per version of the plan content (`plan.content_key`, which the pages
    key their kept parts on): a plan page reads the version, not the plan."""
    version = page_cache.strategic_version()
    plan = page_cache.kept(
        f"plan:{slug}:{version}", lambda: StrategicPlan.objects.select_related("trust").filter(slug=slug).first()
    )
    if plan is None or not policy.can_view_plan(user, plan):
        raise Http404("No such plan")
    plan.content_key = version
    return plan


def plan_sections(plan: StrategicPlan) -> set[str]:
    """The optional sections that have something to show (one query): rows, or only an
    introduction, which is still a page."""
    has_rows = {
        f"has_{name.replace('-', '_')}": Exists(model.objects.filter(plan=OuterRef("pk")))
        for name, model in SECTION_ROWS.items()
    }
    found = StrategicPlan.objects.filter(pk=plan.pk).annotate(**has_rows).values(*has_rows).get()
    sections = {name for name in SECTION_ROWS if found[f"has_{name.replace('-', '_')}"]}
    sections.update(name for name, text in SECTION_TEXT.items() if getattr(plan, text))
    return sections


def aim_heading(plan: StrategicPlan, code: str) -> Aim:
    """The aim named in the address, with its strand, for the page's title and crumbs; else 404."""
    aim = page_cache.kept(
        f"aim:{plan.pk}:{code}:{plan.content_key}", lambda: plan.aims.select_related("strand").filter(code=code).first()
    )
    if aim is None:
        raise Http404("No such aim")
    if aim.strand:
        aim.strand.plan = plan  # its address names the plan: no second read of it
    return aim


def guides_for(user, plan: StrategicPlan) -> list[PocketGuide]:
    return list(PocketGuide.objects.visible_to(user).filter(plan=plan).select_related("academic_year"))


def strands_with_aims(plan: StrategicPlan) -> tuple[list, list[Aim]]:
    """The strands in order, each with its aims, and the aims that belong to no strand."""
    aims = list(plan.aims.prefetch_related("focus_columns"))
    strands = list(plan.strands.all())
    for strand in strands:
        strand.aim_list = [a for a in aims if a.strand_id == strand.pk]
    return strands, [a for a in aims if a.strand_id is None]


@dataclass
class StrategyNode:
    strategy: Strategy
    children: StrategyList


class StrategyList(list):
    """Strategies at one level: numbered as the document numbers them (2.4, 2.4.1), or bullets."""

    @property
    def numbered(self) -> bool:
        return any(node.strategy.number for node in self)

    @property
    def heading_number(self) -> str:
        """The number the document gives the strategies' heading: "2" when they are 2.1, 2.2 ..."""
        number = next((node.strategy.number for node in self if node.strategy.number), "")
        return number.split(".")[0] if "." in number else ""


def strategy_tree(aim: Aim) -> StrategyList:
    """All strategies of an aim, nested, from one query."""
    rows = list(aim.strategies.all())
    nodes = {s.pk: StrategyNode(s, StrategyList()) for s in rows}
    roots = StrategyList()
    for s in rows:
        (nodes[s.parent_id].children if s.parent_id in nodes else roots).append(nodes[s.pk])
    return roots


def aim_page(plan: StrategicPlan, code: str, user) -> dict:
    aim = plan.aims.select_related("strand").prefetch_related("focus_columns", "drivers").filter(code=code).first()
    if aim is None:
        raise Http404("No such aim")
    milestones = (
        Milestone.objects.filter(aim=aim, guide__in=PocketGuide.objects.visible_to(user))
        .select_related("guide__academic_year", "guide__plan")
        .order_by("-guide__academic_year__start_year")
    )
    siblings = list(plan.aims.all())
    index = next(i for i, a in enumerate(siblings) if a.pk == aim.pk)
    return {
        "aim": aim,
        "strategies": strategy_tree(aim),
        "milestones": list(milestones),
        "focus_columns": list(plan.focus_columns.all()),
        "previous_aim": siblings[index - 1] if index > 0 else None,
        "next_aim": siblings[index + 1] if index + 1 < len(siblings) else None,
    }


def _guides_of_year(user, plan: StrategicPlan, year_slug: str):
    try:
        start_year = int(year_slug.split("-")[0])
    except ValueError:
        raise Http404("No such year") from None
    return PocketGuide.objects.visible_to(user).filter(plan=plan, academic_year__start_year=start_year)


def _found(guide: PocketGuide | None, year_slug: str) -> PocketGuide:
    if guide is None or guide.academic_year.slug != year_slug:
        raise Http404("No pocket guide for that year")
    return guide


def pocket_guide_heading(user, plan: StrategicPlan, year_slug: str) -> PocketGuide:
    """The guide for the page's title and crumbs, kept per content version and audience; 404 as
    pocket_guide_for."""
    guide = page_cache.kept(
        f"guide:{plan.pk}:{year_slug}:{page_cache.audience(user)}:{plan.content_key}",
        lambda: _guides_of_year(user, plan, year_slug).select_related("academic_year").first(),
    )
    return _found(guide, year_slug)


def pocket_guide_for(user, plan: StrategicPlan, year_slug: str) -> PocketGuide:
    guide = (
        _guides_of_year(user, plan, year_slug)
        .select_related("academic_year", "plan")
        .prefetch_related(
            Prefetch(
                "groups__milestones",
                queryset=Milestone.objects.select_related("aim__plan").prefetch_related(
                    "aim__focus_columns", "focus_columns"
                ),
            ),
            Prefetch(
                "column_headlines", queryset=ColumnHeadline.objects.select_related("column").prefetch_related("bullets")
            ),
            "updates",
        )
        .first()
    )
    return _found(guide, year_slug)


def pocket_guide_page(user, plan: StrategicPlan, year_slug: str) -> dict:
    """The guide and how its grid is laid out: the Milestones column only when some row has a
    milestone sentence (older guides have a label and a phrase only), a key for column codes."""
    guide = pocket_guide_for(user, plan, year_slug)
    focus_columns = list(plan.focus_columns.all())
    # Headline blocks hang on a focus column (above the grid) or on a group (in its band).
    blocks = list(guide.column_headlines.all())
    guide.column_blocks = [block for block in blocks if block.group_id is None]
    for group in guide.groups.all():
        group.blocks = [block for block in blocks if block.group_id == group.pk]
    show_milestones = any(row.milestone or row.elaboration for g in guide.groups.all() for row in g.milestones.all())
    return {
        "guide": guide,
        "focus_columns": focus_columns,
        "explained_columns": [c for c in focus_columns if c.name and c.name != c.code],
        "show_milestones": show_milestones,
        "columns": 1 + len(focus_columns) + show_milestones,
    }
