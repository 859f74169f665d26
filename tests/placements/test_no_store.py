"""No browser or proxy keeps what the service answers, except the static assets: Back after signing
out cannot show a pupil's data."""

from __future__ import annotations

from placements.accounts.models import Role
from tests.support import make_pupil, make_user


async def test_everything_a_signed_in_person_receives_is_no_store(client, db):
    staff = await make_user(db, Role.SCHOOL_STAFF)
    await make_pupil(db, staff.school_id, first_name="Ada")
    await client.sign_in(staff)
    answers = {
        "page": await client.page("/pupils"),
        "import page": await client.page("/pupils/import"),
        "missing page": await client.page("/pupils/no-such-page"),
        "api": await client.api("GET", "/api/pupils"),
        "csv download": await client.page("/pupils/export.csv"),
        "sign-out": await client.submit("/sign-out", {}),
    }
    assert answers["page"].status_code == 200 and "Ada" in answers["page"].text
    assert answers["missing page"].status_code == 404
    assert answers["api"].headers["content-type"].startswith("application/json")
    assert (
        answers["csv download"].headers["content-type"].startswith("text/csv")
        and "Ada" in answers["csv download"].text
    )
    assert answers["sign-out"].status_code == 303
    for name, response in answers.items():
        assert response.headers.get("cache-control") == "no-store", name


async def test_the_static_assets_may_be_cached(client):
    response = await client.page("/static/dist/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("cache-control", "")
    assert (await client.page("/sign-in")).headers["cache-control"] == "no-store"
