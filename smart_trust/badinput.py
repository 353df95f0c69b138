"""Refuse addresses no page could use, before any view or query sees them."""

from urllib.parse import unquote_to_bytes

from django.http import HttpResponseBadRequest

NUL_MESSAGE = (
    "Bad request: the address contains a NUL character (%00), which no page of this site uses. "
    "Check the link or the address you typed."
)


class RefuseNulBytesMiddleware:
    """A NUL byte anywhere in the path or the query string gets a 400 with a plain reason.

    PostgreSQL cannot store or compare text holding NUL, so a NUL that reached a lookup raised
    ValueError (a 500) on any page that filters by something in its address. No URL, slug or
    search needs one, so one check here covers every page, present and future."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path_info or "\x00" in request.path or b"\x00" in unquote_to_bytes(query):
            return HttpResponseBadRequest(NUL_MESSAGE, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
