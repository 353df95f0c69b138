"""PLACEHOLDER: being written this session; replaced before the issue is closed."""

from django.http import Http404


def stages(request, **kwargs):
    raise Http404("not yet")


def stage(request, **kwargs):
    raise Http404("not yet")


def stage_edit(request, **kwargs):
    raise Http404("not yet")


def stage_done(request, **kwargs):
    raise Http404("not yet")


def log(request, **kwargs):
    raise Http404("not yet")


def message_retry(request, **kwargs):
    raise Http404("not yet")
