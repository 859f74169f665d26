"""The audit log names the records its entries point at, not their database ids."""

from __future__ import annotations

from tests.matching.pages_support import close_preferences


async def test_the_audit_log_names_rounds_pupils_and_placements(client, db, scenario):
    s = await scenario(pupils_per_school=1)
    pupil, placement = s.pupils[0][0], s.placements[0]
    await close_preferences(db, s)
    await client.sign_in(s.coordinator)
    forbid = {"kind": "forbid", "placement_id": str(placement.id), "reason": "Exams that week"}
    assert (
        await client.submit(f"/rounds/{s.round.id}/adjustments/new?pupil={pupil.id}", forbid)
    ).status_code == 303

    log = (await client.page("/audit")).text
    assert f"Round: {s.round.name}" in log
    assert f"Pupil: {pupil.first_name} {pupil.last_name} ({pupil.reference}, {s.schools[0].name})" in log
    assert f"User: {s.coordinator.name} ({s.coordinator.email})" in log
    for record in (s.round, pupil, placement, s.coordinator):
        assert str(record.id) not in log.split("<tbody")[1]
