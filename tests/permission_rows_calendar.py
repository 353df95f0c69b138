"""The permission matrix's rows for the review cycle's calendar pages (tests/test_permissions.py
reads ROWS: URL name -> (method, kwargs, data, {persona: status})).

Every signed-in person has a calendar and a feed of their own; the feed itself is read without
signing in (calendar apps cannot), its secret address being the key. Each row gives every persona
the same answer but anonymous, hence the defaultdicts (a persona added to the matrix is covered).
"""

from collections import defaultdict


def head_feed() -> dict:
    from reviews.models_cycle import CalendarFeed
    from tests.school_plan_builders import person

    return {"token": CalendarFeed.objects.get_or_create(user=person("head"))[0].token}


ROWS: dict = {
    "cycle:calendar": ("get", {}, None, defaultdict(lambda: 200, anonymous=302)),
    # The head's feed, read by anyone who has its address (signed in as someone else or not).
    "cycle:feed": ("get", head_feed, None, defaultdict(lambda: 200)),
    # Signed in: a new address and back to the calendar; anonymous: to sign in.
    "cycle:feed_reset": ("post", {}, {}, defaultdict(lambda: 302)),
}
