"""{% load formats %}: {{ action.cost|money }}, {{ criterion.target|measure:criterion.unit }}, {{ n|number }}."""

from django import template

from schools import formats

register = template.Library()
register.filter("number", formats.number)
register.filter("money", formats.money)
register.filter("measure", formats.measure)
register.filter("moment", formats.moment)
register.filter("moment_iso", formats.moment_iso)
register.filter("day", formats.day)
