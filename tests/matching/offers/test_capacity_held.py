"""A placement's places cannot drop below the offers it holds, on the page or through the API."""

from __future__ import annotations

from employers.models import Placement
from tests.employers.test_placements import FORM
from tests.matching.offers.test_api_offers import _employer_user, _offer_of, _published
from tests.support import assert_refused


async def test_places_cannot_drop_below_the_offers_held(client, db, scenario):
    s = await scenario(capacities=(3, 3))
    offers = await _published(db, s)
    offer = _offer_of(offers, s.pupils[0][0])
    placement = await db.get_one(Placement, offer.placement_id)
    held = sum(1 for o in offers if o.placement_id == placement.id)
    assert held == 3
    await client.sign_in(_employer_user(s, offer))
    form = {**FORM, "weeks": list(placement.weeks)}

    refused = await client.submit(f"/placements/{placement.id}/edit", {**form, "capacity": str(held - 1)})
    assert refused.status_code == 400
    assert "This placement holds 3 offers: it needs at least 3 places" in refused.text
    assert 'href="#capacity"' in refused.text  # the error summary points at the field

    body = (await client.api("GET", f"/api/placements/{placement.id}")).json()
    body = {
        key: body[key]
        for key in (
            "title",
            "description",
            "pathway",
            "work_mode",
            "address",
            "postcode",
            "weeks",
            "year_groups",
            "supervisor_name",
            "status",
        )
    }
    api = await client.api("PUT", f"/api/placements/{placement.id}", json={**body, "capacity": 1})
    assert_refused(api, "needs at least 3 places", field="capacity")
    await db.refresh(placement)
    assert placement.capacity == 3

    kept = await client.api("PUT", f"/api/placements/{placement.id}", json={**body, "capacity": held})
    assert kept.status_code == 200, kept.text
    assert kept.json()["capacity"] == held
