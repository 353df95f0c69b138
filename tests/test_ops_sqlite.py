"""The quick start's SQLite under two web workers: concurrent saves wait for the lock, none fails."""

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# What a save does inside a request: read, then write, in one transaction; in its own process, with
# the project's real settings pointed at the shared file.
WRITER = textwrap.dedent(
    """
    import sys, time
    import django
    django.setup()
    from django.db import connection, transaction
    name = sys.argv[1]
    for n in range(40):
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT COUNT(*) FROM saves")
                cursor.fetchone()
                time.sleep(0.005)
                cursor.execute("INSERT INTO saves (writer, n) VALUES (%s, %s)", [name, n])
    print("done", name)
    """
)


def test_two_processes_saving_at_once_both_succeed(tmp_path):
    path = tmp_path / "db.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE saves (id INTEGER PRIMARY KEY, writer TEXT, n INTEGER)")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "smart_trust.settings",
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{path}",
        "PYTHONPATH": str(ROOT),
    }
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, name],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        for name in ("a", "b")
    ]
    outputs = [w.communicate(timeout=120)[0] for w in writers]
    for writer, output in zip(writers, outputs, strict=True):
        assert "database is locked" not in output
        assert writer.returncode == 0, output
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(*) FROM saves").fetchone()[0] == 80
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
