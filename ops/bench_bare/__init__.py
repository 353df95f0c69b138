"""A bare Django project for `make bench` (ops/bench.py): the floor each page is compared with.

No database, no middleware, no apps: /hello answers two bytes and /table?bytes=N renders, with
Django's template engine, a table of in-memory rows about N bytes long.
"""
