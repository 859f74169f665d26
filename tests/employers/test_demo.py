"""The demo data gives employers compliance records a newcomer can explore."""

from __future__ import annotations

from sqlalchemy import select

from demo.data import load_demo
from employers.compliance import insurance_warning, matching_problems
from employers.models import Employer, EmployerCompliance, EmployerStatus
from placements.clock import today


async def test_demo_employers_have_records_one_expiring_one_lapsed_three_pending(client, db, settings):
    await load_demo(db, settings)
    await db.commit()
    rows = (await db.execute(select(Employer, EmployerCompliance).join(EmployerCompliance))).all()
    assert len(rows) == 40
    day = today()
    warned = [e.name for e, c in rows if insurance_warning(c, day)]
    lapsed = [e.name for e, c in rows if any("expired" in p for p in matching_problems(e, c, day))]
    pending = [e.name for e, _ in rows if e.status is EmployerStatus.PENDING]
    eligible = [e.name for e, c in rows if not matching_problems(e, c, day)]
    assert len(warned) == 1 and len(lapsed) == 1 and len(pending) == 3
    assert len(eligible) == 40 - 3 - 1
    assert all(e.pathways for e, _ in rows)
