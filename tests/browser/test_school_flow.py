"""A school's member of staff uploads pupils from a CSV file, fixes the rows it was told about,
imports them and records a parent's consent: in Chromium, with axe-core on every page."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect
from sqlalchemy import func, select

from placements.accounts.models import Role
from placements.clock import today
from schools.models import Consent, Pupil, PupilImport
from schools.validation import academic_year_start
from tests.support import PASSWORD, make_school, make_user

pytestmark = pytest.mark.browser

HEADER = "reference,first_name,last_name,date_of_birth,year_group,home_postcode,pupil_premium,send\n"


def born(year_group: int) -> str:
    """A date of birth that fits the year group in the current school year."""
    return f"15/01/{academic_year_start(today()) - year_group - 5 + 1}"


def pupils_file(*, fixed: bool) -> str:
    return (
        HEADER
        + f"ADM001,Ada,Lovelace,{born(10)},Year 10,PR1 2HE,no,no\n"
        + ("ADM002,Alan,Turing," + (f"{born(10)}" if fixed else "31/02/2011") + ",10,PR1 3AA,yes,no\n")
        + f"ADM003,Grace,Hopper,{born(12)},12,,no,yes\n"
        + ("ADM004,Tim,Berners-Lee," + born(10) + "," + ("Y10" if fixed else "Year 15") + ",PR2 9ZZ,no,no\n")
        + f"ADM005,Katherine,Johnson,{born(11)},11,PR1 2HE,no,no\n"
    )


async def test_upload_fix_import_and_record_consent(db, live_server, page, page_audit, artifacts, tmp_path):
    school = await make_school(db, name="Ribble Valley High")
    staff = await make_user(db, Role.SCHOOL_STAFF, school_id=school.id, name="Sam Staff")
    school_id, staff_id = school.id, staff.id
    bad_file = tmp_path / "year10-export.csv"
    bad_file.write_text(pupils_file(fixed=False), encoding="utf-8")
    fixed_file = tmp_path / "year10-export-fixed.csv"
    fixed_file.write_text(pupils_file(fixed=True), encoding="utf-8")

    # 1. Sign in through the form.
    await page_audit.visit("/sign-in")
    await page.get_by_label("Email address").fill(staff.email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"{live_server.url}/")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Sam Staff")
    await page_audit.settled()

    # 2. Open the import page from the pupil list.
    await page.get_by_role("link", name="Pupils", exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Pupils")
    await page_audit.settled()
    await page.get_by_role("button", name="Upload a CSV file").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Upload pupils from a CSV file")
    await page_audit.settled()

    # 3. The file with two bad rows: the problems are listed by row and column, nothing is imported.
    await page.set_input_files("#file", bad_file)
    await page.get_by_role("button", name="Upload and check").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Check your file")
    await expect(page.locator(".govuk-error-summary")).to_contain_text("2 problems in 2 rows")
    await expect(page).to_have_title(re.compile(r"^Error: Check your file"))
    problems = page.get_by_role("table", name="Problems by row and column").locator("tbody tr")
    await expect(problems).to_have_count(2)
    await expect(problems.nth(0).locator("td")).to_have_text(
        ["3", "date_of_birth", re.compile(r"Date of birth must be a real date")]
    )
    await expect(problems.nth(1).locator("td")).to_have_text(
        ["5", "year_group", re.compile(r"Year group must be a number from 7 to 13")]
    )
    await expect(page.get_by_role("button", name=re.compile(r"^Import "))).to_have_count(0)
    await page_audit.settled()
    await page.screenshot(path=artifacts / "school-flow-import-problems.png", full_page=True)
    assert await db.scalar(select(func.count()).select_from(Pupil)) == 0

    # 4. The corrected file imports all five pupils once confirmed.
    await page.get_by_role("button", name="Upload a corrected file").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Upload pupils from a CSV file")
    await page_audit.settled()
    await page.set_input_files("#file", fixed_file)
    await page.get_by_role("button", name="Upload and check").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Check your file")
    await expect(page.locator(".govuk-error-summary")).to_have_count(0)
    await expect(page).to_have_title(re.compile(r"^Check your file"))
    figures = page.locator(".govuk-summary-list__row")
    await expect(figures.filter(has_text="New pupils").locator("dd")).to_have_text("5")
    await expect(figures.filter(has_text="Pupils to update").locator("dd")).to_have_text("0")
    await expect(figures.filter(has_text="Rows with problems").locator("dd")).to_have_text("0")
    await page_audit.settled()
    await page.get_by_role("button", name="Import 5 pupils").click()

    await page.wait_for_url(f"{live_server.url}/pupils")
    await expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Imported 5 pupils: 5 new, 0 updated"
    )
    rows = page.get_by_role("table", name="Pupils").locator("tbody tr")
    await expect(rows).to_have_count(5)
    await expect(page.locator(".govuk-inset-text")).to_contain_text("5 pupils missing parental consent")
    ada = rows.filter(has_text="Ada Lovelace")
    await expect(ada.locator("td")).to_have_text(["Ada Lovelace", "ADM001", "10", "", "Missing"])
    await page_audit.settled()

    # 5. Open one pupil and record a parent's consent through the form.
    await ada.get_by_role("link", name="Ada Lovelace").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Ada Lovelace")
    await expect(page.get_by_text("Consent missing")).to_be_visible()
    await page_audit.settled()
    await page.get_by_role("button", name="Record a paper form").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Record parental consent")
    await page_audit.settled()
    given = today()
    await page.get_by_label("Name of the parent or carer who gave consent").fill("Anne Lovelace")
    await page.get_by_label("Relationship to the pupil").select_option("Mother")
    await page.locator("#given_on-day").fill(str(given.day))
    await page.locator("#given_on-month").fill(str(given.month))
    await page.locator("#given_on-year").fill(str(given.year))
    await page.get_by_label("Version of the consent form").fill("2026-1")
    await page.get_by_role("button", name="Record consent").click()

    await expect(page.get_by_role("heading", level=1)).to_have_text("Ada Lovelace")
    await expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Consent recorded: the pupil can now be matched"
    )
    await expect(page.get_by_text("Consent given")).to_be_visible()
    history = page.get_by_role("table", name="Consent records, newest first").locator("tbody tr")
    await expect(history.locator("td")).to_have_text(
        ["Anne Lovelace (Mother)", given.strftime("%-d %B %Y"), "Paper form", "2026-1", "No"]
    )
    await page_audit.settled()

    # 6. The pupil list no longer shows her as missing consent.
    await page.get_by_role("link", name="Pupils", exact=True).click()
    await expect(page.locator(".govuk-inset-text")).to_contain_text("4 pupils missing parental consent")
    await expect(rows.filter(has_text="Ada Lovelace").locator("td").last).to_have_text("Given")
    await page_audit.settled()
    await page.get_by_label("Consent").select_option("missing")
    await page.get_by_role("button", name="Search").click()
    await expect(page.get_by_label("Consent")).to_have_value("missing")
    await expect(rows).to_have_count(4)
    await expect(rows.filter(has_text="Ada Lovelace")).to_have_count(0)
    await expect(rows.filter(has_text="Alan Turing")).to_have_count(1)
    await page_audit.settled()
    await page.screenshot(path=artifacts / "school-flow-missing-consent.png", full_page=True)

    # What was saved: five pupils of this school, one consent record, for Ada.
    await db.rollback()  # a fresh snapshot: the server committed in between
    pupils = {p.reference: p for p in await db.scalars(select(Pupil).where(Pupil.school_id == school_id))}
    assert sorted(pupils) == ["ADM001", "ADM002", "ADM003", "ADM004", "ADM005"]
    assert pupils["ADM004"].year_group == 10 and pupils["ADM002"].pupil_premium
    consents = list(await db.scalars(select(Consent)))
    assert len(consents) == 1
    consent = consents[0]
    assert consent.pupil_id == pupils["ADM001"].id
    assert (consent.given_by, consent.relationship, consent.given_on, consent.text_version) == (
        "Anne Lovelace",
        "Mother",
        given,
        "2026-1",
    )
    assert consent.withdrawn_on is None and consent.recorded_by_id == staff_id
    # The confirmed import is gone; the refused one waits for the daily purge.
    assert await db.scalar(select(func.count()).select_from(PupilImport)) == 1
    page_audit.assert_clean()
