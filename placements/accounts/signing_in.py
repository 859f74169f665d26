"""The steps every way of signing in shares: the sign-in page, the half-way state before a second
step, and the end, when the person's session starts.

Between the password (or the identity provider) and the code the person is not signed in: their
session holds only who is half-way, for five minutes, and the epoch of their sessions then, so a
password reset or a deactivation in between ends it too.
"""

from __future__ import annotations

import time
from typing import Any

from litestar import Request
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from placements.accounts.auth import start_session
from placements.accounts.models import User
from placements.audit.services import record
from placements.clock import now
from placements.web.forms import FormErrors

SETTINGS = "placements.settings"  # the app's settings, in its state
HALF_SIGNED_IN = "two_step_pending"
SECOND_STEP_SECONDS = 300
# In a session: the identity provider that used MFA for this sign-in, which stands in for the
# service's own second step (placements.accounts.two_step_pages.two_step_in_place).
MFA_BY_PROVIDER = "mfa_by_provider"


def safe_next(target: str | None) -> str:
    # Only a path on this site: an absolute URL here would make the sign-in page an open redirect.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def sign_in_page(
    request: Request[Any, Any, Any],
    values: dict[str, str],
    errors: FormErrors,
    *,
    status_code: int | None = None,
    headers: dict[str, str] | None = None,
) -> Template:
    """The sign-in form, with a button for each identity provider configured."""
    return Template(
        template_name="placements/sign_in.html",
        context={"values": values, "errors": errors, "providers": request.app.state[SETTINGS].sso_providers},
        status_code=status_code or (400 if errors else 200),
        headers=headers,
    )


def await_second_step(request: Request[Any, Any, Any], user: User, next_path: str) -> Redirect:
    request.set_session(
        {
            HALF_SIGNED_IN: {
                "user_id": str(user.id),
                "epoch": user.session_epoch,
                "until": time.time() + SECOND_STEP_SECONDS,
                "next": next_path,
            }
        }
    )
    return Redirect(path="/sign-in/code", status_code=303)


async def finish_sign_in(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    user: User,
    ip_address: str | None,
    next_path: str,
    *,
    mfa_by_provider: str | None = None,
    **detail: Any,
) -> Redirect:
    """Every way of signing in ends here: recorded, and the person's session started."""
    user.last_signed_in_at = now()
    await record(
        db,
        actor=user,
        action="signed_in",
        record_type="user",
        record_id=user.id,
        ip_address=ip_address,
        **detail,
    )
    start_session(request, user)
    if mfa_by_provider:
        request.session[MFA_BY_PROVIDER] = mfa_by_provider
    return Redirect(path=next_path, status_code=303)
