"""CSRF protection, security headers and friendly error pages."""

from __future__ import annotations

from placements.accounts.models import Role
from tests.support import make_user


async def test_form_without_csrf_token_is_refused(client, db):
    user = await make_user(db)
    await client.csrf_token()
    response = await client.http.post(
        "/sign-in", data={"email": user.email, "password": "x" * 12}, headers={"accept": "text/html"}
    )
    assert response.status_code == 403
    assert (await client.http.get("/api/me")).status_code == 401  # not signed in


async def test_form_with_a_forged_csrf_token_is_refused(client, db):
    user = await make_user(db)
    await client.csrf_token()
    response = await client.http.post(
        "/sign-in", data={"_csrf_token": "forged", "email": user.email, "password": "x" * 12}
    )
    assert response.status_code == 403


async def test_unsafe_api_call_needs_the_csrf_header(client, db):
    await client.sign_in(await make_user(db, Role.COORDINATOR))
    body = {"email": "new@example.org", "name": "New Person", "role": "coordinator"}
    refused = await client.http.post("/api/users", json=body)
    assert refused.status_code == 403
    accepted = await client.api("POST", "/api/users", json=body)
    assert accepted.status_code == 201, accepted.text


async def test_security_headers_on_pages_api_errors_and_static(client):
    for path in ("/sign-in", "/health", "/api/me", "/no-such-page", "/static/dist/app.css"):
        response = await client.page(path)
        headers = response.headers
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp, path
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, path
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["referrer-policy"] == "same-origin", path


async def test_pages_have_no_inline_script(client):
    page = await client.page("/sign-in")
    assert "<script>" not in page.text and "<script " in page.text  # only src= scripts
    assert 'type="module" src="/static/dist/app.js"' in page.text


async def test_unknown_page_gets_a_friendly_404(client):
    response = await client.page("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.text


async def test_unknown_api_path_gets_json_404(client):
    response = await client.http.get("/api/no-such-thing")
    assert response.status_code == 404
    assert response.json()["status_code"] == 404


async def test_user_input_is_escaped(client):
    response = await client.submit("/sign-in", {"email": "<script>alert(1)</script>@x.org", "password": ""})
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


async def test_a_crash_shows_a_friendly_page_without_details(client, db, monkeypatch):
    await client.sign_in(await make_user(db))

    async def broken(_db):
        raise RuntimeError("boom")

    monkeypatch.setattr("programme.domain.current_round", broken)
    page = await client.page("/")
    assert page.status_code == 500
    assert "Sorry, there is a problem with the service" in page.text and "boom" not in page.text
    api = await client.http.get("/api/me", headers={"accept": "application/json"})
    assert api.status_code == 200


async def test_production_sets_secure_cookies(db, settings):
    import dataclasses

    import httpx

    from placements.app import create_app

    production = dataclasses.replace(settings, environment="production", secret_key="k" * 40)
    app = create_app(production)
    user = await make_user(db)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.lifespan(),
        httpx.AsyncClient(transport=transport, base_url="https://testserver.local") as http,
    ):
        form = await http.get("/sign-in")
        assert "Secure" in form.headers["set-cookie"]
        token = http.cookies["csrftoken"]
        signed_in = await http.post(
            "/sign-in", data={"_csrf_token": token, "email": user.email, "password": "correct horse battery"}
        )
        assert signed_in.status_code == 303
        session_cookie = [
            v for k, v in signed_in.headers.multi_items() if k == "set-cookie" and "placements_session" in v
        ]
        assert session_cookie and "Secure" in session_cookie[0]
        assert "strict-transport-security" in signed_in.headers
