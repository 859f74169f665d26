"""Single sign-on against a real OpenID provider run by the tests (oidc-provider-mock): a person with
an account signs in with their verified work address; nobody gets an account by signing in; a
wrong audience, an unverified address, a domain not allowed, a stolen round trip and a provider that
does not answer are all refused, each refusal audited."""

from __future__ import annotations

import dataclasses
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp
import pytest
from oidc_provider_mock import run_server_in_thread
from sqlalchemy import func, select

from placements.accounts.models import Role, User
from placements.accounts.single_sign_on import SsoRefused, _discover, verified_claims
from placements.app import create_app
from placements.audit.models import AuditEntry
from placements.clock import now
from placements.settings import SettingsError, SsoProvider, get_settings, settings_from_env
from tests.faults import free_port
from tests.support import make_user, second_browser, serving_client

OUR_SITE = "http://testserver.local"
TWO_STEP = {"two_step_secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "two_step_since": now()}


@pytest.fixture(scope="module")
def issuer():
    with run_server_in_thread(require_nonce=True) as server:
        yield f"http://localhost:{server.server_port}"


def _provider(issuer: str, **fields) -> SsoProvider:
    return SsoProvider(
        **{
            "name": "council",
            "label": "Council Microsoft 365",
            "issuer": issuer,
            "client_id": "placements",
            "client_secret": "placements-secret",
            "domains": frozenset({"example.org"}),
            **fields,
        }
    )


@pytest.fixture
async def browser(db, issuer):
    app = create_app(dataclasses.replace(get_settings(), sso_providers=(_provider(issuer),)))
    async with serving_client(app) as client:
        yield client


async def _at_provider(issuer: str, authorize_url: str, claims: dict, sub: str = "alice") -> str:
    """The person signs in at the provider as `sub` (with `claims`): where it sends them back to."""
    async with httpx.AsyncClient() as provider:
        assert (await provider.put(f"{issuer}/users/{sub}", json=claims)).status_code == 204
        answer = await provider.post(authorize_url, data={"sub": sub})
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


async def _sign_in_with_provider(browser, issuer, claims, *, start="/sign-in/sso/council"):
    begun = await browser.page(start)
    assert begun.status_code == 303, begun.text
    back = await _at_provider(issuer, begun.headers["location"], claims)
    assert back.startswith(f"{OUR_SITE}/sign-in/sso/council/callback?")
    return await browser.page(back.removeprefix(OUR_SITE))


async def _signed_in(browser) -> bool:
    return (await browser.page("/two-step")).status_code == 200


async def _refusals(db) -> list[str]:
    await db.commit()
    entries = await db.scalars(select(AuditEntry).where(AuditEntry.action == "sso_refused"))
    return [entry.detail["reason"] for entry in entries]


async def test_a_person_with_an_account_signs_in_with_their_verified_work_address(browser, issuer, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    page = await browser.page("/sign-in")
    assert "Sign in with Council Microsoft 365" in page.text
    done = await _sign_in_with_provider(
        browser,
        issuer,
        {"email": staff.email.upper(), "email_verified": True},
        start="/sign-in/sso/council?next=/pupils",
    )
    assert done.status_code == 303 and done.headers["location"] == "/pupils"
    assert await _signed_in(browser)
    await db.commit()
    entry = await db.scalar(select(AuditEntry).where(AuditEntry.action == "signed_in"))
    assert entry.actor_id == staff.id and entry.detail == {"provider": "council"}


async def test_someone_invited_who_never_chose_a_password_signs_in(browser, issuer, db):
    invited = await make_user(db, Role.EMPLOYER_USER, password=False)
    done = await _sign_in_with_provider(browser, issuer, {"email": invited.email, "email_verified": True})
    assert done.status_code == 303 and await _signed_in(browser)


@pytest.mark.parametrize(
    ("claims", "reason", "says"),
    [
        (
            {"email": "nobody@example.org", "email_verified": True},
            "no_account",
            "There is no Placements account",
        ),
        ({"email": "{email}", "email_verified": False}, "email_unverified", "has not confirmed"),
        ({"email": "{email}"}, "email_unverified", "has not confirmed"),
        ({"email_verified": True}, "no_email", "did not tell us your email address"),
        (
            {"email": "head@other-school.org", "email_verified": True},
            "domain_not_allowed",
            "other-school.org",
        ),
    ],
)
async def test_sign_in_is_refused_unless_a_verified_allowed_address_has_an_account(
    browser, issuer, db, claims, reason, says
):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    await make_user(db, Role.SCHOOL_STAFF, email="head@other-school.org")
    users = await db.scalar(select(func.count()).select_from(User))
    claims = {
        name: value.format(email=staff.email) if isinstance(value, str) else value
        for name, value in claims.items()
    }
    refused = await _sign_in_with_provider(browser, issuer, claims)
    assert refused.status_code == 400 and says in refused.text
    assert not await _signed_in(browser)
    assert await _refusals(db) == [reason]
    assert await db.scalar(select(func.count()).select_from(User)) == users  # nobody was made


async def test_a_deactivated_account_is_refused(browser, issuer, db):
    gone = await make_user(db, Role.SCHOOL_STAFF, is_active=False)
    refused = await _sign_in_with_provider(browser, issuer, {"email": gone.email, "email_verified": True})
    assert refused.status_code == 400 and not await _signed_in(browser)


async def test_two_step_sign_in_follows_unless_the_provider_asserts_mfa(browser, issuer, db):
    staff = await make_user(db, Role.SCHOOL_STAFF, **TWO_STEP)
    plain = await _sign_in_with_provider(browser, issuer, {"email": staff.email, "email_verified": True})
    assert plain.headers["location"] == "/sign-in/code" and not await _signed_in(browser)
    strong = await _sign_in_with_provider(
        browser, issuer, {"email": staff.email, "email_verified": True, "amr": ["pwd", "mfa"]}
    )
    assert strong.headers["location"] == "/" and await _signed_in(browser)


async def test_a_provider_that_enforces_mfa_skips_the_second_step(db, issuer):
    staff = await make_user(db, Role.SCHOOL_STAFF, **TWO_STEP)
    app = create_app(
        dataclasses.replace(get_settings(), sso_providers=(_provider(issuer, enforces_mfa=True),))
    )
    async with serving_client(app) as browser:
        done = await _sign_in_with_provider(browser, issuer, {"email": staff.email, "email_verified": True})
        assert done.headers["location"] == "/" and await _signed_in(browser)


async def test_a_round_trip_finishes_only_in_the_browser_that_started_it_and_once(browser, issuer, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    begun = await browser.page("/sign-in/sso/council")
    back = await _at_provider(
        issuer, begun.headers["location"], {"email": staff.email, "email_verified": True}
    )
    path = back.removeprefix(OUR_SITE)
    async with second_browser(browser.http._transport.app) as elsewhere:
        stolen = await elsewhere.page(path)
        assert stolen.status_code == 400 and "was not started here" in stolen.text
        assert not await _signed_in(elsewhere)
    forged = await browser.page(path.replace("state=", "state=x"))
    assert forged.status_code == 400 and not await _signed_in(browser)
    # The failed try used up the round trip: even the genuine answer is refused now.
    assert (await browser.page(path)).status_code == 400


async def test_the_person_cancelling_at_the_provider_is_told_plainly(browser, issuer, db):
    await browser.page("/sign-in/sso/council")
    cancelled = await browser.page("/sign-in/sso/council/callback?error=access_denied&state=x")
    assert cancelled.status_code == 400 and "You did not sign in with Council Microsoft 365" in cancelled.text


async def test_an_unknown_provider_is_not_found(browser):
    assert (await browser.page("/sign-in/sso/elsewhere")).status_code == 404
    assert (await browser.page("/sign-in/sso/elsewhere/callback?code=x&state=y")).status_code == 404


async def test_a_provider_that_does_not_answer_is_a_clear_message(db):
    down = _provider(f"http://127.0.0.1:{free_port()}")
    app = create_app(dataclasses.replace(get_settings(), sso_providers=(down,)))
    async with serving_client(app) as browser:
        answer = await browser.page("/sign-in/sso/council")
        assert answer.status_code == 503 and "cannot be reached just now" in answer.text


async def _id_token_for(issuer: str, client_id: str, nonce: str) -> str:
    """An ID token the provider signed for another service (`client_id`)."""
    redirect = "https://another-service.example/callback"
    query = {
        "client_id": client_id,
        "redirect_uri": redirect,
        "response_type": "code",
        "scope": "openid email",
        "nonce": nonce,
        "state": "s",
    }
    async with httpx.AsyncClient() as provider:
        await provider.put(
            f"{issuer}/users/alice", json={"email": "alice@example.org", "email_verified": True}
        )
        authorized = await provider.post(f"{issuer}/oauth2/authorize", params=query, data={"sub": "alice"})
        code = parse_qs(urlsplit(authorized.headers["location"]).query)["code"][0]
        token = await provider.post(
            f"{issuer}/oauth2/token",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect},
            auth=(client_id, "secret"),
        )
    return token.json()["id_token"]


async def test_an_id_token_for_another_audience_or_nonce_is_refused(issuer):
    ours = _provider(issuer)
    keys = (await _discover(ours)).keys
    meant_for_us = await _id_token_for(issuer, "placements", "n-1")
    assert verified_claims(ours, meant_for_us, keys=keys, nonce="n-1")["email"] == "alice@example.org"
    with pytest.raises(SsoRefused):
        verified_claims(ours, meant_for_us, keys=keys, nonce="n-2")  # replayed into another sign-in
    for_another = await _id_token_for(issuer, "another-service", "n-1")
    with pytest.raises(SsoRefused):
        verified_claims(ours, for_another, keys=keys, nonce="n-1")
    with pytest.raises(SsoRefused):
        verified_claims(_provider("http://localhost:1"), meant_for_us, keys=keys, nonce="n-1")  # wrong issuer
    tampered = meant_for_us[:-4] + ("AAAA" if not meant_for_us.endswith("AAAA") else "BBBB")
    with pytest.raises(SsoRefused):
        verified_claims(ours, tampered, keys=keys, nonce="n-1")


def test_providers_are_configured_by_environment():
    env = {
        "SSO_PROVIDERS": "entra, google",
        "SSO_ENTRA_ISSUER": "https://login.microsoftonline.com/tenant-id/v2.0/",
        "SSO_ENTRA_CLIENT_ID": "app-id",
        "SSO_ENTRA_CLIENT_SECRET": "secret",
        "SSO_ENTRA_DOMAINS": "Lancashire.gov.uk, school.lancs.sch.uk",
        "SSO_ENTRA_LABEL": "Microsoft 365",
        "SSO_ENTRA_ENFORCES_MFA": "yes",
        "SSO_GOOGLE_ISSUER": "https://accounts.google.com",
        "SSO_GOOGLE_CLIENT_ID": "g",
        "SSO_GOOGLE_CLIENT_SECRET": "s",
        "SSO_GOOGLE_DOMAINS": "academy.org.uk",
    }
    entra, google = settings_from_env(env).sso_providers
    assert entra.issuer == "https://login.microsoftonline.com/tenant-id/v2.0" and entra.enforces_mfa
    assert entra.domains == {"lancashire.gov.uk", "school.lancs.sch.uk"} and entra.label == "Microsoft 365"
    assert google.label == "Google" and not google.enforces_mfa
    assert settings_from_env({}).sso_providers == ()
    with pytest.raises(SettingsError, match="SSO_GOOGLE_DOMAINS"):
        settings_from_env({**env, "SSO_GOOGLE_DOMAINS": ""})
    with pytest.raises(SettingsError, match="https"):
        settings_from_env({**env, "SSO_GOOGLE_ISSUER": "http://accounts.example.com"})
    with pytest.raises(SettingsError, match="lower-case"):
        settings_from_env({**env, "SSO_PROVIDERS": "bad/name"})


async def test_a_provider_asserting_mfa_meets_the_rule_that_coordinators_use_two_step_sign_in(db, issuer):
    coordinator = await make_user(db, Role.COORDINATOR)
    strict = dataclasses.replace(
        get_settings(), sso_providers=(_provider(issuer),), two_step_required_for=frozenset({"coordinator"})
    )
    async with serving_client(create_app(strict)) as browser:
        claims = {"email": coordinator.email, "email_verified": True}
        await _sign_in_with_provider(browser, issuer, claims)
        assert (await browser.page("/")).headers["location"] == "/two-step/set-up"
        await _sign_in_with_provider(browser, issuer, {**claims, "amr": ["pwd", "mfa"]})
        assert (await browser.page("/")).status_code == 200


async def test_a_code_the_provider_did_not_issue_is_refused(browser, db):
    begun = await browser.page("/sign-in/sso/council")
    state = parse_qs(urlsplit(begun.headers["location"]).query)["state"][0]
    refused = await browser.page(f"/sign-in/sso/council/callback?code=made-up&state={state}")
    assert refused.status_code == 400 and "did not confirm who you are" in refused.text
    assert not await _signed_in(browser)
    assert await _refusals(db) == ["code_refused"]


async def test_someone_without_a_password_finishes_with_their_code_after_the_provider(browser, issuer, db):
    invited = await make_user(db, Role.SCHOOL_STAFF, password=False, **TWO_STEP)
    plain = await _sign_in_with_provider(browser, issuer, {"email": invited.email, "email_verified": True})
    assert plain.headers["location"] == "/sign-in/code"
    code = pyotp.TOTP(TWO_STEP["two_step_secret"]).now()
    done = await browser.submit("/sign-in/code", {"code": code})
    assert done.status_code == 303 and await _signed_in(browser)


async def test_the_sign_in_page_offers_the_provider_when_passwords_are_refused_for_now(browser, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    answers = [await browser.sign_in(staff, password="not the password") for _ in range(7)]
    assert answers[-1].status_code == 429 and answers[-1].headers["retry-after"]
    assert "Sign in with Council Microsoft 365" in answers[-1].text
