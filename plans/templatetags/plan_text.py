"""`{{ text|plan_text }}` for paragraphs, `{{ text|plan_inline }}` for a bullet or a cell: the
plan's small markup (plans/markup.py), sanitised."""

from django import template

from plans import markup

register = template.Library()

register.filter("plan_text", markup.render, is_safe=True)
register.filter("plan_inline", markup.render_inline, is_safe=True)
