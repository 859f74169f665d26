"""Matched pupils' data: every list and download that names them is audited, and a suspended or
rejected organisation's users see none of it from the moment of the decision."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from employers import services as employer_services
from placements.audit.models import AuditEntry
from tests.matching.published import publish_choices


async def _reads(db) -> list[AuditEntry]:
    await db.commit()
    return list(
        await db.scalars(
            select(AuditEntry).where(AuditEntry.action == "pupil_data_read").order_by(AuditEntry.at)
        )
    )


@pytest.fixture
async def published(db, scenario):
    s = await scenario(capacities=(2, 2))
    placement = s.placements[1]
    pupils = [s.pupils[0][0], s.pupils[1][0]]
    outcomes = await publish_choices(db, s, {pupil: [placement] for pupil in pupils})
    await db.commit()
    return s, pupils, outcomes


async def test_an_employers_matches_and_their_download_are_audited(client, db, published):
    s, pupils, _outcomes = published
    await client.sign_in(s.employer_users[1])
    assert (await client.page("/matches")).status_code == 200
    download = await client.page(f"/reports/{s.round.id}/downloads/outcomes.csv")
    assert download.status_code == 200 and pupils[0].first_name in download.text
    listed, downloaded = await _reads(db)
    assert listed.detail["path"] == "/matches" and listed.actor_id == s.employer_users[1].id
    assert downloaded.detail["path"].endswith("/downloads/outcomes.csv")
    for entry in (listed, downloaded):
        assert entry.detail["ids"] == sorted(str(p.id) for p in pupils)


async def test_a_coordinators_pupil_by_pupil_pages_are_audited(client, db, published):
    s, pupils, outcomes = published
    await client.sign_in(s.coordinator)
    run_id = next(iter(outcomes.values())).run_id
    assert (await client.page(f"/runs/{run_id}/pupils")).status_code == 200
    [entry] = await _reads(db)
    assert entry.detail["count"] == len(pupils) and entry.actor_id == s.coordinator.id


@pytest.mark.parametrize("decision", ["suspend", "reject"])
async def test_a_suspended_or_rejected_organisation_sees_no_pupil_at_once(client, db, published, decision):
    s, pupils, outcomes = published
    employer_user = s.employer_users[1]
    await client.sign_in(employer_user)
    match = f"/matches/{outcomes[pupils[0].id].id}"
    assert (await client.page(match)).status_code == 200
    employer = s.employers[1]
    if decision == "reject":  # only a pending organisation can be rejected: as if it never was approved
        employer.status = employer.status.PENDING
    await getattr(employer_services, f"{decision}_employer")(
        db, employer=employer, reason="Insurance", actor=s.coordinator, ip_address=None
    )
    await db.commit()
    # The same session, signed in before the decision.
    matches = await client.page("/matches")
    assert pupils[0].first_name not in matches.text
    assert (await client.page(match)).status_code == 404
    assert (await client.api("GET", f"/api/outcomes/{outcomes[pupils[0].id].id}")).status_code == 404
    download = await client.page(f"/reports/{s.round.id}/downloads/outcomes.csv")
    assert pupils[0].first_name not in download.text
