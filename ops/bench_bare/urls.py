"""/hello and /table?bytes=N (rows sized so the page is about N bytes)."""

from functools import cache

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path

MAX_BYTES = 20_000_000


def _rows(count: int) -> list[dict]:
    return [
        {"number": n, "title": f"Row {n} of the table", "owner": "A member of staff", "state": "In progress"}
        for n in range(count)
    ]


@cache
def _row_count(size: int) -> int:
    """How many rows make a page of about `size` bytes: measured once per size in each worker."""
    empty = len(render_to_string("table.html", {"rows": []}).encode())
    per_row = (len(render_to_string("table.html", {"rows": _rows(100)}).encode()) - empty) / 100
    return max(0, round((size - empty) / per_row))


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


def table(request: HttpRequest) -> HttpResponse:
    try:
        size = min(int(request.GET.get("bytes", "10000")), MAX_BYTES)
    except ValueError:
        size = 10_000
    return render(request, "table.html", {"rows": _rows(_row_count(size))})


urlpatterns = [path("hello", hello), path("table", table)]
