"""Export: the canonical file for a plan (keys in the documented order, empty fields left out,
long text as block scalars), so import -> export -> import -> export is byte-identical."""

from __future__ import annotations

from typing import Any

import yaml
from django.db import models

from plans import models as m

from .schema import FORMAT, PLAN_FIELDS, PLAN_PARTS, REGISTRIES, VERSION, F, Node, node_key_order


def _export_value(f: F, obj: models.Model) -> Any:
    value = getattr(obj, f.model_attr)
    if f.kind == "ref":
        return getattr(value, REGISTRIES[f.target].model_attr) if value is not None else None
    if f.kind == "reflist":
        return [getattr(o, REGISTRIES[f.target].model_attr) for o in value.order_by("order", "pk")]
    if f.kind == "year":
        return value.start_year
    if f.kind == "date":
        return value.isoformat()
    if isinstance(value, str):
        return str(value)  # a choice's enum member as plain text
    return value


def _export_item(fields: list[F], obj: models.Model, keys: list[str]) -> dict:
    out: dict[str, Any] = {}
    values = {f.key: _export_value(f, obj) for f in fields}
    for key in keys:
        if key in values and values[key] not in (None, "", []):
            out[key] = values[key]
    return out


def _export_node(node: Node, rows) -> list[dict]:
    result = []
    keys = node_key_order(node)
    if node.scalar:
        return [obj.text for obj in rows]
    for obj in rows:
        item = _export_item(node.fields, obj, keys)
        for child in node.children:
            manager = getattr(obj, child.model._meta.get_field(child.owner).remote_field.related_name)
            child_rows = manager.filter(parent=None) if child.recursive else manager.all()
            exported = _export_node(child, child_rows)
            if exported:
                item[child.key] = exported
        if node.recursive:
            exported = _export_node(node, obj.children.all())
            if exported:
                item["children"] = exported
        result.append({k: item[k] for k in keys if k in item})
    return result


def export_plan_data(plan: m.StrategicPlan) -> dict:
    plan_out = _export_item(PLAN_FIELDS, plan, [f.key for f in PLAN_FIELDS])
    for node in PLAN_PARTS:
        manager = getattr(plan, node.model._meta.get_field("plan").remote_field.related_name)
        exported = _export_node(node, manager.all())
        if exported:
            plan_out[node.key] = exported
    return {
        "format": FORMAT,
        "version": VERSION,
        "trust": {"name": plan.trust.name, "slug": plan.trust.slug},
        "plan": plan_out,
    }


class _Dumper(yaml.SafeDumper):
    pass


def _represent_str(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def export_plan_text(plan: m.StrategicPlan) -> str:
    return yaml.dump(export_plan_data(plan), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
