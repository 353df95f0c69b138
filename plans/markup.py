"""The small markup plan texts may carry: emphasis (*italic*, **bold**) and links
([text](https://...), <https://...>), nothing else. docs/plan-format.md describes it.

markdown-it-py parses it with every other rule switched off (no raw HTML, headings, lists, code or
images), and nh3 then sanitises the result to the same few tags, so a file can never put script,
event handlers or a javascript: link on a page. Text is stored as written, so the markup survives
import and export unchanged.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

LINK_SCHEMES = {"http", "https", "mailto"}
INLINE_TAGS = {"em", "strong", "a", "br"}
LINK_REL = "noopener noreferrer"


def _safe_link(url: str) -> bool:
    try:
        return urlsplit(url.strip()).scheme.lower() in LINK_SCHEMES
    except ValueError:
        return False


def _parser() -> MarkdownIt:
    # "zero" has only paragraphs and text; turn on exactly the subset. `breaks`: a single line
    # break stays a line break, as plan texts were always shown.
    md = MarkdownIt("zero", {"breaks": True, "html": False})
    md.enable(["emphasis", "link", "autolink", "escape", "newline"])
    md.validateLink = _safe_link
    return md


_md = _parser()


def _clean(html: str, tags: set[str]) -> str:
    return nh3.clean(
        html,
        tags=tags,
        attributes={"a": {"href", "title"}},
        url_schemes=LINK_SCHEMES,
        link_rel=LINK_REL,
    )


def render(text: str) -> SafeString:
    """Paragraphs (a blank line between them) with the inline markup."""
    if not text:
        return mark_safe("")  # noqa: S308 - empty
    return mark_safe(_clean(_md.render(str(text)), INLINE_TAGS | {"p"}).strip())  # noqa: S308 - sanitised by nh3


def render_inline(text: str) -> SafeString:
    """One piece of text (a bullet, a table cell) with the inline markup and line breaks."""
    if not text:
        return mark_safe("")  # noqa: S308 - empty
    return mark_safe(_clean(_md.renderInline(str(text)).strip(), INLINE_TAGS))  # noqa: S308 - sanitised by nh3
