"""The restore drill: a database with the demo and a school plan with items and history is backed up
with ops/backup.sh (pg_dump), dropped, restored with ops/restore.sh (pg_restore) into a fresh one,
and every plan, item and history row is found again. Runs in the normal suite (about a minute,
most of it `migrate`)."""

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import psycopg2
import pytest
from django.db import connection

from tests.conftest import require

ROOT = Path(__file__).resolve().parent.parent

# In a scratch database: the demo trust and its 2022-27 plan, and an SDP whose items were added,
# edited, moved and one removed, so that every kind of history row is there.
FILL = textwrap.dedent(
    """
    import django
    django.setup()
    from plans import services
    from smart_trust.demo import load_demo
    from tests.school_plan_builders import person, sdp
    load_demo(password="drill")
    plan = sdp("saltash", "draft")
    head = person("head")
    priority = plan.priorities.first()
    second = services.item_save(item=services.Priority(plan=plan), values={"title": "Attendance",
        "description": "Every pupil in school."}, expected_version=None, by=head)
    services.item_save(item=second, values={"title": "Attendance above 96%", "description": "Every day."},
        expected_version=second.version, by=head)
    services.item_move(item=second, by=head, up=True)
    third = services.item_save(item=services.Priority(plan=plan), values={"title": "Removed",
        "description": "Gone."}, expected_version=None, by=head)
    services.item_delete(item=third, by=head)
    (django.conf.settings.MEDIA_ROOT / "evidence").mkdir(parents=True, exist_ok=True)
    (django.conf.settings.MEDIA_ROOT / "evidence" / "minutes.txt").write_text("Governors' minutes")
    """
)


def counts(url: str) -> dict[str, int]:
    """Rows in every table of the plans, schools and governance apps, their history included."""
    with psycopg2.connect(url) as db, db.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND "
            "(tablename LIKE 'plans\\_%' OR tablename LIKE 'schools\\_%' OR tablename LIKE 'governance\\_%')"
        )
        tables = sorted(row[0] for row in cursor.fetchall())
        found = {}
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - names from the catalogue
            found[table] = cursor.fetchone()[0]
    db.close()
    return found


def drop(admin_url: str, name: str) -> None:
    db = psycopg2.connect(admin_url)
    db.autocommit = True
    with db.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    db.close()


@pytest.mark.drill
def test_backup_drop_restore_finds_every_plan_item_and_history_row(tmp_path):
    if connection.vendor != "postgresql":
        require(False, "PostgreSQL (DATABASE_URL)")
    require(bool(shutil.which("psql") and shutil.which("pg_dump")), "the PostgreSQL client (psql, pg_dump)")
    s = connection.settings_dict
    server = f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
    name = f"{s['NAME']}_drill"
    url = f"{server}/{name}"
    drop(f"{server}/postgres", name)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "smart_trust.settings", "DEBUG": "true", "DATABASE_URL": url,
           "PYTHONPATH": str(ROOT), "MEDIA_ROOT": str(tmp_path / "media"),
           "BACKUP_DIR": str(tmp_path / "backups")}  # fmt: skip
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)

    def sh(*args):
        done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    try:
        sh("psql", f"{server}/postgres", "-qXc", f'CREATE DATABASE "{name}"')
        sh(sys.executable, "manage.py", "migrate", "--noinput", "-v", "0")
        sh(sys.executable, "-c", FILL)
        before = counts(url)
        assert before["plans_schoolplan"] >= 1 and before["plans_priority"] >= 2
        assert before["plans_historicalpriority"] >= 6 and before["plans_strategicplan"] == 1
        assert before["plans_historicalaction"] >= 1 and before["plans_historicalsuccesscriterion"] >= 1

        dump, media_tar = sh("ops/backup.sh").split()
        assert not list((tmp_path / "backups").glob("*.partial"))  # renamed once complete
        drop(f"{server}/postgres", name)  # the disaster
        shutil.rmtree(tmp_path / "media")
        sh("ops/restore.sh", dump, media_tar)

        after = counts(url)
        assert after == before  # every table, every row: 0 lost
        assert (tmp_path / "media" / "evidence" / "minutes.txt").read_text() == "Governors' minutes"
    finally:
        drop(f"{server}/postgres", name)


def test_restore_refuses_to_unpack_stored_files_into_a_folder_that_is_not_empty(tmp_path):
    media = tmp_path / "media"
    (media / "evidence").mkdir(parents=True)
    (media / "evidence" / "minutes.txt").write_text("Live minutes")
    archive = tmp_path / "media.tar.gz"
    subprocess.run(["tar", "-czf", str(archive), "-C", str(media), "."], check=True)  # noqa: S607
    env = {**os.environ, "MEDIA_ROOT": str(media), "DATABASE_URL": "postgres://postgres@127.0.0.1:1/never_touched"}
    done = subprocess.run(["ops/restore.sh", str(tmp_path / "db.dump"), str(archive)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.startswith(f"{media} is not empty: restore the stored files into a new or empty folder")
    assert (media / "evidence" / "minutes.txt").read_text() == "Live minutes"  # refused before the database too
