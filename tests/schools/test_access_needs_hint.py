"""The pupil form says truthfully who sees a pupil's access needs, and when.

What it promises is checked where it happens: tests/matching/test_offer_pages.py (the employer
sees them once the school has accepted) and tests/schools/test_pupils.py (coordinators never do)."""

from __future__ import annotations

import re

from placements.accounts.models import Role
from tests.support import make_pupil, make_user

HINT = (
    "What a host needs to know to welcome the pupil. Your school's staff can see this. "
    "The employer sees it only once your school has accepted a placement for the pupil."
)


def _hint(html: str) -> str:
    match = re.search(r'id="access_needs-hint"[^>]*>\s*(.*?)\s*</div>', html, re.S)
    assert match, html
    return " ".join(match.group(1).replace("&#39;", "'").split())


async def test_adding_and_editing_a_pupil_say_that_the_employer_sees_access_needs_once_accepted(client, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    pupil = await make_pupil(db, staff.school_id)
    await client.sign_in(staff)
    for path in ("/pupils/new", f"/pupils/{pupil.id}/edit"):
        page = await client.page(path)
        assert page.status_code == 200, path
        assert _hint(page.text) == HINT
        assert "Only your school's staff see this" not in page.text.replace("&#39;", "'")
