"""Parents consent online: the school sends a link, the parent confirms the child's date of birth and
answers, the school hears of it; every refusal of a link, and what another school or pupil can't do."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

from sqlalchemy import func, select, update

from families.consent_text import VERSION
from families.models import ParentLink
from placements.accounts.models import Role
from placements.audit.models import AuditEntry
from placements.clock import now
from placements.notifications.models import OutboxMessage
from schools.models import Consent
from schools.queries import pupils_with_current_consent
from tests.support import (
    assert_refused,
    born,
    emailed_link,
    make_consent,
    make_pupil,
    make_user,
    run_queued_jobs,
    second_browser,
)

PARENT_EMAIL = "sam.parent@example.com"
GIVE = {"decision": "give", "given_by": "Sam Parent", "relationship": "Mother"}
CONTACT = {"emergency_contact_name": "Alex Parent", "emergency_contact_phone": "07700 900123"}


async def _staff_and_pupil(db, **fields):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    pupil = await make_pupil(db, staff.school_id, parent_email=PARENT_EMAIL, **fields)
    return staff, pupil


async def _emailed(client, db, pupil) -> str:
    sent = await client.submit(f"/consent-requests/{pupil.id}/email", {})
    assert sent.status_code == 303, sent.text
    return await emailed_link(db, PARENT_EMAIL, "parents")


async def _actions(db, pupil) -> list[str]:
    await db.commit()
    return list(
        await db.scalars(
            select(AuditEntry.action).where(AuditEntry.record_id == str(pupil.id)).order_by(AuditEntry.at)
        )
    )


async def test_a_parent_consents_from_the_emailed_link_and_the_school_hears_of_it(client, app, db):
    staff, pupil = await _staff_and_pupil(db)
    await client.sign_in(staff)
    overview = await client.page("/consent-requests")
    assert overview.status_code == 200 and "Not sent" in overview.text
    filtered = await client.page("/consent-requests?status=not_sent")
    assert '<option value="not_sent" selected>Not sent</option>' in filtered.text
    assert pupil.last_name in filtered.text
    assert pupil.last_name not in (await client.page("/consent-requests?status=given")).text
    confirm = await client.page("/consent-requests/send")
    assert "This emails 1 parent " in confirm.text
    sent = await client.submit("/consent-requests/send", {})
    assert sent.status_code == 303
    path = await emailed_link(db, PARENT_EMAIL, "parents")

    async with second_browser(app) as parent:
        opened = await parent.page(path)
        assert opened.status_code == 200
        # Nothing about the child before the date of birth is confirmed.
        assert pupil.first_name not in opened.text and "date of birth" in opened.text
        assert opened.headers["cache-control"] == "no-store"
        early = await parent.page(f"{path}/consent")
        assert early.status_code == 303 and early.headers["location"] == path

        wrong = await parent.submit(path, {"born-day": "1", "born-month": "1", "born-year": "2010"})
        assert wrong.status_code == 400 and "You can try 4 more times" in wrong.text
        confirmed = await parent.submit(path, born(pupil))
        assert confirmed.status_code == 303 and confirmed.headers["location"] == f"{path}/consent"
        page = await parent.page(f"{path}/consent")
        assert page.status_code == 200 and f"Work placement consent for {pupil.first_name}" in page.text
        assert VERSION in page.text

        answered = await parent.submit(f"{path}/consent", {**GIVE, **CONTACT})
        assert answered.status_code == 303, answered.text
        after = await parent.page(f"{path}/consent")
        assert "Consent given" in after.text and "Withdraw your consent" in after.text
        again = await parent.submit(f"{path}/consent", {**GIVE, **CONTACT})
        assert again.status_code == 400 and "already answered" in again.text

    await db.commit()
    assert [p.id for p in await pupils_with_current_consent(db, [staff.school_id])] == [pupil.id]
    consent = await db.scalar(select(Consent).where(Consent.pupil_id == pupil.id))
    assert (consent.source, consent.text_version, consent.given_by) == ("parent", VERSION, "Sam Parent")
    await db.refresh(pupil)
    assert pupil.emergency_contact_phone == "07700 900123"
    told = await db.scalar(select(OutboxMessage).where(OutboxMessage.to_address == staff.email))
    assert told is not None and "gave consent" in told.subject and pupil.reference in told.subject
    assert pupil.last_name not in told.body  # the email names the pupil by reference only
    status = await client.api("GET", f"/api/consent-requests/{pupil.id}")
    assert status.json()["status"] == "given"
    assert [
        action for action in await _actions(db, pupil) if action.startswith(("parent", "consent", "family"))
    ] == [
        "parent_link_issued",
        "family_key_wrong_birth_date",
        "parent_link_opened",
        "parent_page_viewed",
        "consent_recorded",
        "parent_answered",
        "parent_page_viewed",
    ]


async def test_a_parent_withdraws_through_the_same_link(client, app, db):
    staff, pupil = await _staff_and_pupil(db)
    await client.sign_in(staff)
    path = await _emailed(client, db, pupil)
    async with second_browser(app) as parent:
        await parent.submit(path, born(pupil))
        await parent.submit(f"{path}/consent", {**GIVE, **CONTACT, "shared_dietary": "Nut allergy"})
        assert (await parent.page(f"{path}/withdraw")).status_code == 200
        withdrawn = await parent.submit(f"{path}/withdraw", {})
        assert withdrawn.status_code == 303
        assert "Consent withdrawn" in (await parent.page(f"{path}/consent")).text
        twice = await parent.submit(f"{path}/withdraw", {})
        assert twice.status_code == 400
    await db.commit()
    assert await pupils_with_current_consent(db, [staff.school_id]) == []
    listing = await client.api("GET", "/api/consent-requests?status=withdrawn")
    assert [item["pupil_id"] for item in listing.json()["items"]] == [str(pupil.id)]


async def test_a_family_without_email_uses_the_code_on_a_printed_letter_and_refuses(client, app, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    pupil = await make_pupil(db, staff.school_id)
    await client.sign_in(staff)
    assert "Print letters for parents without email (1)" in (await client.page("/consent-requests")).text
    letters = await client.submit("/consent-requests/letters", {})
    assert letters.status_code == 200
    code = re.search(r"([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{2})", letters.text).group(1)
    assert (await client.page("/consent-requests/letters")).text.count("There is nobody") == 1

    async with second_browser(app) as parent:
        typed = await parent.submit("/parents", {"code": code.lower().replace("-", " ")})
        assert typed.status_code == 303
        path = typed.headers["location"]
        await parent.submit(path, born(pupil))
        refused = await parent.submit(
            f"{path}/consent", {"decision": "refuse", "given_by": "Sam", "relationship": "Father"}
        )
        assert refused.status_code == 303, refused.text
        assert "You did not give consent" in (await parent.page(f"{path}/consent")).text
    assert (await client.api("GET", f"/api/consent-requests/{pupil.id}")).json()["status"] == "refused"
    await db.commit()
    assert await db.scalar(select(func.count()).select_from(Consent)) == 0


async def test_a_link_locks_after_five_wrong_dates_of_birth(client, app, db):
    staff, pupil = await _staff_and_pupil(db)
    await client.sign_in(staff)
    path = await _emailed(client, db, pupil)
    async with second_browser(app) as parent:
        for _ in range(4):
            wrong = await parent.submit(path, {"born-day": "2", "born-month": "2", "born-year": "2009"})
            assert wrong.status_code == 400
        locked = await parent.submit(path, {"born-day": "2", "born-month": "2", "born-year": "2009"})
        assert locked.status_code == 410 and "This link is locked" in locked.text
        right_too_late = await parent.submit(path, born(pupil))
        assert right_too_late.status_code == 410
    page = await client.page(f"/consent-requests/{pupil.id}")
    assert "After too many wrong dates of birth" in page.text


async def test_expired_replaced_unknown_and_revoked_links_say_why(client, app, db):
    staff, pupil = await _staff_and_pupil(db)
    await client.sign_in(staff)
    first = await _emailed(client, db, pupil)
    second = await _emailed(client, db, pupil)
    async with second_browser(app) as parent:
        replaced = await parent.page(first)
        assert replaced.status_code == 410 and "replaced" in replaced.text
        unknown = await parent.page("/parents/not-a-real-link")
        assert unknown.status_code == 404 and "We cannot find this link" in unknown.text
        await run_queued_jobs()  # the emails' jobs are done writing before the test writes
        await db.commit()  # a read left open here would deadlock with the app's writes on SQLite
        await db.execute(update(ParentLink).values(expires_at=now() - timedelta(minutes=1)))
        await db.commit()
        expired = await parent.page(second)
        assert expired.status_code == 410 and "expired" in expired.text
        revoked = await client.submit(f"/consent-requests/{pupil.id}/revoke", {})
        assert revoked.status_code == 303
        assert (await parent.page(second)).status_code == 410
    again = await client.submit(f"/consent-requests/{pupil.id}/revoke", {})
    assert again.status_code == 400 and "no link to revoke" in again.text


async def test_guessing_links_from_one_network_is_refused_for_a_while(client, app, db):
    async with second_browser(app) as guesser:
        statuses = [(await guesser.page(f"/parents/GUESS{n:05d}")).status_code for n in range(21)]
    assert statuses[:20] == [404] * 20 and statuses[20] == 429


async def test_confirming_one_child_does_not_open_another_childs_link(client, app, db):
    staff, pupil = await _staff_and_pupil(db)
    sibling = await make_pupil(db, staff.school_id, parent_email=PARENT_EMAIL)
    await client.sign_in(staff)
    path = await _emailed(client, db, pupil)
    other = await _emailed(client, db, sibling)
    async with second_browser(app) as parent:
        await parent.submit(path, born(pupil))
        assert (await parent.page(f"{path}/consent")).status_code == 200
        elsewhere = await parent.page(f"{other}/consent")
        assert elsewhere.status_code == 303 and elsewhere.headers["location"] == other
        assert sibling.first_name not in (await parent.page(f"{path}/consent")).text


async def test_the_parent_form_explains_what_is_missing_and_saves_nothing(client, app, db):
    staff, pupil = await _staff_and_pupil(db)
    await client.sign_in(staff)
    path = await _emailed(client, db, pupil)
    async with second_browser(app) as parent:
        await parent.submit(path, born(pupil))
        empty = await parent.submit(f"{path}/consent", {})
        assert empty.status_code == 400
        for message in (
            "Select whether you give consent",
            "Enter your full name",
            "Select your relationship",
        ):
            assert message in empty.text
        without_contact = await parent.submit(f"{path}/consent", GIVE)
        assert "Enter the name of an emergency contact" in without_contact.text
        hostile = {**GIVE, **CONTACT, "given_by": "<script>x</script>" * 50, "shared_medical": "x" * 5000}
        refused = await parent.submit(f"{path}/consent", hostile)
        assert refused.status_code == 400 and "<script>x" not in refused.text
        no_date = await parent.submit(path, {"born-day": "31", "born-month": "2", "born-year": "2011"})
        assert no_date.status_code in (303, 400)
    await db.commit()
    assert await db.scalar(select(func.count()).select_from(Consent)) == 0


async def test_twenty_answers_at_once_record_one_consent(client, app, db):
    staff, pupil = await _staff_and_pupil(db)
    await client.sign_in(staff)
    path = await _emailed(client, db, pupil)
    async with second_browser(app) as parent:
        await parent.submit(path, born(pupil))
        await parent.csrf_token()
        answers = await asyncio.gather(
            *(parent.submit(f"{path}/consent", {**GIVE, **CONTACT}) for _ in range(20))
        )
    assert sorted(r.status_code for r in answers) == [303] + [400] * 19
    await db.commit()
    assert await db.scalar(select(func.count()).select_from(Consent)) == 1


async def test_another_schools_pupils_links_are_not_found(client, db):
    _, pupil = await _staff_and_pupil(db)
    stranger = await make_user(db, Role.SCHOOL_STAFF)
    await client.sign_in(stranger)
    assert (await client.page(f"/consent-requests/{pupil.id}")).status_code == 404
    assert (await client.submit(f"/consent-requests/{pupil.id}/email", {})).status_code == 404
    assert (await client.submit(f"/consent-requests/{pupil.id}/letter", {})).status_code == 404
    assert (await client.api("POST", f"/api/consent-requests/{pupil.id}/link")).status_code == 404
    assert (await client.api("GET", "/api/consent-requests")).json()["items"] == []
    assert pupil.reference not in (await client.page("/consent-requests")).text
    await db.commit()
    assert await db.scalar(select(func.count()).select_from(ParentLink)) == 0


async def test_coordinators_do_not_send_parents_links(client, db):
    coordinator = await make_user(db, Role.COORDINATOR)
    await client.sign_in(coordinator)
    assert (await client.page("/consent-requests")).status_code == 403


async def test_the_api_issues_letters_refuses_without_an_email_and_after_consent(client, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    pupil = await make_pupil(db, staff.school_id)
    consented = await make_pupil(db, staff.school_id, parent_email=PARENT_EMAIL)
    await make_consent(db, consented.id)
    await client.sign_in(staff)
    no_email = await client.api("POST", f"/api/consent-requests/{pupil.id}/link")
    assert_refused(no_email, "email address", field="parent_email")
    letter = await client.api("POST", f"/api/consent-requests/{pupil.id}/link?kind=letter")
    assert letter.status_code == 201 and re.fullmatch(
        r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{2}", letter.json()["code"]
    )
    # A parent who consented on paper gets a link too: to read the outcome once it is published.
    paper = await client.api("POST", f"/api/consent-requests/{consented.id}/link")
    assert paper.status_code == 201, paper.text
    assert (await client.api("POST", "/api/consent-requests/send")).json() == {"sent": 0}
    assert (await client.api("POST", f"/api/consent-requests/{pupil.id}/revoke")).status_code == 204
    assert_refused(await client.api("POST", f"/api/consent-requests/{pupil.id}/revoke"), "no link")


async def test_reminders_replace_unanswered_links(client, db):
    staff, pupil = await _staff_and_pupil(db)
    await client.sign_in(staff)
    first = await _emailed(client, db, pupil)
    assert (
        "This emails 1 parent who have not answered" in (await client.page("/consent-requests/remind")).text
    )
    reminded = await client.submit("/consent-requests/remind", {})
    assert reminded.status_code == 303
    second = await emailed_link(db, PARENT_EMAIL, "parents")
    assert second != first
    last = await db.scalar(select(OutboxMessage).order_by(OutboxMessage.created_at.desc()).limit(1))
    assert last.subject.startswith("Reminder:")
    assert (await client.page(first)).status_code == 410


async def test_the_consent_overview_counts_each_status_and_whom_each_action_reaches(client, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    consented = await make_pupil(db, staff.school_id, parent_email="given@example.com")
    await make_consent(db, consented.id)
    for n in range(2):
        await make_pupil(db, staff.school_id, parent_email=f"parent{n}@example.com")
    await make_pupil(db, staff.school_id)  # no email: a letter
    other = await make_user(db, Role.SCHOOL_STAFF)
    await make_pupil(db, other.school_id, parent_email="elsewhere@example.com")
    await client.sign_in(staff)

    def figures(text):
        counts = dict(re.findall(r">(Not sent|Sent|Opened|Given|Refused|Withdrawn): (\d+)<", text))
        actions = re.findall(
            r"(Email consent links|Send reminders|Print letters for parents without email) \((\d+)\)", text
        )
        return counts, dict(actions)

    before = figures((await client.page("/consent-requests")).text)
    assert before == (
        {"Not sent": "3", "Sent": "0", "Opened": "0", "Given": "1", "Refused": "0", "Withdrawn": "0"},
        {"Email consent links": "2", "Print letters for parents without email": "1"},
    )
    assert (await client.submit("/consent-requests/send", {})).status_code == 303
    after = figures((await client.page("/consent-requests")).text)
    assert after == (
        {"Not sent": "1", "Sent": "2", "Opened": "0", "Given": "1", "Refused": "0", "Withdrawn": "0"},
        {"Send reminders": "2", "Print letters for parents without email": "1"},
    )
