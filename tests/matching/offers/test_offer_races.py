"""Twenty answers to one offer at the same moment: exactly one wins, the others are told it was
already answered; one audit entry, and the other side is emailed once."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from matching.models import Outcome, Reply
from placements.audit.models import AuditEntry
from placements.notifications.models import OutboxMessage
from tests.matching.offers.test_api_offers import _employer_user, _offer_of, _published

AT_ONCE = 20


async def _entries(db, offer: Outcome, *actions: str) -> int:
    return await db.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.record_id == str(offer.id), AuditEntry.action.in_(actions))
    )


async def test_twenty_answers_at_once_one_wins(client, db, scenario):
    s = await scenario(capacities=(3, 3))
    offer = _offer_of(await _published(db, s), s.pupils[0][0])
    emails_before = await db.scalar(select(func.count()).select_from(OutboxMessage))
    await client.sign_in(s.school_staff[0])
    path = f"/api/outcomes/{offer.id}/answer"
    bodies = [
        {"accept": True} if n % 2 else {"accept": False, "reason": f"Reason {n}"} for n in range(AT_ONCE)
    ]
    responses = await asyncio.gather(*(client.api("POST", path, json=body) for body in bodies))

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * (AT_ONCE - 1), [r.text for r in responses if r.status_code != 409]
    # The losers hear the offer was answered (or, after a decline, that it has ended).
    assert {r.json()["detail"] for r in responses if r.status_code == 409} <= {
        "Your side has already answered this offer",
        "This offer has ended: declined by the school",
    }
    winner = next(r.json() for r in responses if r.status_code == 200)
    await db.commit()
    await db.refresh(offer)
    assert offer.school_reply is (Reply.YES if winner["school_reply"] == "yes" else Reply.NO)
    assert await _entries(db, offer, "offer_accepted", "offer_declined") == 1
    emails = await db.scalar(select(func.count()).select_from(OutboxMessage)) - emails_before
    if offer.school_reply is Reply.NO:
        # The employer's users and the coordinator hear of the one decline, once each.
        assert emails == 2
    else:
        assert emails == 0


async def test_twenty_withdrawals_at_once_one_wins(client, db, scenario):
    s = await scenario(capacities=(3, 3))
    offer = _offer_of(await _published(db, s), s.pupils[0][0])
    offer.school_reply = offer.employer_reply = Reply.YES
    await db.commit()
    await client.sign_in(_employer_user(s, offer))
    path = f"/api/outcomes/{offer.id}/withdraw"
    responses = await asyncio.gather(
        *(client.api("POST", path, json={"reason": f"Office closed {n}"}) for n in range(AT_ONCE))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * (AT_ONCE - 1), [r.text for r in responses if r.status_code != 409]
    await db.commit()
    await db.refresh(offer)
    assert offer.withdrawn_by == "employer"
    assert await _entries(db, offer, "offer_withdrawn") == 1
