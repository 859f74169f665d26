"""Signing in and out, and the throttling of repeated failures."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import select

from placements.accounts.models import Role
from placements.audit.models import AuditEntry
from placements.clock import now
from placements.store import StoreEntry
from tests.support import PASSWORD, make_user, second_browser, statements_sent


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


async def test_repeated_failures_from_one_client_wait_longer_each_time(client, db):
    user = await make_user(db)
    start = now()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(5):
            assert (await client.sign_in(user, "wrong-password")).status_code == 400
        throttled = await client.sign_in(user, PASSWORD)
        assert throttled.status_code == 429
        assert throttled.headers["retry-after"] == "1"
        assert "Too many failed sign-in attempts for this account" in throttled.text
        assert "There is a problem" in throttled.text  # the sign-in form again, with the reason
        clock.move_to(start + timedelta(seconds=1))
        assert (await client.sign_in(user, "wrong-again")).status_code == 400
        assert (await client.sign_in(user, PASSWORD)).headers["retry-after"] == "2"  # then 2 s, 4 s, …
        clock.move_to(start + timedelta(seconds=3))
        assert (await client.sign_in(user, PASSWORD)).status_code == 303
    assert (await client.api("GET", "/api/me")).json()["email"] == user.email


async def test_someone_guessing_elsewhere_does_not_keep_the_person_out(client, db, app):
    user = await make_user(db)
    with time_machine.travel(now(), tick=False):
        for _ in range(12):
            await client.sign_in(user, "wrong-password")
        assert (await client.sign_in(user, PASSWORD)).status_code == 429
        async with second_browser(app) as own_laptop:
            assert (await own_laptop.sign_in(user, PASSWORD)).status_code == 303


async def test_guessing_from_many_places_waits_a_minute_at_most(client, db, app):
    user = await make_user(db)
    start = now()
    with time_machine.travel(start, tick=False) as clock:
        for n in range(30):
            async with second_browser(app, f"10.0.0.{n}") as guesser:
                await guesser.sign_in(user, "wrong-password")
            clock.move_to(start + timedelta(minutes=n // 5))  # under each place's own limit
        async with second_browser(app) as own_laptop:
            waiting = await own_laptop.sign_in(user, PASSWORD)
            assert waiting.status_code == 429 and int(waiting.headers["retry-after"]) <= 60
            clock.move_to(start + timedelta(minutes=5, seconds=61))
            assert (await own_laptop.sign_in(user, PASSWORD)).status_code == 303


async def test_one_client_cannot_try_many_accounts(client, db):
    with time_machine.travel(now(), tick=False):
        for n in range(30):
            assert (await client.sign_in(f"someone{n}@example.org", "wrong-password")).status_code == 400
        refused = await client.sign_in("someone-else@example.org", "wrong-password")
    assert refused.status_code == 429 and "from your network" in refused.text


async def test_an_unknown_address_costs_the_same_password_hashing(client, db, monkeypatch):
    from placements.accounts import services

    hashed: list[str | None] = []
    checking = services.verify_password

    def verify(password_hash: str | None, password: str) -> bool:
        hashed.append(password_hash)
        return checking(password_hash, password)

    monkeypatch.setattr(services, "verify_password", verify)
    user = await make_user(db)
    await client.sign_in(user, "wrong-password")
    await client.sign_in("nobody@example.org", "wrong-password")
    assert hashed == [user.password_hash, None]  # None: checked against a dummy hash, same cost


async def test_sessions_end_twelve_hours_after_sign_in_however_busy(client, db):
    user = await make_user(db)
    start = now()
    with time_machine.travel(start, tick=False) as clock:
        await client.sign_in(user)
        for hour in range(1, 12):
            clock.move_to(start + timedelta(hours=hour))  # well within the idle timeout each time
            assert (await client.api("GET", "/api/me")).status_code == 200
        clock.move_to(start + timedelta(hours=12, seconds=1))
        assert (await client.api("GET", "/api/me")).status_code == 401
        assert (await client.page("/")).status_code == 303  # to sign in


async def test_sign_in_gives_a_new_csrf_token_bound_to_the_session(client, db, app):
    user, other = await make_user(db), await make_user(db)
    before = await client.csrf_token()
    await client.sign_in(user)
    token = await client.csrf_token()
    assert token != before
    async with second_browser(app) as attacker:
        await attacker.sign_in(other)
        planted = await attacker.csrf_token()
    # A token (and cookie) from another session, planted in this browser, is refused.
    client.http.cookies.set("csrftoken", planted, domain="testserver.local")
    refused = await client.http.post(
        "/sign-out", data={"_csrf_token": planted}, headers={"accept": "text/html"}
    )
    assert refused.status_code == 403
    assert (await client.api("GET", "/api/me")).status_code == 200  # still signed in
    client.http.cookies.set("csrftoken", token, domain="testserver.local")
    assert (await client.submit("/sign-out", {})).status_code == 303


async def test_a_write_with_a_wrong_csrf_token_is_refused_with_403(client, db):
    await client.sign_in(await make_user(db, name="Dana Example"))
    await client.csrf_token()
    response = await client.http.post(
        "/sign-out", data={"_csrf_token": "wrong"}, headers={"accept": "text/html"}
    )
    assert response.status_code == 403
    # The refused request's transaction is rolled back; the page still names who is signed in.
    assert "Dana Example" in response.text
    assert (await client.page("/")).status_code == 200  # not signed out


async def test_a_write_without_a_csrf_token_is_refused_with_403(client, db):
    await client.sign_in(await make_user(db))
    response = await client.http.post("/sign-out", data={}, headers={"accept": "text/html"})
    assert response.status_code == 403
    api = await client.http.post("/sign-out", data={})
    assert api.status_code == 403 and api.headers["content-type"].startswith("application/json")


async def test_cookies_are_http_only_and_same_site(client, db):
    user = await make_user(db)
    response = await client.sign_in(user)
    cookie = next(
        v for k, v in response.headers.multi_items() if k == "set-cookie" and "placements_session" in v
    )
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie


def _session_cookie(response) -> str | None:
    return next(
        (v for k, v in response.headers.multi_items() if k == "set-cookie" and "placements_session" in v),
        None,
    )


async def _session_expiry(db) -> list:
    await db.rollback()  # read what the requests committed
    return list(await db.scalars(select(StoreEntry.expires_at).where(StoreEntry.namespace == "sessions")))


async def test_reading_pages_writes_the_session_once_a_minute_at_most(client, db, settings):
    """A page read costs no write to the database; the session is still renewed while it is used,
    and still ends after the idle timeout without a request."""
    user = await make_user(db)
    start = now()
    with time_machine.travel(start, tick=False) as clock:
        await client.sign_in(user)
        written = await _session_expiry(db)
        clock.move_to(start + timedelta(seconds=30))
        read = await client.page("/")
        assert read.status_code == 200 and _session_cookie(read) is None
        assert await _session_expiry(db) == written

        clock.move_to(start + timedelta(seconds=90))
        renewed = await client.page("/")
        assert renewed.status_code == 200 and _session_cookie(renewed) is not None
        [expiry] = await _session_expiry(db)
        assert expiry > written[0] and expiry >= start + timedelta(seconds=90 + settings.session_max_age - 1)

        clock.move_to(start + timedelta(seconds=91 + settings.session_max_age))
        assert (await client.page("/")).status_code == 303  # idle too long: to sign in


async def test_a_signed_in_request_reads_its_session_and_user_in_one_statement(client, db, app):
    user = await make_user(db)
    await client.sign_in(user)
    assert client.http.cookies["placements_session"].endswith(f".{user.id.hex}")
    with statements_sent(app) as statements:
        me = await client.api("GET", "/api/me")
    assert me.status_code == 200 and me.json()["email"] == user.email
    [read] = [statement for statement in statements if "user_account" in statement]
    assert "kv_store" in read


async def test_a_session_id_naming_another_user_signs_nobody_in(client, db):
    """The user id at the end of a session id only saves a query: the id is the key of the stored
    session, and that session says whose it is."""
    user, other = await make_user(db), await make_user(db)
    await client.sign_in(user)
    random_part, _, _ = client.http.cookies["placements_session"].rpartition(".")
    forgeries = (f"{random_part}.{other.id.hex}", f"{random_part}.not-an-id", random_part, f".{user.id.hex}")
    for forged in forgeries:
        client.http.cookies.set("placements_session", forged)
        assert (await client.api("GET", "/api/me")).status_code == 401, forged
        assert (await client.page("/pupils")).status_code == 303, forged
