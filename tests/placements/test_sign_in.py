"""Signing in and out, and the throttling of repeated failures."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import select

from placements.accounts.models import Role
from placements.audit.models import AuditEntry
from placements.clock import now
from tests.support import PASSWORD, make_user


async def test_sign_in_shows_home_page_and_audits(client, db):
    user = await make_user(db, Role.COORDINATOR, name="Dana Example")
    response = await client.sign_in(user)
    assert response.status_code == 303
    home = await client.page("/")
    assert home.status_code == 200
    assert "Welcome, Dana Example" in home.text
    actions = set(await db.scalars(select(AuditEntry.action).where(AuditEntry.actor_id == user.id)))
    assert "signed_in" in actions


async def test_wrong_password_is_refused_with_a_message_and_audited(client, db):
    user = await make_user(db)
    response = await client.sign_in(user, "not the password")
    assert response.status_code == 400
    assert "Enter a correct email address and password" in response.text
    assert (await client.page("/")).status_code == 303  # still signed out: sent to sign in
    failed = await db.scalar(select(AuditEntry).where(AuditEntry.action == "sign_in_failed"))
    assert failed is not None and failed.actor_label == user.email


async def test_unknown_address_gets_the_same_message(client, db):
    response = await client.sign_in("nobody@example.org", "whatever-password")
    assert response.status_code == 400
    assert "Enter a correct email address and password" in response.text


async def test_empty_form_shows_errors_next_to_fields(client):
    response = await client.submit("/sign-in", {"email": "", "password": ""})
    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert 'href="#email"' in response.text and "Enter an email address" in response.text
    assert "Enter your password" in response.text


async def test_signed_out_page_request_redirects_to_sign_in_with_next(client):
    response = await client.page("/users?page=2")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=/users%3Fpage%3D2"


async def test_next_is_followed_only_within_the_site(client, db):
    user = await make_user(db)
    response = await client.submit(
        "/sign-in", {"email": user.email, "password": PASSWORD, "next": "//evil.example/"}
    )
    assert response.headers["location"] == "/"


async def test_sign_out_ends_the_session(client, db):
    user = await make_user(db)
    await client.sign_in(user)
    response = await client.submit("/sign-out", {})
    assert response.status_code == 303
    assert (await client.page("/")).status_code == 303
    assert (await client.api("GET", "/api/me")).status_code == 401


async def test_session_id_changes_at_sign_in(client, db):
    user = await make_user(db)
    await client.page("/sign-in")
    await client.submit("/sign-in", {"email": "x@example.org", "password": "wrong-password"})
    before = client.http.cookies.get("placements_session")
    await client.sign_in(user)
    after = client.http.cookies.get("placements_session")
    assert after and after != before


async def test_repeated_failures_are_throttled_then_the_real_user_gets_back_in(client, db):
    user = await make_user(db)
    start = now()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(5):
            assert (await client.sign_in(user, "wrong-password")).status_code == 400
        throttled = await client.sign_in(user, PASSWORD)
        assert throttled.status_code == 429
        assert int(throttled.headers["retry-after"]) > 0
        assert "Too many failed sign-in attempts" in throttled.text
        clock.move_to(start + timedelta(minutes=16))
        assert (await client.sign_in(user, PASSWORD)).status_code == 303
    assert (await client.api("GET", "/api/me")).json()["email"] == user.email


async def test_cookies_are_http_only_and_same_site(client, db):
    user = await make_user(db)
    response = await client.sign_in(user)
    cookie = next(
        v for k, v in response.headers.multi_items() if k == "set-cookie" and "placements_session" in v
    )
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
