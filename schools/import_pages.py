"""Importing pupils from a CSV file in pages: upload, check the preview, then confirm."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from placements.accounts.guards import STAFF, STAFF_OR_COORDINATOR
from placements.accounts.models import User
from placements.db import DbSession
from placements.web.acting import Acting
from placements.web.downloads import attachment
from placements.web.forms import FormErrors, render_form
from schools import queries, services
from schools.csv_import import COLUMNS, MAX_BYTES, FileRefused, template_csv
from schools.services import SchoolsError


class PupilImportPages(Controller):
    path = "/pupils"
    include_in_schema = False

    @get("/import", opt=STAFF)
    async def import_form(self) -> Template:
        return render_form(
            "schools/import_upload.html",
            values={},
            errors=FormErrors(),
            columns=COLUMNS,
            max_mb=MAX_BYTES // (1024 * 1024),
        )

    @get("/import/template.csv", opt=STAFF_OR_COORDINATOR)
    async def import_template(self) -> Response[str]:
        return attachment(template_csv(), "pupils-template.csv")

    @post("/import", opt=STAFF)
    async def upload(
        self,
        acting: Acting,
        db_session: DbSession,
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Template | Redirect:
        errors = FormErrors()
        upload = data.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            errors.add("file", "Select a CSV file")
        else:
            content = await upload.read(MAX_BYTES + 1)
            school = await queries.get_school(db_session, user=acting.user, school_id=acting.user.school_id)
            try:
                pending = await services.start_import(
                    db_session,
                    school=school,
                    filename=upload.filename,
                    content=content,
                    actor=acting.user,
                    ip_address=acting.ip_address,
                )
            except FileRefused as exc:
                errors.add("file", str(exc))
        if errors:
            return render_form(
                "schools/import_upload.html",
                values={},
                errors=errors,
                columns=COLUMNS,
                max_mb=MAX_BYTES // (1024 * 1024),
            )
        return Redirect(path=f"/pupils/import/{pending.id}", status_code=303)

    @get("/import/{import_id:uuid}", opt=STAFF)
    async def preview(
        self, request: Request[User, Any, Any], import_id: FromPath[UUID], db_session: DbSession
    ) -> Template:
        pending = await queries.get_pending_import(db_session, user=request.user, import_id=import_id)
        return Template(
            template_name="schools/import_preview.html",
            context={"pending": pending, "summary": services.summarise(pending)},
        )

    @post("/import/{import_id:uuid}", opt=STAFF)
    async def confirm(
        self,
        acting: Acting,
        request: Request[User, Any, Any],
        import_id: FromPath[UUID],
        db_session: DbSession,
    ) -> Template | Redirect:
        pending = await queries.get_pending_import(db_session, user=acting.user, import_id=import_id)
        try:
            result = await services.confirm_import(
                db_session, pending=pending, actor=acting.user, ip_address=acting.ip_address
            )
        except SchoolsError as exc:
            return Template(
                template_name="schools/import_preview.html",
                context={"pending": pending, "summary": services.summarise(pending), "refused": str(exc)},
                status_code=409,
            )
        flash(
            request,
            f"Imported {result.created + result.updated} pupils: "
            f"{result.created} new, {result.updated} updated",
            category="success",
        )
        return Redirect(path="/pupils", status_code=303)
