"""The permission matrix's rows for the review cycle's cycle pages (tests/test_permissions.py
reads ROWS: URL name -> (method, kwargs, data, {persona: status}))."""

ROWS: dict = {}
