"""A pupil chooses placements on a phone: signs in with the code from the class list and their date
of birth, filters, shortlists two placements and puts them in order; Chromium at 375 px, axe-core
on every page, nothing scrolling sideways."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.async_api import expect
from sqlalchemy import select

from employers.models import WorkMode
from families import pupil_services
from matching.models import Preference
from placements.accounts.models import Role
from placements.clock import today
from programme.models import Stage
from tests.browser.harness import PAGE_WIDTH, PHONE, on_a_phone, sign_in_pupil
from tests.support import (
    make_compliance,
    make_consent,
    make_employer,
    make_placement,
    make_pupil,
    make_round,
    make_user,
)

pytestmark = pytest.mark.browser


async def test_a_pupil_shortlists_and_ranks_placements_on_a_phone(db, live_server, browser):
    round_ = await make_round(
        db, stage=Stage.PREFERENCES_OPEN, max_choices=3, preferences_close_on=today() + timedelta(days=10)
    )
    employer = await make_employer(db, name="Ribble Data Ltd")
    await make_compliance(db, employer.id)
    await make_placement(db, employer.id, round_.id, title="Web team helper")
    await make_placement(db, employer.id, round_.id, title="Data detective", work_mode=WorkMode.REMOTE)
    staff = await make_user(db, Role.SCHOOL_STAFF)
    pupil = await make_pupil(db, staff.school_id, first_name="Ada")
    await make_consent(db, pupil.id)
    code = await pupil_services.issue_code(db, pupil=pupil, round_=round_, actor=staff, ip_address=None)
    await db.commit()
    born, pupil_id = pupil.date_of_birth, pupil.id

    async with on_a_phone(browser, live_server) as (phone, audit):
        await sign_in_pupil(phone, audit, code, born)
        await expect(phone.get_by_role("heading", level=1)).to_have_text("Your placement choices")
        await audit.settled()

        await phone.get_by_role("button", name="Find placements").click()
        await audit.settled()
        await phone.get_by_label("Where").select_option("remote")
        await phone.get_by_role("button", name="Show placements").click()
        await expect(phone.get_by_role("link", name="Web team helper")).to_have_count(0)
        await audit.settled()
        await phone.get_by_role("button", name="Add to my choices").click()
        await expect(phone.get_by_text("Added to your choices")).to_be_visible()
        await audit.settled()

        await phone.get_by_role("button", name="Find placements").click()
        await audit.settled()
        await phone.get_by_role("link", name="Web team helper").click()
        await expect(phone.get_by_role("heading", level=1)).to_have_text("Web team helper")
        await audit.settled()
        await phone.get_by_role("button", name="Add to my choices").click()
        await audit.settled()
        await phone.get_by_role("button", name="Move up").click()
        await expect(phone.locator(".app-ranked h2").first).to_contain_text("1. Web team helper")
        await audit.settled()
        assert await phone.evaluate(PAGE_WIDTH) == [PHONE["width"], PHONE["width"]]
        audit.assert_clean()

    await db.commit()
    titles = list(
        await db.scalars(
            select(Preference.rank).where(Preference.pupil_id == pupil_id).order_by(Preference.rank)
        )
    )
    assert titles == [1, 2]
