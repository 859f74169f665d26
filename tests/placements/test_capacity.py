"""Past the requests a process may work on at once, the excess is refused at once with 503."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from litestar import get
from litestar.params import FromPath

from placements.accounts.guards import PUBLIC
from placements.app import create_app
from placements.settings import SettingsError, get_settings, settings_from_env
from tests.support import serving_client


async def test_requests_past_the_limit_get_503_with_retry_after_at_once(db):
    app = create_app(dataclasses.replace(get_settings(), concurrent_requests=2))
    release = asyncio.Event()

    @get("/held", opt=PUBLIC)
    async def held() -> str:
        await release.wait()
        return "done"

    @get("/broken", opt=PUBLIC)
    async def broken() -> str:
        raise RuntimeError("a bug in one page")

    app.register(held)
    app.register(broken)
    async with serving_client(app) as client:
        holding = [asyncio.create_task(client.get("/held")) for _ in range(2)]
        await asyncio.sleep(0.2)  # both are being worked on

        page = await client.page("/sign-in")
        assert page.status_code == 503
        assert page.headers["retry-after"] == "2"
        assert "The service is busy" in page.text
        assert page.headers["cache-control"] == "no-store"  # the security headers as on every answer
        assert page.headers["content-security-policy"]
        api = await client.get("/api/me")
        assert api.status_code == 503 and api.json()["detail"].startswith("The service is busy")
        assert (await client.get("/health")).status_code == 200  # busy is not down

        release.set()
        assert [(await answer).status_code for answer in holding] == [200, 200]
        # Every request gave its place back, the failed ones too.
        for _ in range(3):
            assert (await client.get("/broken")).status_code == 500
        assert (await client.page("/sign-in")).status_code == 200


async def test_half_the_admitted_requests_are_worked_on_and_the_rest_wait_their_turn(db):
    app = create_app(dataclasses.replace(get_settings(), concurrent_requests=4))
    release, entered = asyncio.Event(), []

    @get("/held/{n:int}", opt=PUBLIC)
    async def held(n: FromPath[int]) -> str:
        entered.append(n)
        await release.wait()
        return "done"

    app.register(held)
    async with serving_client(app) as client:
        holding = []
        for n in range(4):
            holding.append(asyncio.create_task(client.get(f"/held/{n}")))
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        assert entered == [0, 1]  # two worked on; two admitted, waiting in order
        assert (await client.get("/held/4")).status_code == 503  # four admitted: the fifth is refused

        release.set()
        assert [(await answer).status_code for answer in holding] == [200] * 4
        assert entered == [0, 1, 2, 3]


def test_the_limit_is_set_by_environment_and_must_be_a_positive_count():
    assert settings_from_env({"CONCURRENT_REQUESTS": "8"}).concurrent_requests == 8
    assert settings_from_env({}).concurrent_requests == 24
    for wrong in ("0", "-1", "many", "2.5"):
        with pytest.raises(SettingsError, match="CONCURRENT_REQUESTS"):
            settings_from_env({"CONCURRENT_REQUESTS": wrong})
