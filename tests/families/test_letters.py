"""After publication each pupil has an outcome letter (a page and a tagged PDF) saying what they got,
why and how to ask for a review, and a certificate once the school records the placement completed:
for the pupil, their parent and their school, and nobody else."""

from __future__ import annotations

import io

from pypdf import PdfReader
from sqlalchemy import select, update

from employers.models import Placement
from families import pupil_services
from matching.models import FollowUp, Outcome
from placements.accounts.models import Role
from placements.audit.models import AuditEntry
from programme.models import Stage
from tests.families.conftest import PARENT_EMAIL
from tests.support import born, emailed_link, make_round, make_user, second_browser


def _tagged_text(response) -> str:
    """The PDF's text, once it is shown to be tagged for screen readers (PDF/UA-1): a structure tree,
    marked content, the document's language, and a title shown instead of the file name."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "no-store"
    pdf = PdfReader(io.BytesIO(response.content))
    root = pdf.trailer["/Root"]
    assert "/StructTreeRoot" in root and bool(root["/MarkInfo"]["/Marked"])
    assert root["/Lang"] == "en-GB" and bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    assert pdf.metadata.title
    return pdf.metadata.title + "\n" + "\n".join(page.extract_text() for page in pdf.pages)


async def test_a_pupil_reads_their_letter_and_keeps_it_as_an_accessible_pdf(client, app, db, published):
    round_, staff, _, placed, unplaced = published
    code = await pupil_services.issue_code(db, pupil=placed, round_=round_, actor=staff, ip_address=None)
    await db.commit()
    async with second_browser(app) as phone:
        assert (await phone.page("/pupil/letter.pdf")).headers["location"] == "/pupil/sign-in"
        await phone.submit("/pupil/sign-in", {"code": code, **born(placed)})
        assert 'href="/pupil/letter"' in (await phone.page("/pupil")).text
        page = await phone.page("/pupil/letter")
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        assert f"Dear {placed.first_name}" in page.text and "You got your second choice" in page.text
        assert "Web team helper" in page.text and "Ask for a review" in page.text
        assert 'href="/pupil/letter.pdf"' in page.text
        text = _tagged_text(await phone.page("/pupil/letter.pdf"))
    assert f"Placement outcome for {placed.first_name} {placed.last_name}" in text
    assert f"Dear {placed.first_name}" in text and "You got your second choice" in text
    assert "Web team helper" in text and "Ribble Data Ltd" in text and "Asking for a review" in text
    assert "/pupil/sign-in" in text and "up to 5 placements" in text
    assert unplaced.first_name not in text and unplaced.last_name not in text
    await db.commit()
    paths = set(
        await db.scalars(
            select(AuditEntry.detail["path"].as_string()).where(AuditEntry.action == "pupil_page_viewed")
        )
    )
    assert {"/pupil/letter", "/pupil/letter.pdf"} <= paths


async def test_a_parent_reads_the_letter_of_an_unplaced_child(client, app, db, published):
    _, staff, _, placed, _ = published
    await client.sign_in(staff)
    assert (await client.submit(f"/consent-requests/{placed.id}/email", {})).status_code == 303
    path = await emailed_link(db, PARENT_EMAIL, "parents")
    async with second_browser(app) as parent:
        assert (await parent.page(f"{path}/letter.pdf")).status_code == 303  # date of birth first
        await parent.submit(path, born(placed))
        assert f'href="{path}/letter"' in (await parent.page(f"{path}/consent")).text
        page = await parent.page(f"{path}/letter")
        assert "You got your second choice" in page.text and f'href="{path}/letter.pdf"' in page.text
        text = _tagged_text(await parent.page(f"{path}/letter.pdf"))
        assert "You got your second choice" in text
        assert (await parent.page(f"{path}/certificate.pdf")).status_code == 404


async def test_the_certificate_comes_once_the_school_records_the_placement_completed(
    client, app, db, published
):
    round_, staff, _, placed, _ = published
    outcome_id = await db.scalar(select(Outcome.id).where(Outcome.pupil_id == placed.id))
    code = await pupil_services.issue_code(db, pupil=placed, round_=round_, actor=staff, ip_address=None)
    await db.commit()
    async with second_browser(app) as phone:
        await phone.submit("/pupil/sign-in", {"code": code, **born(placed)})
        assert (await phone.page("/pupil/certificate.pdf")).status_code == 404
        db.add(FollowUp(outcome_id=outcome_id, completed=True))
        await db.commit()
        assert 'href="/pupil/certificate.pdf"' in (await phone.page("/pupil")).text
        text = _tagged_text(await phone.page("/pupil/certificate.pdf"))
    assert "Certificate of completion" in text
    assert f"{placed.first_name} {placed.last_name}" in text and "Web team helper" in text
    await client.sign_in(staff)
    assert f"/letters/{placed.id}/certificate.pdf" in (await client.page(f"/outcomes/{outcome_id}")).text
    assert "Certificate of completion" in _tagged_text(
        await client.page(f"/letters/{placed.id}/certificate.pdf")
    )


async def test_a_school_prints_letters_for_its_own_pupils_only(client, db, published):
    _, staff, coordinator, placed, unplaced = published
    await client.sign_in(staff)
    outcome_id = await db.scalar(select(Outcome.id).where(Outcome.pupil_id == unplaced.id))
    assert f"/letters/{unplaced.id}/outcome.pdf" in (await client.page(f"/outcomes/{outcome_id}")).text
    text = _tagged_text(await client.page(f"/letters/{unplaced.id}/outcome.pdf"))
    assert f"Dear {unplaced.first_name}" in text and "already full" in text
    assert (await client.page(f"/letters/{unplaced.id}/certificate.pdf")).status_code == 404
    await db.commit()
    printed = await db.scalar(select(AuditEntry).where(AuditEntry.action == "family_document_printed"))
    assert printed.record_id == str(unplaced.id) and printed.actor_id == staff.id

    stranger = await make_user(db, Role.SCHOOL_STAFF)
    await client.sign_in(stranger)
    assert (await client.page(f"/letters/{placed.id}/outcome.pdf")).status_code == 404
    await client.sign_in(coordinator)
    assert "Web team helper" in _tagged_text(await client.page(f"/letters/{placed.id}/outcome.pdf"))
    employer = await make_user(db, Role.EMPLOYER_USER)
    await client.sign_in(employer)
    assert (await client.page(f"/letters/{placed.id}/outcome.pdf")).status_code == 403


async def test_what_people_typed_is_printed_as_text_and_fetches_nothing(client, db, published):
    _, staff, _, placed, _ = published
    hostile = '<img src="http://127.0.0.1:9/x"><b>Bold</b> & "quoted"'
    await db.execute(update(Placement).values(title=hostile))
    await db.commit()
    await client.sign_in(staff)
    text = _tagged_text(await client.page(f"/letters/{placed.id}/outcome.pdf"))
    assert "".join(hostile.split()) in "".join(text.split())  # a long line wraps anywhere


async def test_a_school_prints_a_letter_of_an_earlier_round_from_its_outcome(client, db, published):
    round_, staff, _, placed, _ = published
    round_.stage = Stage.CLOSED
    await make_round(db, programme_year=round_.programme_year + 1)
    await db.commit()
    await client.sign_in(staff)
    outcome_id = await db.scalar(select(Outcome.id).where(Outcome.pupil_id == placed.id))
    link = f"/letters/{placed.id}/outcome.pdf?round={round_.id}"
    assert link in (await client.page(f"/outcomes/{outcome_id}")).text
    assert (await client.page(f"/letters/{placed.id}/outcome.pdf")).status_code == 404  # the new round's
    assert "Web team helper" in _tagged_text(await client.page(link))
    assert (await client.page(f"/letters/{placed.id}/outcome.pdf?round=nonsense")).status_code == 400
