"""`placements backup`: a consistent copy of a SQLite database; PostgreSQL is pointed at pg_dump."""

from __future__ import annotations

import sqlite3

from click.testing import CliRunner

from placements.accounts.models import Role
from placements.cli import main
from placements.settings import get_settings
from tests.support import make_pupil, make_user


async def test_backup_copies_the_database_or_points_at_pg_dump(db, tmp_path):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    await make_pupil(db, staff.school_id, first_name="Backed", last_name="Up")
    copy = tmp_path / "copy.sqlite3"
    result = CliRunner().invoke(main, ["backup", str(copy)])
    if not get_settings().database_url.startswith("sqlite"):
        assert result.exit_code != 0 and "pg_dump" in result.output
        return
    assert result.exit_code == 0, result.output
    with sqlite3.connect(copy) as backup:
        assert backup.execute("SELECT first_name, last_name FROM pupil").fetchall() == [("Backed", "Up")]
        assert backup.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    again = CliRunner().invoke(main, ["backup", str(copy)])
    assert again.exit_code != 0 and "already exists" in again.output
