from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    """The product name for the layout; the trust comes from the data, not from settings."""
    return {"product_name": "SMART Trust Planning"}
