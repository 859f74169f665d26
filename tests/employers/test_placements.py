"""Posting placements (create, edit, copy from last year, withdraw) and browsing them."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from employers.models import EmployerStatus, Placement, PlacementStatus, WorkMode
from placements.accounts.models import Role
from placements.audit.models import AuditEntry
from placements.geo import district_centroid
from programme.models import Stage
from tests.support import (
    assert_refused,
    make_compliance,
    make_employer,
    make_placement,
    make_round,
    make_school,
    make_user,
)

FORM = {
    "title": "Junior web developer",
    "description": "Build a page of our website with the team.",
    "pathway": "software",
    "skills": "HTML, teamwork",
    "work_mode": "on_site",
    "address": "1 Fishergate",
    "town": "Preston",
    "postcode": "PR1 2HE",
    "lat": "",
    "lon": "",
    "capacity": "3",
    "year_groups": ["10", "12"],
    "min_age": "14",
    "accessibility_notes": "Step-free access",
    "supervisor_name": "Sue Pervisor",
    "status": "published",
}


async def _count(db) -> int:
    await db.commit()
    return await db.scalar(select(func.count()).select_from(Placement)) or 0


async def test_post_a_placement_on_the_page(client, db):
    current = await make_round(db, programme_year=2027)
    user = await make_user(db, Role.EMPLOYER_USER)
    await client.sign_in(user)
    form = await client.page("/placements/new")
    assert form.status_code == 200 and "2027-W25" in form.text

    joining = {
        "joining_arrival": "9am at reception",
        "joining_lunch": "Bring a packed lunch",
        "joining_bring": "",
    }
    response = await client.submit("/placements/new", {**FORM, "weeks": ["2027-W25", "2027-W27"], **joining})
    assert response.status_code == 303, response.text
    await db.commit()
    placement = await db.scalar(select(Placement))
    assert placement.joining == {"arrival": "9am at reception", "lunch": "Bring a packed lunch"}
    assert placement.round_id == current.id and placement.employer_id == user.employer_id
    assert placement.weeks == ["2027-W25", "2027-W27"] and placement.year_groups == [10, 12]
    assert (placement.lat, placement.lon) == district_centroid("PR1 2HE")
    assert placement.status is PlacementStatus.PUBLISHED
    shown = await client.page(response.headers["location"])
    assert "Junior web developer" in shown.text
    assert await db.scalar(select(AuditEntry).where(AuditEntry.action == "placement_created"))


async def test_validation_messages_next_to_the_fields_and_nothing_saved(client, db):
    await make_round(db, programme_year=2027)
    await client.sign_in(await make_user(db, Role.EMPLOYER_USER))
    response = await client.submit(
        "/placements/new",
        {
            **FORM,
            "title": "",
            "pathway": "",
            "postcode": "",
            "capacity": "0",
            "year_groups": [],
            "weeks": ["2030-W01"],
            "supervisor_name": "",
            "min_age": "abc",
        },
    )
    assert response.status_code == 400
    for field, message in [
        ("title", "Enter a title for the placement"),
        ("pathway", "Select the pathway"),
        ("postcode", "Enter the postcode where the pupil will work"),
        ("capacity", "Enter a number of places from 1 to 50"),
        ("year_groups", "Select the year groups the placement suits"),
        ("weeks", "Select weeks from the round&#39;s placement weeks"),
        ("supervisor_name", "Enter the name of the person who will supervise the pupil"),
        ("min_age", "Enter a minimum age from 13 to 19, or leave it blank"),
    ]:
        assert message in response.text, message
        assert f'href="#{field}"' in response.text
    assert 'value="Build a page' not in response.text  # a textarea keeps it as its content
    assert "Build a page of our website with the team." in response.text
    assert await _count(db) == 0


async def test_remote_placements_need_no_address(client, db):
    await make_round(db, programme_year=2027)
    await client.sign_in(await make_user(db, Role.EMPLOYER_USER))
    response = await client.submit(
        "/placements/new",
        {**FORM, "work_mode": "remote", "address": "", "postcode": "", "weeks": ["2027-W26"]},
    )
    assert response.status_code == 303
    await db.commit()
    placement = await db.scalar(select(Placement))
    assert placement.work_mode is WorkMode.REMOTE and placement.postcode is None and placement.lat is None


async def test_edit_and_withdraw_with_confirmation(client, db):
    current = await make_round(db, programme_year=2027)
    user = await make_user(db, Role.EMPLOYER_USER)
    placement = await make_placement(db, user.employer_id, current.id)
    await client.sign_in(user)
    form = await client.page(f"/placements/{placement.id}/edit")
    assert form.status_code == 200 and placement.title in form.text

    bad = await client.submit(
        f"/placements/{placement.id}/edit", {**FORM, "title": "", "weeks": ["2027-W25"]}
    )
    assert bad.status_code == 400
    saved = await client.submit(
        f"/placements/{placement.id}/edit",
        {**FORM, "title": "Renamed", "weeks": ["2027-W28"], "status": "draft"},
    )
    assert saved.status_code == 303
    await db.commit()
    await db.refresh(placement)
    assert (
        placement.title == "Renamed"
        and placement.weeks == ["2027-W28"]
        and placement.status is PlacementStatus.DRAFT
    )

    confirm = await client.page(f"/placements/{placement.id}/withdraw")
    assert confirm.status_code == 200 and "Withdraw Renamed?" in confirm.text
    withdrawn = await client.submit(f"/placements/{placement.id}/withdraw", {})
    assert withdrawn.status_code == 303
    await db.commit()
    await db.refresh(placement)
    assert placement.status is PlacementStatus.WITHDRAWN
    refused = await client.submit(f"/placements/{placement.id}/edit", {**FORM, "weeks": ["2027-W25"]})
    assert refused.status_code == 400 and "copy it to offer it again" in refused.text
    actions = set(await db.scalars(select(AuditEntry.action)))
    assert {"placement_changed", "placement_withdrawn"} <= actions


async def test_copy_from_last_year_into_the_current_round_as_a_draft(client, db):
    last_year = await make_round(db, programme_year=2026, stage=Stage.CLOSED)
    current = await make_round(db, programme_year=2027)
    user = await make_user(db, Role.EMPLOYER_USER)
    old = await make_placement(
        db, user.employer_id, last_year.id, title="Data helper", weeks=["2026-W26", "2026-W30"]
    )
    await client.sign_in(user)

    listing = await client.page("/placements/copy")
    assert listing.status_code == 200 and "Data helper" in listing.text
    response = await client.submit(f"/placements/{old.id}/copy", {})
    assert response.status_code == 303
    await db.commit()
    copy = await db.scalar(select(Placement).where(Placement.round_id == current.id))
    assert (
        copy.title == "Data helper" and copy.status is PlacementStatus.DRAFT and copy.copied_from_id == old.id
    )
    assert copy.weeks == ["2027-W26"]  # week 30 is not in this round
    assert response.headers["location"] == f"/placements/{copy.id}/edit"

    api = await client.api("POST", f"/api/placements/{old.id}/copy")
    assert api.status_code == 201 and api.json()["status"] == "draft"
    same_round = await client.api("POST", f"/api/placements/{copy.id}/copy")
    assert same_round.status_code == 409


async def test_the_placements_api(client, db):
    current = await make_round(db, programme_year=2027)
    user = await make_user(db, Role.EMPLOYER_USER)
    await client.sign_in(user)
    body = {
        "title": "Helpdesk assistant",
        "description": "Answer calls with us.",
        "pathway": "IT support",
        "work_mode": "hybrid",
        "address": "9 Lord Street",
        "postcode": "BB1 7DH",
        "weeks": ["2027-W25"],
        "capacity": 2,
        "year_groups": [12],
        "supervisor_name": "Ian",
        "status": "published",
    }
    created = await client.api("POST", "/api/placements", json=body)
    assert created.status_code == 201, created.text
    placement = created.json()
    assert placement["round_id"] == str(current.id) and (
        placement["lat"],
        placement["lon"],
    ) == district_centroid("BB1 7DH")

    wrong_week = await client.api("POST", "/api/placements", json={**body, "weeks": ["2031-W01"]})
    assert_refused(wrong_week, "placement weeks", field="weeks")
    no_address = await client.api("POST", "/api/placements", json={**body, "address": None})
    assert_refused(no_address, field="address")
    shape = await client.api("POST", "/api/placements", json={**body, "capacity": 0})
    assert shape.status_code == 400

    changed = await client.api("PUT", f"/api/placements/{placement['id']}", json={**body, "capacity": 4})
    assert changed.status_code == 200 and changed.json()["capacity"] == 4
    joining = {"ask_for": "Priya at the front desk", "dress_code": "Smart casual"}
    instructed = await client.api(
        "PUT", f"/api/placements/{placement['id']}", json={**body, "joining": joining}
    )
    assert instructed.json()["joining"] == joining
    too_long = await client.api(
        "PUT", f"/api/placements/{placement['id']}", json={**body, "joining": {"lunch": "x" * 501}}
    )
    assert too_long.status_code == 400
    listed = await client.api("GET", "/api/placements")
    assert [p["id"] for p in listed.json()["items"]] == [placement["id"]]
    withdrawn = await client.api("POST", f"/api/placements/{placement['id']}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert (await client.api("POST", f"/api/placements/{placement['id']}/withdraw")).status_code == 409
    assert await _count(db) == 1


async def _browse_world(db):
    current = await make_round(db, programme_year=2027)
    preston = await make_school(db, lat=53.7632, lon=-2.7031)
    school_user = await make_user(db, Role.SCHOOL_STAFF, school_id=preston.id)

    good = await make_employer(db, name="Good Ltd")
    await make_compliance(db, good.id)
    pending = await make_employer(db, name="Pending Ltd", status=EmployerStatus.PENDING)
    await make_compliance(db, pending.id)
    lapsed = await make_employer(db, name="Lapsed Ltd")
    await make_compliance(db, lapsed.id, insurance_expires_on=date(2020, 1, 1))
    incomplete = await make_employer(db, name="Incomplete Ltd")

    placements = {
        "preston": await make_placement(db, good.id, current.id, title="Preston software", town="Preston"),
        "lancaster": await make_placement(
            db,
            good.id,
            current.id,
            title="Lancaster data",
            pathway="data",
            town="Lancaster",
            postcode="LA1 1PJ",
            lat=54.0466,
            lon=-2.8007,
            weeks=["2027-W27"],
            year_groups=[12],
        ),
        "remote": await make_placement(
            db,
            good.id,
            current.id,
            title="Remote design",
            pathway="design",
            work_mode=WorkMode.REMOTE,
            address=None,
            postcode=None,
            town=None,
            lat=None,
            lon=None,
        ),
        "draft": await make_placement(
            db, good.id, current.id, title="Draft one", status=PlacementStatus.DRAFT
        ),
        "withdrawn": await make_placement(
            db, good.id, current.id, title="Gone", status=PlacementStatus.WITHDRAWN
        ),
        "pending": await make_placement(db, pending.id, current.id, title="Pending employer's"),
        "lapsed": await make_placement(db, lapsed.id, current.id, title="Lapsed employer's"),
        "incomplete": await make_placement(db, incomplete.id, current.id, title="Incomplete employer's"),
    }
    return school_user, placements


async def _titles(client, query: str) -> list[str]:
    response = await client.api("GET", f"/api/placements?{query}")
    assert response.status_code == 200, response.text
    return sorted(p["title"] for p in response.json()["items"])


async def test_schools_see_only_published_placements_of_approved_eligible_employers(client, db):
    school_user, placements = await _browse_world(db)
    await client.sign_in(school_user)
    assert await _titles(client, "") == ["Lancaster data", "Preston software", "Remote design"]
    for hidden in ("draft", "withdrawn", "pending", "lapsed", "incomplete"):
        response = await client.page(f"/placements/{placements[hidden].id}")
        assert response.status_code == 404, hidden
    shown = await client.page(f"/placements/{placements['lancaster'].id}")
    assert shown.status_code == 200 and "km" in shown.text


async def test_schools_filter_by_pathway_town_distance_week_year_group_and_remote(client, db):
    school_user, _ = await _browse_world(db)
    await client.sign_in(school_user)
    assert await _titles(client, "pathway=data") == ["Lancaster data"]
    assert await _titles(client, "town=lanc") == ["Lancaster data"]
    assert await _titles(client, "q=software") == ["Preston software"]
    # Lancaster is about 32 km from the Preston school; remote placements have no distance.
    assert await _titles(client, "within_km=10") == ["Preston software", "Remote design"]
    assert await _titles(client, "within_km=40") == ["Lancaster data", "Preston software", "Remote design"]
    assert await _titles(client, "week=2027-W27") == ["Lancaster data"]
    assert await _titles(client, "year_group=10") == ["Preston software", "Remote design"]
    assert await _titles(client, "work_mode=remote") == ["Remote design"]
    lancaster = (await client.api("GET", "/api/placements?pathway=data")).json()["items"][0]
    assert 30 < lancaster["distance_km"] < 34

    page = await client.page("/placements?pathway=data&within_km=40&year_group=12")
    assert page.status_code == 200
    assert "Lancaster data" in page.text and "Preston software" not in page.text
    assert "km from your school" in page.text


async def test_browse_is_paged(client, db):
    current = await make_round(db, programme_year=2027)
    employer = await make_employer(db)
    await make_compliance(db, employer.id)
    for n in range(30):
        await make_placement(db, employer.id, current.id, title=f"Placement {n:02d}")
    await client.sign_in(await make_user(db, Role.COORDINATOR))
    first = await client.page("/placements")
    assert "Showing 1 to 25 of 30 placements" in first.text
    second = await client.page("/placements?page=2")
    assert "Showing 26 to 30 of 30 placements" in second.text
    api = await client.api("GET", "/api/placements?limit=10&offset=20")
    assert api.json()["total"] == 30 and len(api.json()["items"]) == 10


async def test_employers_see_only_their_own_placements_with_any_status(client, db):
    _school_user, placements = await _browse_world(db)
    other = await make_user(db, Role.EMPLOYER_USER, employer_id=placements["pending"].employer_id)
    await client.sign_in(other)
    assert await _titles(client, "") == ["Pending employer's"]
    page = await client.page("/placements")
    assert "Pending employer&#39;s" in page.text and "Preston software" not in page.text
    assert "A coordinator has not approved the organisation yet" in page.text
