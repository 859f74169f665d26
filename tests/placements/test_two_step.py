"""Two-step sign-in: a person sets it up with an authenticator app, then signs in with their
password and a code (each code once) or a recovery code (each once); wrong codes are limited; a
role that must use it can do nothing else first; a coordinator resets someone's, audited."""

from __future__ import annotations

import dataclasses
import html
import re
from datetime import timedelta

import pyotp
import pytest
import time_machine
from sqlalchemy import func, select

from placements.accounts.models import RecoveryCode, Role, User
from placements.app import create_app
from placements.audit.models import AuditEntry
from placements.clock import now
from placements.settings import SettingsError, get_settings, settings_from_env
from tests.support import make_user, serving_client

KEY = re.compile(r'<code class="app-setup-key">([A-Z2-7 ]+)</code>')
RECOVERY = re.compile(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>")


def _code(secret: str, steps_ahead: int = 0) -> str:
    """What the person's app shows now, or `steps_ahead` 30-second steps from now."""
    return pyotp.TOTP(secret).at(now() + timedelta(seconds=30 * steps_ahead))


async def _set_up(client) -> tuple[str, list[str]]:
    """Set up two-step sign-in through the pages, as a person with an app would: the secret and
    the recovery codes shown."""
    secret, codes, _ = await _set_up_with(client)
    return secret, codes


async def _set_up_with(client) -> tuple[str, list[str], str]:
    """`_set_up`, also giving the code it was set up with."""
    offer = await client.page("/two-step/set-up")
    assert offer.status_code == 200 and "<svg" in offer.text and "otpauth" not in offer.text
    secret = KEY.search(offer.text).group(1).replace(" ", "")
    used = _code(secret)
    done = await client.submit("/two-step/set-up", {"code": used})
    assert done.status_code == 200, done.text
    assert "Two-step sign-in is on" in done.text and done.headers["cache-control"] == "no-store"
    return secret, RECOVERY.findall(done.text), used


async def _signed_in_as(client) -> str | None:
    home = await client.page("/two-step")
    return None if home.status_code != 200 else "signed in"


async def _actions(db, user: User) -> list[str]:
    await db.commit()
    return list(
        await db.scalars(
            select(AuditEntry.action).where(AuditEntry.record_id == str(user.id)).order_by(AuditEntry.at)
        )
    )


async def test_a_person_sets_it_up_then_signs_in_with_a_code_each_used_once(client, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    await client.sign_in(staff)
    assert "It is off for your account" in (await client.page("/two-step")).text
    # A wrong code saves nothing, and the same secret is offered again.
    offer = await client.page("/two-step/set-up")
    secret = KEY.search(offer.text).group(1).replace(" ", "")
    wrong = await client.submit(
        "/two-step/set-up", {"code": "000000" if _code(secret) != "000000" else "111111"}
    )
    assert wrong.status_code == 400 and "6-digit code" in wrong.text
    assert KEY.search(wrong.text).group(1).replace(" ", "") == secret
    await db.commit()
    assert (await db.get(User, staff.id, populate_existing=True)).two_step_secret is None

    secret, codes, used = await _set_up_with(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    await db.commit()
    stored = await db.get(User, staff.id, populate_existing=True)
    assert stored.two_step_secret == secret and stored.two_step_since is not None
    hashes = set(await db.scalars(select(RecoveryCode.code_hash)))
    assert len(hashes) == 10 and not hashes & set(codes)

    await client.submit("/sign-out", {})
    password_only = await client.sign_in(staff)
    assert password_only.headers["location"] == "/sign-in/code"
    # Not signed in between the two steps (and leaving for another page abandons the sign-in).
    assert await _signed_in_as(client) is None
    assert (await client.page("/sign-in/code")).headers["location"] == "/sign-in"
    await client.sign_in(staff)
    assert "Enter the code from your authenticator app" in (await client.page("/sign-in/code")).text
    # The code used to set it up is refused, even where the app shows it still: each works once.
    replayed = await client.submit("/sign-in/code", {"code": used})
    assert replayed.status_code == 400 and "6-digit code" in replayed.text
    signed = await client.submit("/sign-in/code", {"code": _code(secret, steps_ahead=1)})
    assert signed.status_code == 303 and signed.headers["location"] == "/"
    assert await _signed_in_as(client)
    actions = await _actions(db, staff)
    assert actions.count("password_accepted") == 2 and actions.count("two_step_failed") == 1
    assert actions[-1] == "signed_in" and "two_step_turned_on" in actions


async def test_a_used_code_is_refused_while_the_app_could_still_show_it(client, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    await client.sign_in(staff)
    _, _, used = await _set_up_with(client)
    await client.submit("/sign-out", {})
    await client.sign_in(staff)
    # A step later the code is still within the window a slow typist gets, and still used.
    with time_machine.travel(now() + timedelta(seconds=30), tick=False):
        replayed = await client.submit("/sign-in/code", {"code": used})
    assert replayed.status_code == 400 and "6-digit code" in replayed.text


async def test_a_recovery_code_signs_in_once_and_new_codes_replace_the_old(client, db):
    staff = await make_user(db, Role.EMPLOYER_USER)
    await client.sign_in(staff)
    secret, codes = await _set_up(client)
    await client.submit("/sign-out", {})

    await client.sign_in(staff)
    used = await client.submit("/sign-in/code", {"code": codes[0].upper().replace("-", " ")})
    assert used.status_code == 303
    overview = await client.page("/two-step")
    assert "9 of 10" in overview.text, overview.text
    await client.submit("/sign-out", {})
    await client.sign_in(staff)
    assert (await client.submit("/sign-in/code", {"code": codes[0]})).status_code == 400
    assert (await client.submit("/sign-in/code", {"code": codes[1]})).status_code == 303

    # New codes need a current code from the app, and the old ones stop working.
    refused = await client.submit("/two-step/recovery-codes", {"code": "12345"})
    assert refused.status_code == 400 and "recovery codes" in refused.text
    renewed = await client.submit("/two-step/recovery-codes", {"code": _code(secret, steps_ahead=1)})
    fresh = RECOVERY.findall(renewed.text)
    assert (
        renewed.status_code == 200
        and len(fresh) == 10
        and "old recovery codes no longer work" in renewed.text
    )
    await client.submit("/sign-out", {})
    await client.sign_in(staff)
    assert (await client.submit("/sign-in/code", {"code": codes[2]})).status_code == 400
    assert (await client.submit("/sign-in/code", {"code": fresh[0]})).status_code == 303
    actions = await _actions(db, staff)
    assert actions.count("recovery_code_used") == 3 and "recovery_codes_replaced" in actions


async def test_wrong_codes_are_limited_and_the_half_way_state_ends(client, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    await client.sign_in(staff)
    secret, _ = await _set_up(client)
    await client.submit("/sign-out", {})
    # Without the password first, the code page sends the person back to sign in.
    assert (await client.page("/sign-in/code")).headers["location"] == "/sign-in"
    assert (await client.submit("/sign-in/code", {"code": _code(secret)})).headers["location"] == "/sign-in"

    await client.sign_in(staff)
    full_width_digits = "\uff11\uff12\uff13\uff14\uff15\uff16"
    for hostile in ["", "x" * 5000, full_width_digits, "' OR 1=1 --", "<script>alert(1)</script>"]:
        answer = await client.submit("/sign-in/code", {"code": hostile})
        assert answer.status_code == 400 and "<script>alert" not in answer.text
    refused = await client.submit("/sign-in/code", {"code": _code(secret, steps_ahead=1)})
    assert refused.status_code == 303 and refused.headers["location"] == "/sign-in"
    told = await client.page("/sign-in")
    assert "Too many wrong codes" in html.unescape(told.text)
    # The password alone does not get round it: the limit is the account's.
    await client.sign_in(staff)
    assert (await client.submit("/sign-in/code", {"code": _code(secret, steps_ahead=1)})).headers[
        "location"
    ] == "/sign-in"
    assert await _signed_in_as(client) is None


async def test_a_password_reset_between_the_steps_ends_the_half_way_sign_in(client, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    await client.sign_in(staff)
    secret, _ = await _set_up(client)
    await client.submit("/sign-out", {})
    await client.sign_in(staff)
    await db.commit()
    stored = await db.get(User, staff.id, populate_existing=True)
    stored.end_sessions()
    await db.commit()
    late = await client.submit("/sign-in/code", {"code": _code(secret, steps_ahead=1)})
    assert late.headers["location"] == "/sign-in"
    assert await _signed_in_as(client) is None


async def test_turning_it_off_needs_a_code_and_a_confirmation(client, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    await client.sign_in(staff)
    secret, _ = await _set_up(client)
    confirm = await client.page("/two-step/turn-off")
    assert confirm.status_code == 200 and "Turn off two-step sign-in?" in confirm.text
    assert (await client.submit("/two-step/turn-off", {"code": "999999"})).status_code == 400
    await db.commit()
    assert (await db.get(User, staff.id, populate_existing=True)).uses_two_step
    off = await client.submit("/two-step/turn-off", {"code": _code(secret, steps_ahead=1)})
    assert off.status_code == 303
    await db.commit()
    assert not (await db.get(User, staff.id, populate_existing=True)).uses_two_step
    assert await db.scalar(select(func.count()).select_from(RecoveryCode)) == 0
    await client.submit("/sign-out", {})
    assert (await client.sign_in(staff)).headers["location"] == "/"
    assert "two_step_turned_off" in await _actions(db, staff)


@pytest.fixture
async def strict(db):
    """The service as production runs it: coordinators must use two-step sign-in."""
    app = create_app(dataclasses.replace(get_settings(), two_step_required_for=frozenset({"coordinator"})))
    async with serving_client(app) as client:
        yield client


async def test_a_role_that_must_use_it_sets_it_up_before_anything_else(strict, db):
    coordinator = await make_user(db, Role.COORDINATOR)
    staff = await make_user(db, Role.SCHOOL_STAFF)
    await strict.sign_in(coordinator)
    for page in ("/", "/pupils", f"/users/{staff.id}", "/api-tokens"):
        sent = await strict.page(page)
        assert sent.status_code == 303 and sent.headers["location"] == "/two-step/set-up", page
    api = await strict.api("GET", "/api/schools")
    assert api.status_code == 403 and "two-step" in api.json()["detail"]
    offer = await strict.page("/two-step/set-up")
    assert "must use two-step sign-in" in offer.text
    secret, _ = await _set_up(strict)
    assert (await strict.page("/")).status_code == 200
    # It cannot be turned off by the person: the page says so and the form is refused.
    assert "cannot be turned off" in (await strict.page("/two-step")).text
    assert (await strict.page("/two-step/turn-off")).headers["location"] == "/two-step"
    off = await strict.submit("/two-step/turn-off", {"code": _code(secret, steps_ahead=1)})
    assert off.status_code == 400 and "must use two-step sign-in" in html.unescape(off.text)
    # Sign-out works before setting up too; other roles are only offered it.
    await strict.submit("/sign-out", {})
    await strict.sign_in(staff)
    assert (await strict.page("/")).status_code == 200


async def test_a_coordinator_resets_someones_two_step_sign_in_audited(client, db):
    from tests.support import second_browser

    coordinator = await make_user(db, Role.COORDINATOR)
    admin = await make_user(db, Role.SCHOOL_STAFF, is_admin=True)
    staff = await make_user(db, Role.SCHOOL_STAFF, school_id=admin.school_id)
    await client.sign_in(staff)
    await _set_up(client)

    async with second_browser(client.http._transport.app) as desk:
        await desk.sign_in(admin)  # a school's admin manages colleagues, but not their two-step sign-in
        assert "Reset" not in (await desk.page(f"/users/{staff.id}")).text
        assert (await desk.page(f"/users/{staff.id}/two-step/reset")).status_code == 403
        assert (await desk.submit(f"/users/{staff.id}/two-step/reset", {})).status_code == 403

        await desk.sign_in(coordinator)
        account = await desk.page(f"/users/{staff.id}")
        assert "On since" in account.text and f"/users/{staff.id}/two-step/reset" in account.text
        confirm = await desk.page(f"/users/{staff.id}/two-step/reset")
        assert "Reset " in confirm.text and "audit log" in confirm.text
        done = await desk.submit(f"/users/{staff.id}/two-step/reset", {})
        assert done.status_code == 303
        again = await desk.submit(f"/users/{staff.id}/two-step/reset", {})
        assert again.status_code == 400 and "does not use two-step sign-in" in again.text
        own = await desk.submit(f"/users/{coordinator.id}/two-step/reset", {})
        assert own.status_code == 400
        assert (
            await desk.page("/users/00000000-0000-0000-0000-000000000000/two-step/reset")
        ).status_code == 404

    assert await _signed_in_as(client) is None  # the person was signed out everywhere
    await db.commit()
    stored = await db.get(User, staff.id, populate_existing=True)
    assert not stored.uses_two_step
    reset = await db.scalar(select(AuditEntry).where(AuditEntry.action == "two_step_reset"))
    assert reset.actor_id == coordinator.id and reset.record_id == str(staff.id)
    from placements.notifications.models import OutboxMessage

    told = await db.scalar(select(OutboxMessage).where(OutboxMessage.to_address == staff.email))
    assert "two-step sign-in was reset" in told.subject and coordinator.name in told.body
    assert (await client.sign_in(staff)).headers["location"] == "/"


def test_the_roles_that_must_use_it_are_set_by_environment():
    assert settings_from_env({}).two_step_required_for == frozenset()
    production = {"PLACEMENTS_ENV": "production", "SECRET_KEY": "k" * 40}
    assert settings_from_env(production).two_step_required_for == {"coordinator"}
    assert settings_from_env({**production, "TWO_STEP_REQUIRED_FOR": "none"}).two_step_required_for == set()
    both = settings_from_env({"TWO_STEP_REQUIRED_FOR": "Coordinator, school_staff"})
    assert both.two_step_required_for == {"coordinator", "school_staff"}
    with pytest.raises(SettingsError, match="teacher"):
        settings_from_env({"TWO_STEP_REQUIRED_FOR": "teacher"}).check()


async def test_the_api_shows_who_uses_it_and_a_coordinator_resets_it(client, db):
    coordinator = await make_user(db, Role.COORDINATOR)
    staff = await make_user(
        db, Role.SCHOOL_STAFF, two_step_secret=pyotp.random_base32(), two_step_since=now()
    )
    plain = await make_user(db, Role.SCHOOL_STAFF, school_id=staff.school_id, is_admin=True)
    await client.sign_in(plain)
    assert (await client.api("POST", f"/api/users/{staff.id}/two-step/reset")).status_code == 403
    await client.sign_in(coordinator)
    listed = (await client.api("GET", "/api/users")).json()["items"]
    assert {row["email"]: row["two_step"] for row in listed}[staff.email] is True
    reset = await client.api("POST", f"/api/users/{staff.id}/two-step/reset")
    assert reset.status_code == 200 and reset.json()["two_step"] is False
    again = await client.api("POST", f"/api/users/{staff.id}/two-step/reset")
    assert again.status_code == 409 and "does not use two-step sign-in" in again.json()["detail"]
    missing = await client.api("POST", "/api/users/00000000-0000-0000-0000-000000000000/two-step/reset")
    assert missing.status_code == 404
    assert "two_step_reset" in await _actions(db, staff)
