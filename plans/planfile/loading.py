"""Reading a plan file's YAML safely: a file that is too big, too deep, too many things, or that
uses anchors and aliases, is refused before it can cost much time or memory.

A plan file never needs anchors (`&name`) or aliases (`*name`): they are what a "billion laughs"
file uses to make a few hundred bytes expand into gigabytes. The limits are far above any real
plan (the 2022-27 plan is 59 KB, about 1,400 YAML nodes, nested 8 deep) and are in
docs/plan-format.md."""

from __future__ import annotations

from typing import Any

import yaml

from .schema import PlanFileError, quote, shorten

MAX_BYTES = 2 * 1024 * 1024  # the file, as UTF-8
MAX_NODES = 50_000  # every value, list and mapping in the file
MAX_DEPTH = 50  # lists and mappings inside one another
MAX_INT = 10**15  # no number in a plan is near this; bigger ones are refused
MAX_ERRORS = 20  # problems listed one by one; the rest are counted


def capped(errors: list[str]) -> list[str]:
    """At most MAX_ERRORS messages, each at most MAX_MESSAGE characters, then how many more."""
    shown = [shorten(e) for e in errors[:MAX_ERRORS]]
    if len(errors) > MAX_ERRORS:
        shown.append(f"... and {len(errors) - MAX_ERRORS} more problems")
    return shown


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


class _PlanLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing anchors and aliases and counting depth and nodes as it
    composes, so a hostile file stops at the first node past a limit."""

    def __init__(self, stream) -> None:
        super().__init__(stream)
        self.depth = 0
        self.nodes = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            raise PlanFileError(
                [
                    f"line {line}: the file uses an alias (*{shorten(event.anchor, 40)}); a plan file may not use "
                    "anchors or aliases: write each value out in full"
                ]
            )
        if getattr(event, "anchor", None) is not None:
            raise PlanFileError(
                [
                    f"line {line}: the file uses an anchor (&{shorten(event.anchor, 40)}); a plan file may not use "
                    "anchors or aliases: write each value out in full"
                ]
            )
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise PlanFileError(
                [f"line {line}: the file has more than {MAX_NODES:,} values, lists and mappings; a plan has far fewer"]
            )
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise PlanFileError(
                [f"line {line}: lists and mappings are nested more than {MAX_DEPTH} deep; a plan needs far fewer"]
            )
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _value(constructor):
    """A scalar constructor that refuses what Python cannot hold (a date like 2024-02-30, an
    integer of thousands of digits) with the line, instead of a ValueError."""

    def construct(loader: _PlanLoader, node):
        line = node.start_mark.line + 1
        try:
            value = constructor(loader, node)
        except (ValueError, OverflowError) as exc:
            raise PlanFileError([f"line {line}: {quote(node.value)} cannot be read ({shorten(str(exc), 80)})"]) from exc
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT:
            raise PlanFileError([f"line {line}: the number {quote(node.value)} is too big"])
        return value

    return construct


for _tag, _constructor in (
    ("tag:yaml.org,2002:int", yaml.SafeLoader.construct_yaml_int),
    ("tag:yaml.org,2002:float", yaml.SafeLoader.construct_yaml_float),
    ("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_timestamp),
):
    _PlanLoader.add_constructor(_tag, _value(_constructor))


def check_size(size: int) -> None:
    if size > MAX_BYTES:
        raise PlanFileError([f"the file is {_mib(size)}; a plan file may be at most {_mib(MAX_BYTES)}"])


def load(text: str) -> Any:
    """Parse a plan file's text, or raise PlanFileError with one short message."""
    check_size(len(text) if len(text) > MAX_BYTES else len(text.encode("utf-8", errors="replace")))
    loader = None
    try:
        loader = _PlanLoader(text)  # reads the text at once: a control character is refused here
        return loader.get_single_data()
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
        raise PlanFileError(
            [f"line {line}: the file holds a control character (U+{code:04X}) that YAML does not allow"]
        ) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PlanFileError([shorten(f"{where}the file is not valid YAML ({problem})")]) from exc
    except (ValueError, OverflowError) as exc:  # a last guard: the constructors above catch these
        raise PlanFileError([shorten(f"the file cannot be read ({exc})")]) from exc
    except RecursionError as exc:  # a last guard: MAX_DEPTH stops nesting long before this
        raise PlanFileError(["the file is nested too deeply to read"]) from exc
    finally:
        if loader is not None:
            loader.dispose()
