"""Signed-in sessions end after an idle hour (SESSION_COOKIE_AGE); using the product keeps them
alive. Writing the session on every request to move its expiry on cost three queries a page
(begin, update, commit); renewing it at most once a minute keeps the idle limit to within a minute
and costs nothing on most requests."""

from __future__ import annotations

import time

# Seconds between two renewals of a session that is in use.
RENEW_EVERY = 60
KEY = "_renewed_at"


class RenewSessionMiddleware:
    """After SessionMiddleware: marks an existing session as changed when it was last written over
    a minute ago, so SessionMiddleware saves it with a new expiry. A visitor without a session gets
    none (no row is made for people who are not signed in)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and session.session_key and not session.is_empty():
            now = int(time.time())
            if now - session.get(KEY, 0) >= RENEW_EVERY:
                session[KEY] = now
        return response
