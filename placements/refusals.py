"""The one way a service refuses what it is asked: a message for the person, and the fields at fault.

Each domain's refusal (MatchingError, SchoolsError, EmployerError, AccountError) is a Refusal. Pages
catch it and show the GOV.UK error summary beside the field; the API answers it in one place
(placements.web.errors): 422 problem details naming each field at fault, or 409 when no field is
at fault but the state of things (choices closed, a run already running).
"""

from __future__ import annotations

from collections.abc import Mapping


class Refusal(ValueError):
    def __init__(self, message: str, field: str | None = None, *, problems: Mapping[str, str] | None = None):
        super().__init__(message)
        self.field = field
        # Every field at fault and what is wrong with it ({} when the refusal is about no field).
        self.problems: dict[str, str] = dict(problems) if problems else ({field: message} if field else {})

    @classmethod
    def of(cls, problems: Mapping[str, str]) -> Refusal:
        """A refusal of several fields at once, as a form's checks found them."""
        return cls("; ".join(problems.values()), next(iter(problems), None), problems=problems)
