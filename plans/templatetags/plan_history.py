"""The history page's two lists of versions: hundreds of options each, written in Python (the same
text the template loop wrote, see tests/test_history_options.py) because the template engine spent
most of the page's time on them."""

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from schools.formats import moment, moment_iso

register = template.Library()


@register.simple_tag
def version_options(versions, selected_key) -> SafeString:
    """One <option> per version, newest first: its moment, who made it and what it was; the one
    whose key is `selected_key` selected."""
    options = []
    for v in versions:
        who = getattr(v.by, "full_name", "") or "system"
        what = v.label if v.kind == "plan" else f"{v.what} {v.noun}"
        selected = " selected" if v.key == selected_key else ""
        options.append(
            f'<option value="{escape(moment_iso(v.at))}"{selected}>'
            f"{escape(moment(v.at, True))} – {escape(who)}: {escape(what)}</option>"
        )
    return mark_safe("".join(options))  # noqa: S308 - every value above is escaped
