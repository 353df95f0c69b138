"""Ratings as the trust-wide pages show them: always in words, with colour repeating the words
({% rag value %} is in reviews.templatetags.ratings).

{% spread s %}: a spread in words with a small stacked bar beside it (an SVG drawn from
attributes, as the strict CSP allows no style attribute). {{ points|movement }}: an arrow and
"up 12 points". Written in Python, not as included templates: the heatmap draws one spread per
school and aim, hundreds on a large trust.
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from reviews import rules
from reviews.selectors_trust import bar, movement_words

register = template.Library()


@register.simple_tag
def spread(figures: rules.Spread, words: bool = True) -> SafeString:
    """The spread's words ("2 green, 1 amber, 1 not rated") and its bar, which only repeats them."""
    rects = format_html_join(
        "",
        '<rect class="bar-{}" x="{}" y="0" width="{}" height="10"></rect>',
        ((p["value"], p["x"], p["share"]) for p in bar(figures)),
    )
    drawing = (
        format_html(
            '<svg class="spread-bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" '
            'focusable="false">{}</svg>',
            rects,
        )
        if figures.total
        else ""
    )
    text = format_html('<span class="spread-text">{}</span>', figures.text) if words else ""
    return format_html('<span class="spread">{}{}</span>', text, drawing)


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
