"""The permission matrix's rows for the review cycle's calendar pages (tests/test_permissions.py
reads ROWS: URL name -> (method, kwargs, data, {persona: status}))."""

ROWS: dict = {}
