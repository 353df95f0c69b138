"""PLACEHOLDER: being written this session; replaced before the issue is closed."""

from django.http import Http404


def overview(request, **kwargs):
    raise Http404("not yet")


def areas(request, **kwargs):
    raise Http404("not yet")


def school_month(request, **kwargs):
    raise Http404("not yet")
