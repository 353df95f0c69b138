"""Response headers that keep signed-in pages private."""

from django.utils.cache import patch_cache_control


class PrivatePagesMiddleware:
    """A page shown to a signed-in person may hold what only they may see: no browser back-button
    cache, no shared proxy may keep it (`Cache-Control: private, no-store`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response
