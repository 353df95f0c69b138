"""The history page writes its lists of versions with a Python tag (plans/templatetags/
plan_history.py): the same text, option for option, as the template loop it replaced."""

import pytest
from django.template import Context, Template

from plans import plan_history, services
from plans.models import Action
from tests.school_plan_builders import person, sdp

pytestmark = pytest.mark.django_db

TEMPLATE_LOOP = (
    '{% load formats %}{% for v in versions %}<option value="{{ v.at|moment_iso }}"'
    "{% if v.key == selected %} selected{% endif %}>{{ v.at|moment:True }} – "
    '{{ v.by.full_name|default:"system" }}: {% if v.kind == "plan" %}{{ v.label }}{% else %}'
    "{{ v.what }} {{ v.noun }}{% endif %}</option>{% endfor %}"
)


def test_the_tag_writes_what_the_template_loop_wrote(demo):
    plan = sdp(state="agreed")
    head = person("head")
    head.full_name = "Hannah <Eddy> & Co"  # escaped the same way
    head.save()
    action = Action.objects.get(plan=plan)
    services.item_save(item=action, values={"what": "Reading & <writing>"}, expected_version=action.version, by=head)
    versions = plan_history.changes(plan, limit=None)
    versions.append(plan_history.Change(versions[-1].at, None, "plan", plan.pk, "added", "Started", "", [], 0))
    assert len(versions) > 5
    for selected in (versions[0].key, versions[-2].key, "none"):
        context = Context({"versions": versions, "selected": selected})
        ours = Template("{% load plan_history %}{% version_options versions selected %}").render(context)
        assert ours == Template(TEMPLATE_LOOP).render(context)
        assert ours.count(" selected>") == (selected != "none")
    assert "Hannah &lt;Eddy&gt; &amp; Co" in ours and "– system: Started" in ours
