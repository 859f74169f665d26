"""Password reset and invitations: emailed single-use links that expire."""

from __future__ import annotations

import html
import re
import uuid
from datetime import timedelta

import time_machine
from sqlalchemy import select

from placements.accounts.models import Role, User
from placements.audit.models import AuditEntry
from placements.clock import now
from placements.notifications.models import OutboxMessage
from tests.support import PASSWORD, assert_refused, make_school, make_user, second_browser

NEW_PASSWORD = "a brand new password"


async def _link_sent_to(db, email: str, path: str) -> str:
    messages = list(await db.scalars(select(OutboxMessage).where(OutboxMessage.to_address == email)))
    assert messages, f"no email to {email}"
    match = re.search(rf"http://testserver\.local(/{path}/[\w-]+)", messages[-1].body)
    assert match, messages[-1].body
    return match.group(1)


async def test_reset_link_sets_a_new_password_once(client, db):
    user = await make_user(db)
    response = await client.submit("/password-reset", {"email": user.email})
    assert response.status_code == 200
    assert "Check your email" in response.text
    link = await _link_sent_to(db, user.email, "password-reset")

    assert (await client.page(link)).status_code == 200
    done = await client.submit(link, {"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert done.status_code == 303 and done.headers["location"] == "/sign-in"
    assert (await client.sign_in(user, PASSWORD)).status_code == 400
    assert (await client.sign_in(user, NEW_PASSWORD)).status_code == 303

    again = await client.submit(
        link, {"password": "yet another password", "confirm_password": "yet another password"}
    )
    assert again.status_code == 404
    assert "This link has expired" in again.text


async def test_reset_response_does_not_reveal_whether_the_address_exists(client, db):
    user = await make_user(db)
    known = await client.submit("/password-reset", {"email": user.email})
    unknown = await client.submit("/password-reset", {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace(user.email, "X") == unknown.text.replace("nobody@example.org", "X")
    assert (
        await db.scalar(select(OutboxMessage).where(OutboxMessage.to_address == "nobody@example.org")) is None
    )


async def test_reset_link_expires_after_an_hour(client, db):
    user = await make_user(db)
    start = now()
    with time_machine.travel(start, tick=False) as clock:
        await client.submit("/password-reset", {"email": user.email})
        link = await _link_sent_to(db, user.email, "password-reset")
        clock.move_to(start + timedelta(minutes=61))
        assert (await client.page(link)).status_code == 404
        late = await client.submit(link, {"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
        assert late.status_code == 404
    assert (await client.sign_in(user, NEW_PASSWORD)).status_code == 400


async def test_a_refused_password_shows_the_form_again_with_an_error_summary(client, db):
    user = await make_user(db, email="rita.ribble@example.org", name="Rita Ribble")
    await client.submit("/password-reset", {"email": user.email})
    link = await _link_sent_to(db, user.email, "password-reset")
    for password, message in (
        ("short", "at least 12 characters"),
        ("Password2024!", "too common"),
        ("qwertyqwerty", "too common"),
        ("rita.ribble and more", "must not contain your name or email address"),
        ("my name is ribble, ok", "must not contain your name or email address"),
        ("placements for me 24", "must not contain the name of this service"),
    ):
        refused = await client.submit(link, {"password": password, "confirm_password": password})
        assert refused.status_code == 400, password
        assert refused.headers["content-type"].startswith("text/html"), password
        assert "There is a problem" in refused.text and 'href="#password"' in refused.text, password
        assert message in html.unescape(refused.text), password
        assert password not in refused.text  # a password is never sent back into the page
    mismatch = await client.submit(link, {"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD + "!"})
    assert mismatch.status_code == 400 and "do not match" in mismatch.text
    assert (await client.page(link)).status_code == 200  # the link still works after a mistake
    await db.commit()
    assert (await db.get(User, user.id)).password_hash == user.password_hash  # nothing half-written


async def test_a_refused_password_on_an_invitation_shows_the_form_again(client, db):
    coordinator = await make_user(db, Role.COORDINATOR)
    await client.sign_in(coordinator)
    await client.submit(
        "/users/invite", {"name": "Ivy New", "email": "ivy@example.org", "role": "coordinator"}
    )
    await client.submit("/sign-out", {})
    link = await _link_sent_to(db, "ivy@example.org", "invitation")
    refused = await client.submit(link, {"password": "iloveyou", "confirm_password": "iloveyou"})
    assert refused.status_code == 400 and refused.headers["content-type"].startswith("text/html")
    assert "Welcome to Placements" in refused.text and "at least 12 characters" in refused.text


async def test_a_password_reset_ends_every_session_of_the_account(client, db, app):
    user = await make_user(db)
    async with second_browser(app) as elsewhere:
        await elsewhere.sign_in(user)
        assert (await elsewhere.api("GET", "/api/me")).status_code == 200
        await client.submit("/password-reset", {"email": user.email})
        link = await _link_sent_to(db, user.email, "password-reset")
        await client.submit(link, {"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
        assert (await elsewhere.api("GET", "/api/me")).status_code == 401
        assert (await elsewhere.sign_in(user, NEW_PASSWORD)).status_code == 303
        assert (await elsewhere.api("GET", "/api/me")).status_code == 200


async def test_resets_to_one_address_are_limited_without_saying_so(client, db):
    user = await make_user(db)
    answers = [await client.submit("/password-reset", {"email": user.email}) for _ in range(5)]
    assert {answer.status_code for answer in answers} == {200}
    assert len({answer.text for answer in answers}) == 1
    await db.commit()
    sent = await db.scalars(select(OutboxMessage).where(OutboxMessage.to_address == user.email))
    assert len(list(sent)) == 3


async def test_reset_requests_from_one_client_are_limited(client, db):
    for n in range(10):
        assert (
            await client.submit("/password-reset", {"email": f"someone{n}@example.org"})
        ).status_code == 200
    refused = await client.submit("/password-reset", {"email": "one-more@example.org"})
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert "Too many password reset requests" in refused.text


async def test_invitation_end_to_end(client, db):
    coordinator = await make_user(db, Role.COORDINATOR)
    school = await make_school(db, name="Fulwood High School")
    await db.commit()
    await client.sign_in(coordinator)
    form = await client.page("/users/invite")
    assert "Fulwood High School" in form.text
    sent = await client.submit(
        "/users/invite",
        {
            "name": "Sam Advisor",
            "email": "Sam.Advisor@Example.org",
            "role": "school_staff",
            "school_id": str(school.id),
        },
    )
    assert sent.status_code == 303
    assert "Invitation sent to Sam.Advisor@Example.org" in (await client.page("/users")).text

    invited = await db.scalar(select(User).where(User.email == "sam.advisor@example.org"))
    assert invited is not None and invited.school_id == school.id and invited.password_hash is None
    link = await _link_sent_to(db, "sam.advisor@example.org", "invitation")
    invitation = await db.scalar(
        select(OutboxMessage).where(OutboxMessage.to_address == "sam.advisor@example.org")
    )
    # Fixed wording: neither the inviter's name nor anything typed into the form.
    assert "Sam" not in invitation.body and coordinator.name not in invitation.body

    await client.submit("/sign-out", {})
    welcome = await client.page(link)
    assert "Welcome to Placements" in welcome.text
    await client.submit(link, {"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert (await client.sign_in("sam.advisor@example.org", NEW_PASSWORD)).status_code == 303
    me = (await client.api("GET", "/api/me")).json()
    assert me["role"] == "school_staff" and me["school_id"] == str(school.id)
    audited = await db.scalar(select(AuditEntry).where(AuditEntry.action == "user_invited"))
    assert audited is not None and audited.actor_id == coordinator.id


async def test_invitation_form_validation_saves_nothing(client, db):
    await client.sign_in(await make_user(db, Role.COORDINATOR))
    response = await client.submit(
        "/users/invite", {"name": "", "email": "not-an-email", "role": "school_staff"}
    )
    assert response.status_code == 400
    for message in ("Enter the person's name", "correct format", "Select the person's school"):
        assert message in html.unescape(response.text)
    assert 'value="not-an-email"' in response.text  # what was typed is kept
    assert await db.scalar(select(User).where(User.email == "not-an-email")) is None
    assert await db.scalar(select(OutboxMessage)) is None


async def test_a_name_too_long_for_an_account_is_refused_on_both_invitation_forms(client, db):
    """PostgreSQL refuses a name longer than its column; the form must say so first."""
    staff = await make_user(db, Role.SCHOOL_STAFF, is_admin=True)
    await client.sign_in(await make_user(db, Role.COORDINATOR))
    long_name = "N" * 201
    for path in ("/users/invite", f"/schools/{staff.school_id}/staff/invite"):
        response = await client.submit(
            path, {"name": long_name, "email": "new.person@example.org", "role": "coordinator"}
        )
        assert response.status_code == 400, path
        assert "The name must be 200 characters or fewer" in response.text, path
    assert await db.scalar(select(User).where(User.email == "new.person@example.org")) is None


async def test_inviting_an_existing_address_is_refused(client, db):
    coordinator = await make_user(db, Role.COORDINATOR)
    await client.sign_in(coordinator)
    response = await client.submit(
        "/users/invite", {"name": "Again", "email": coordinator.email.upper(), "role": "coordinator"}
    )
    assert response.status_code == 400
    assert "already an account" in response.text


async def test_api_invitation_checks_the_tenant(client, db):
    await client.sign_in(await make_user(db, Role.COORDINATOR))
    response = await client.api(
        "POST", "/api/users", json={"email": "x@example.org", "name": "X", "role": "employer_user"}
    )
    assert response.status_code == 400
    assert "employer_id" in str(response.json()["extra"])
    unknown = await client.api(
        "POST",
        "/api/users",
        json={
            "email": "x@example.org",
            "name": "X",
            "role": "employer_user",
            "employer_id": str(uuid.uuid4()),
        },
    )
    assert unknown.status_code == 404
    assert await db.scalar(select(User).where(User.email == "x@example.org")) is None


async def test_api_invitation_of_an_existing_address_is_refused_naming_the_email(client, db):
    coordinator = await make_user(db, Role.COORDINATOR)
    await client.sign_in(coordinator)
    response = await client.api(
        "POST", "/api/users", json={"email": coordinator.email, "name": "Again", "role": "coordinator"}
    )
    assert_refused(response, field="email")


async def test_only_coordinators_invite(client, db):
    await client.sign_in(await make_user(db, Role.SCHOOL_STAFF))
    response = await client.api(
        "POST", "/api/users", json={"email": "y@example.org", "name": "Y", "role": "coordinator"}
    )
    assert response.status_code == 403
    assert await db.scalar(select(User).where(User.email == "y@example.org")) is None
