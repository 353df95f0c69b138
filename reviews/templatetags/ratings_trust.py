"""Ratings as the trust-wide pages show them: always in words, with colour repeating the words
({% rag value %} is in reviews.templatetags.ratings).

{% spread s %}: a spread in words with a small stacked bar beside it (an SVG drawn from
attributes, as the strict CSP allows no style attribute). {{ points|movement }}: an arrow and
"up 12 points". Written in Python, not as included templates: the heatmap draws one spread per
school and aim, hundreds on a large trust.
"""

from __future__ import annotations

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from reviews import rules
from reviews.selectors_trust import bar, movement_words

register = template.Library()


def _x(x: float) -> str:
    return f' x="{x:g}%"' if x else ""


@register.simple_tag
def spread(figures: rules.Spread, words: bool = True) -> SafeString:
    """The spread's words ("2 green, 1 amber, 1 not rated") and its bar, which only repeats them.
    The bar is written lean, in per cent of the box the stylesheet gives it (no viewBox, no
    attribute at its default, no ".0"): a large trust's heatmap draws a thousand of them."""
    drawing = ""
    if figures.total:
        rects = "".join(
            f'<rect class="bar-{escape(p["value"])}"{_x(p["x"])} width="{p["share"]:g}%" height="100%"/>'
            for p in bar(figures)
        )
        drawing = f'<svg class="spread-bar" aria-hidden="true">{rects}</svg>'
    text = format_html('<span class="spread-text">{}</span>', figures.text) if words else ""
    return format_html('<span class="spread">{}{}</span>', text, mark_safe(drawing))  # noqa: S308 - numbers and escaped values


@register.simple_tag
def heat_cells(row, number: int) -> SafeString:
    """A school's cells of the heatmap, the `number`th row: each names its link by the school's row
    header (id hs<number>), the aim's code in its column header (ha<column>) and its own words,
    never by the school's name again in every cell. Written in Python: a large trust has a
    thousand cells."""
    cells = []
    for column, cell in enumerate(row.cells, start=1):
        if cell.spread.total:
            own = f"hc{number}-{column}"
            cells.append(
                f'<td class="heat-cell"><a href="{escape(cell.url)}" id="{own}" '
                f'aria-labelledby="hs{number} ha{column} {own}">{spread(cell.spread)}</a></td>'
            )
        else:
            cells.append('<td class="heat-cell"><span class="text-body-secondary small">No linked priority</span></td>')
    return mark_safe("".join(cells))  # noqa: S308 - escaped addresses, numbers and spread()'s safe HTML


@register.filter
def movement(points: float | None) -> SafeString:
    """An arrow (hidden from screen readers) and the words: "↑ up 12 points"."""
    words = movement_words(points)
    if not words:
        return format_html('<span class="movement movement-none">{}</span>', "no figure to compare")
    arrow, kind = ("↑", "up") if points > 0 else ("↓", "down") if points < 0 else ("→", "same")
    return format_html(
        '<span class="movement movement-{}"><span aria-hidden="true">{} </span>{}</span>', kind, arrow, words
    )
