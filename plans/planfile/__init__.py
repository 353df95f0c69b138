"""Plan files: validate, import (update in place) and export. The format is docs/plan-format.md.

One declarative description of the format (`PLAN_FIELDS`, `PLAN_PARTS`) drives all three, so
what is validated, what is written and what is exported cannot drift apart.

Import is all-or-nothing: the whole file is validated first and every problem is reported with its
place (`aims[3].strategies[2].number: ...`); only a valid file is written, inside one transaction.
Rows are matched to what is already in the database by their natural key (aim code, strand slug,
strategy number ...) or, for plain lists, by position, and saved only when something changed, so
importing the same file twice writes nothing and history keeps only real changes. Rows the file no
longer has are removed last, and only when removals are allowed; what a school plan is built on is
never removed. Every import returns an `ImportSummary` of what it adds, changes and removes.

Reading is guarded (`loading`): files over MAX_BYTES, nested over MAX_DEPTH, with over MAX_NODES
values, or using YAML anchors and aliases are refused before they cost time or memory, and every
message quotes values cut short, at most MAX_ERRORS of them.

Modules: `schema` (the declaration), `loading`, `validation`, `importing`, `exporting`.
"""

from .exporting import export_plan_data, export_plan_text
from .importing import ImportRefused, ImportResult, ImportSummary, import_plan_data, import_plan_text, load
from .loading import MAX_BYTES, MAX_DEPTH, MAX_NODES, check_size
from .schema import FORMAT, PLAN_FIELDS, PLAN_PARTS, VERSION, PlanFileError
from .validation import validate

__all__ = [
    "FORMAT",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_NODES",
    "PLAN_FIELDS",
    "PLAN_PARTS",
    "VERSION",
    "ImportRefused",
    "ImportResult",
    "ImportSummary",
    "PlanFileError",
    "export_plan_data",
    "export_plan_text",
    "import_plan_data",
    "check_size",
    "import_plan_text",
    "load",
    "validate",
]
