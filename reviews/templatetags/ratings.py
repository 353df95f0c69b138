"""{% rag value %}: a rating shown in words and colour, never colour alone."""

from django import template
from django.utils.html import format_html

from reviews.rules import LABELS, NOT_RATED

register = template.Library()


@register.simple_tag
def rag(value, prefix: str = "") -> str:
    """`value`: a rating's value, a Rating, or None (not rated)."""
    value = getattr(value, "value", value) or NOT_RATED
    label = LABELS.get(value, value)
    return format_html('<span class="rag rag-{}">{}{}</span>', value, prefix, label)
