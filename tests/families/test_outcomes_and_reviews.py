"""After publication a pupil and their parent read the outcome and why, and ask for a review that a
coordinator decides with a reason the family is told; every refusal of a review."""

from __future__ import annotations

import re

from sqlalchemy import func, select, update

from employers.models import Placement
from families import pupil_services, reviews
from families.models import ReviewRequest
from families.outcomes import why
from matching.models import FollowUp, Outcome, Reply
from matching.reports.services import RoundReport, Scope, round_report
from placements.accounts.models import Role
from placements.audit.models import AuditEntry
from placements.clock import today
from placements.notifications.models import OutboxMessage
from programme.models import Stage
from tests.families.conftest import PARENT_EMAIL
from tests.support import (
    born,
    emailed_link,
    make_user,
    run_queued_jobs,
    second_browser,
)


async def test_a_parent_reads_the_outcome_asks_for_a_review_and_hears_the_decision(
    client, app, db, published
):
    _, staff, coordinator, placed, _ = published
    await client.sign_in(staff)
    # A paper consent is on record; after publication the school sends a link to read the outcome.
    assert (await client.submit(f"/consent-requests/{placed.id}/email", {})).status_code == 303
    path = await emailed_link(db, PARENT_EMAIL, "parents")
    async with second_browser(app) as parent:
        await parent.submit(path, born(placed))
        page = await parent.page(f"{path}/consent")
        assert "The outcome for" in page.text and "Web team helper" in page.text
        assert "You got your second choice" in page.text and "Ask for a review" in page.text
        assert f'action="{path}/review"' in (await parent.page(f"{path}/review")).text
        empty = await parent.submit(f"{path}/review", {"reason": "  "})
        assert empty.status_code == 400 and "Say why you would like the outcome reviewed" in empty.text
        asked = await parent.submit(f"{path}/review", {"reason": "The placement is two buses away."})
        assert asked.status_code == 303
        again = await parent.submit(f"{path}/review", {"reason": "Please look again."})
        assert again.status_code == 400 and "already been asked for" in again.text
        assert "A review was asked for on" in (await parent.page(f"{path}/consent")).text

        await client.sign_in(coordinator)
        queue = await client.page("/reviews")
        review_id = re.search(r'href="/reviews/([0-9a-f-]{36})"', queue.text).group(1)
        shown = await client.page(f"/reviews/{review_id}")
        assert "The placement is two buses away." in shown.text and "You got your second choice" in shown.text
        refused = await client.submit(f"/reviews/{review_id}", {"decision": "upheld"})
        assert refused.status_code == 400 and "Give the reason for the decision" in refused.text
        decided = await client.submit(
            f"/reviews/{review_id}", {"decision": "upheld", "decision_reason": "A bus pass is provided."}
        )
        assert decided.status_code == 303
        twice = await client.submit(f"/reviews/{review_id}", {"decision": "changed", "decision_reason": "x"})
        assert twice.status_code == 400 and "already been decided" in twice.text
        after = await parent.page(f"{path}/consent")
        assert "A bus pass is provided." in after.text
    await db.commit()
    to = set(
        await db.scalars(select(OutboxMessage.to_address).where(OutboxMessage.subject.like("The review of%")))
    )
    assert to == {PARENT_EMAIL, staff.email}
    actions = set(await db.scalars(select(AuditEntry.action).where(AuditEntry.record_id == str(placed.id))))
    assert {"review_requested", "review_viewed", "review_decided"} <= actions


async def test_a_pupil_reads_an_unplaced_outcome_and_asks_for_a_review(client, app, db, published):
    round_, staff, coordinator, _, unplaced = published
    code = await pupil_services.issue_code(db, pupil=unplaced, round_=round_, actor=staff, ip_address=None)
    await db.commit()
    async with second_browser(app) as phone:
        await phone.submit("/pupil/sign-in", {"code": code, **born(unplaced)})
        home = await phone.page("/pupil")
        assert "Your placement" in home.text and "Not placed" in home.text
        assert "every placement you could go to was already full" in home.text
        assert 'action="/pupil/review"' in (await phone.page("/pupil/review")).text
        asked = await phone.submit("/pupil/review", {"reason": "I would travel further."})
        assert asked.status_code == 303
    await client.sign_in(coordinator)
    assert "1 review request waiting for a decision" in (await client.page("/")).text
    review = await db.scalar(select(ReviewRequest))
    assert (review.requested_by, review.reason) == ("pupil", "I would travel further.")
    export = await client.api("GET", f"/api/pupils/{unplaced.id}/subject-access-export")
    held = export.json()
    assert held["review_requests"][0]["reason"] == "I would travel further."
    assert len(held["sign_in_codes"]) == 1 and held["sign_in_codes"][0]["last_signed_in_at"]
    assert "secret_hash" not in export.text


async def test_before_results_there_is_no_letter_reviews_are_refused_and_the_queue_is_the_coordinators(
    client, app, db, published
):
    round_, staff, _, placed, _ = published
    round_.stage = Stage.PREFERENCES_CLOSED
    await db.commit()
    code = await pupil_services.issue_code(db, pupil=placed, round_=round_, actor=staff, ip_address=None)
    await db.commit()
    async with second_browser(app) as phone:
        await phone.submit("/pupil/sign-in", {"code": code, **born(placed)})
        home = await phone.page("/pupil")
        assert "Web team helper" not in home.text and "/pupil/letter" not in home.text  # nothing yet
        for path in ("/pupil/letter", "/pupil/letter.pdf", "/pupil/certificate.pdf"):
            assert (await phone.page(path)).status_code == 404
        early = await phone.submit("/pupil/review", {"reason": "Too soon"})
        assert early.status_code == 400 and "only while the round" in early.text
    await client.sign_in(staff)
    assert (await client.page("/reviews")).status_code == 403
    assert await db.scalar(select(func.count()).select_from(ReviewRequest)) == 0


def test_each_kind_of_result_is_explained_plainly():
    def outcome(**fields):
        return Outcome(**{"placement_id": None, "rank": None, "explanation": "", **fields})

    placed = "00000000-0000-0000-0000-000000000001"
    assert why(outcome(placement_id=placed, rank=1, explanation="choice 1")) == "You got your first choice."
    assert why(outcome(placement_id=placed, rank=3, explanation="choice 3: ...")).startswith(
        "You got your third"
    )
    assert "open to other placements" in why(
        outcome(placement_id=placed, explanation="unlisted placement: x")
    )
    assert "by hand" in why(outcome(placement_id=placed, explanation="fixed by the coordinator"))
    assert "no choices were made" in why(outcome(explanation="unplaced: no choices listed"))
    assert "could take you" in why(outcome(explanation="unplaced: no eligible choice (P1 is too far)"))


async def test_a_pupil_downloads_an_agreed_placement_as_a_calendar(client, app, db, published):
    round_, staff, _, placed, _ = published
    code = await pupil_services.issue_code(db, pupil=placed, round_=round_, actor=staff, ip_address=None)
    await db.commit()
    async with second_browser(app) as phone:
        await phone.submit("/pupil/sign-in", {"code": code, **born(placed)})
        assert (await phone.page("/pupil/calendar.ics")).status_code == 404  # not agreed yet
        await db.execute(
            update(Placement).values(joining={"ask_for": "Priya at reception", "lunch": "Provided"})
        )
        await db.commit()
        assert "Priya at reception" not in (await phone.page("/pupil")).text
        await db.execute(update(Outcome).values(employer_reply=Reply.YES, school_reply=Reply.YES))
        await db.commit()
        home = await phone.page("/pupil")
        assert "Add the placement weeks to your calendar" in home.text
        assert "Joining instructions" in home.text and "Priya at reception" in home.text
        calendar = await phone.page("/pupil/calendar.ics")
    assert calendar.headers["content-type"].startswith("text/calendar")
    body = calendar.text
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.count("BEGIN:VEVENT") == 2
    assert "SUMMARY:Work placement: Web team helper (Ribble Data Ltd)" in body
    assert "LOCATION:1 Fishergate" in body


async def test_the_school_asks_for_a_review_for_a_family(client, db, published):
    _, staff, _, _, unplaced = published
    await client.sign_in(staff)
    outcome_id = await db.scalar(select(Outcome.id).where(Outcome.pupil_id == unplaced.id))
    assert f"/review-requests/{unplaced.id}" in (await client.page(f"/outcomes/{outcome_id}")).text
    form = await client.page(f"/review-requests/{unplaced.id}")
    assert f'action="/review-requests/{unplaced.id}"' in form.text
    asked = await client.submit(
        f"/review-requests/{unplaced.id}", {"reason": "Her parent phoned: she can travel."}
    )
    assert asked.status_code == 303
    await run_queued_jobs()  # the coordinators' emails are sent before the test writes again
    await db.commit()  # see what the request wrote
    review = await db.scalar(select(ReviewRequest))
    assert (review.requested_by, review.pupil_id) == ("school", unplaced.id)
    stranger = await make_user(db, Role.SCHOOL_STAFF)
    await client.sign_in(stranger)
    assert (await client.page(f"/review-requests/{unplaced.id}")).status_code == 404
    assert (await client.submit(f"/review-requests/{unplaced.id}", {"reason": "x"})).status_code == 404


async def test_once_the_placement_has_begun_the_pupil_reflects_and_reads_the_hosts_feedback(
    client, app, db, published
):
    round_, staff, _, placed, _ = published
    year, week, _ = today().isocalendar()
    await db.execute(update(Placement).values(weeks=[f"{year}-W{week:02d}"]))
    await db.execute(update(Outcome).values(employer_reply=Reply.YES, school_reply=Reply.YES))
    outcome_id = await db.scalar(select(Outcome.id).where(Outcome.pupil_id == placed.id))
    db.add(FollowUp(outcome_id=outcome_id, employer_feedback="Curious and kind to customers."))
    code = await pupil_services.issue_code(db, pupil=placed, round_=round_, actor=staff, ip_address=None)
    await db.commit()
    async with second_browser(app) as phone:
        await phone.submit("/pupil/sign-in", {"code": code, **born(placed)})
        home = await phone.page("/pupil")
        assert "What your host said" in home.text and "Curious and kind to customers." in home.text
        empty = await phone.submit("/pupil/reflection", {"reflection": " "})
        assert "Write your reflection first" in (await phone.page(empty.headers["location"])).text
        saved = await phone.submit("/pupil/reflection", {"reflection": "I fixed a bug in a real website."})
        assert saved.status_code == 303
        assert "I fixed a bug in a real website." in (await phone.page("/pupil")).text
    await db.commit()
    follow_up = await db.scalar(select(FollowUp).where(FollowUp.outcome_id == outcome_id))
    assert follow_up.reflection == "I fixed a bug in a real website."
    labels = set(
        await db.scalars(select(AuditEntry.actor_label).where(AuditEntry.action == "reflection_written"))
    )
    assert labels == {"pupil (sign-in code)"}


async def test_the_reports_count_reviews_by_who_asked_and_what_was_decided(client, db, published):
    round_, staff, coordinator, placed, unplaced = published
    employer = await make_user(db, Role.EMPLOYER_USER)
    other = await make_user(db, Role.SCHOOL_STAFF)
    for pupil, by, decision in ((placed, "parent", "upheld"), (unplaced, "school", None)):
        review = await reviews.request_review(
            db,
            round_=round_,
            pupil=pupil,
            reason="Please look again",
            requested_by=by,
            label=by,
            ip_address=None,
        )
        if decision:
            await reviews.decide(
                db, review=review, decision=decision, reason="Fair", actor=coordinator, ip_address=None
            )
    await db.commit()
    expected = {
        "Asked for": 2,
        "By a parent or carer": 1,
        "By the pupil": 0,
        "By the school": 1,
        "Waiting for a decision": 1,
        "Outcome kept": 1,
        "Outcome changed": 0,
    }
    await client.sign_in(coordinator)
    page = await client.page(f"/reports/{round_.id}")
    assert "Reviews of outcomes asked for" in page.text
    body = (await client.api("GET", f"/api/rounds/{round_.id}/report")).json()
    assert {
        row["label"]: row["count"] for row in body["sections"]["Reviews of outcomes asked for"]
    } == expected
    snapshot = RoundReport.from_snapshot((await round_report(db, round_, Scope())).snapshot())
    assert dict(snapshot.sections[0][1]) == expected  # the counts outlive the pupils' data
    await db.commit()

    await client.sign_in(staff)
    mine = (await client.api("GET", f"/api/rounds/{round_.id}/report")).json()["sections"]
    assert mine["Reviews of outcomes asked for"][0] == {"label": "Asked for", "count": 2}
    await client.sign_in(other)
    theirs = (await client.api("GET", f"/api/rounds/{round_.id}/report")).json()["sections"]
    assert theirs["Reviews of outcomes asked for"][0] == {"label": "Asked for", "count": 0}
    await client.sign_in(employer)
    assert (await client.api("GET", f"/api/rounds/{round_.id}/report")).json()["sections"] == {}
    assert "Reviews of outcomes" not in (await client.page(f"/reports/{round_.id}")).text
