"""The privacy notice and the accessibility statement: open to everyone, linked from every page's
footer, naming who runs the programme and how long pupils' data is kept."""

from __future__ import annotations

from placements.accounts.models import Role
from tests.support import make_round, make_user, second_browser


async def test_everyone_reaches_the_privacy_notice_and_accessibility_statement_from_every_page(
    client, app, db
):
    await make_round(db, keep_pupil_data_months=18)
    staff = await make_user(db, Role.SCHOOL_STAFF)
    await db.commit()
    async with second_browser(app) as visitor:
        for path in ("/sign-in", "/pupil/sign-in", "/parents"):
            footer = (await visitor.page(path)).text
            assert 'href="/privacy"' in footer and 'href="/accessibility"' in footer, path
        privacy = await visitor.page("/privacy")
        assert (
            privacy.status_code == 200 and '<h1 class="govuk-heading-l">Privacy notice</h1>' in privacy.text
        )
        assert "erased 18 months after the round closes" in privacy.text
        assert "first name, school and year group" in privacy.text and "ask for a person" in privacy.text
        assert "mailto:placements@localhost" in privacy.text and "The council runs this" in privacy.text
        statement = await visitor.page("/accessibility")
        assert statement.status_code == 200 and "Web Content Accessibility Guidelines" in statement.text
        assert "Enforcement procedure" in statement.text
    await client.sign_in(staff)
    assert 'href="/privacy"' in (await client.page("/")).text
