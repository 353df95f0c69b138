from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    """The product name for the layout; the trust comes from the data, not from settings."""
    return {"product_name": "SMART Trust Planning"}


def draft_saved(request: HttpRequest) -> dict:
    """The form whose typing the server has just saved, once, so static/js/drafts.js can forget it."""
    session = getattr(request, "session", None)
    if session is None or "draft_saved" not in session:
        return {}
    return {"draft_saved": session.pop("draft_saved")}
