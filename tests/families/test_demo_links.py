"""The demo prints a few parents' links that work as a parent would use them."""

from __future__ import annotations

from demo.data import load_demo
from demo.families import parent_links, pupil_codes
from tests.support import born


async def test_the_demo_parents_links_open_after_the_childs_date_of_birth(client, db, settings):
    await load_demo(db, settings)
    links = await parent_links(db)
    await db.commit()
    assert len(links) == 3
    path = links[0].key.removeprefix(settings.base_url)
    assert (await client.page(path)).status_code == 200
    confirmed = await client.submit(path, born(links[0]))
    assert confirmed.status_code == 303
    page = await client.page(f"{path}/consent")
    assert links[0].pupil.split()[0] in page.text and "Do you give consent" in page.text


async def test_the_demo_pupils_codes_sign_in(client, db, settings):
    await load_demo(db, settings)
    codes = await pupil_codes(db)
    await db.commit()
    assert len(codes) == 3
    signed_in = await client.submit("/pupil/sign-in", {"code": codes[0].key, **born(codes[0])})
    assert signed_in.status_code == 303
    home = await client.page("/pupil")
    assert codes[0].pupil.split()[0] in home.text and "Your placement choices" in home.text
