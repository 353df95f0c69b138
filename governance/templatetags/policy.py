"""Templates ask the permission policy, never roles: {% may "manage_people" as can_manage %}."""

from django import template

from governance import policy

register = template.Library()


@register.simple_tag(takes_context=True)
def may(context, action: str, obj=None) -> bool:
    return policy.allowed(context["request"].user, action, obj)
