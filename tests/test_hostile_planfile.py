"""Random and hostile plan files (issue 16 item 11): whatever the text, the importer either imports
it or refuses it with a PlanFileError of a few short lines, and a refused file changes nothing."""

from __future__ import annotations

import functools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plans.models import StrategicPlan
from plans.planfile import ImportRefused, PlanFileError, export_plan_text, import_plan_text
from plans.planfile.loading import MAX_ERRORS
from plans.planfile.schema import MAX_MESSAGE
from tests.hostile import HOSTILE, NASTY, hostile_text, rolled_back, snapshot

pytestmark = pytest.mark.django_db

# Characters that mean something in YAML, so random text often gets past the first line.
YAML_BITS = list("-:[]{}&*!|>'\"#%@`,? \n\n  \t") + [
    "- ",
    ": ",
    "\n  ",
    "\n- ",
    "format: smart-trust-plan\n",
    "version: 1\n",
    "plan:\n",
    "aims:\n",
    "  - code: ",
    "!!binary ",
    "!!python/object:os.system ",
    "&a ",
    "*a ",
    "<<: ",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "? ",
    "2024-02-30",
    "0x" + "f" * 50,
    "1" * 5000,
    ".inf",
    "~",
]
yamlish = st.lists(st.one_of(st.sampled_from(YAML_BITS), st.text(max_size=8)), max_size=80).map("".join)


def import_or_refuse(text: str) -> None:
    """Import `text` in a rolled-back savepoint: it either imports, or is refused with short
    messages and the database as it was."""
    with rolled_back():
        before = snapshot()
        try:
            import_plan_text(text, allow_removals=True)
        except PlanFileError as exc:
            if not isinstance(exc, ImportRefused):  # a refusal lists what the import would remove
                assert 1 <= len(exc.errors) <= MAX_ERRORS + 1
                assert all(len(line) <= MAX_MESSAGE for line in exc.errors)
            assert snapshot() == before


@functools.cache
def demo_export() -> str:
    return export_plan_text(StrategicPlan.objects.get(slug="tsp-2022-27"))


@settings(HOSTILE, max_examples=60)
@given(text=st.one_of(yamlish, hostile_text))
def test_random_text_is_imported_or_refused_cleanly(demo, text):
    import_or_refuse(text)


# One change to one line of the real plan's export: most of the file stays valid, so the change
# reaches validation and the writer rather than stopping at the YAML parser.
mutation = st.tuples(
    st.sampled_from(["replace_value", "replace_line", "delete_lines", "duplicate_line", "indent", "insert"]),
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=1, max_value=40),
    st.one_of(st.sampled_from(NASTY + YAML_BITS), hostile_text),
)


def mutate(text: str, changes: list[tuple[str, int, int, str]]) -> str:
    lines = text.split("\n")
    for op, where, span, payload in changes:
        i = where % len(lines)
        line = lines[i]
        if op == "replace_value" and ":" in line:
            lines[i] = line.split(":", 1)[0] + ": " + payload.replace("\n", " ")
        elif op == "replace_line":
            lines[i] = payload
        elif op == "delete_lines":
            del lines[i : i + span]
        elif op == "duplicate_line":
            lines[i:i] = [line] * span
        elif op == "indent":
            lines[i] = " " * span + line
        else:
            lines.insert(i, payload)
        lines = lines or [""]
    return "\n".join(lines)


@settings(HOSTILE, max_examples=30)
@given(changes=st.lists(mutation, min_size=1, max_size=3))
def test_mutations_of_the_demo_export_are_imported_or_refused_cleanly(demo, changes):
    import_or_refuse(mutate(demo_export(), changes))
