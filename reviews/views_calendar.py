"""PLACEHOLDER: being written this session; replaced before the issue is closed."""

from django.http import Http404


def calendar(request, **kwargs):
    raise Http404("not yet")


def feed_reset(request, **kwargs):
    raise Http404("not yet")


def feed(request, **kwargs):
    raise Http404("not yet")
