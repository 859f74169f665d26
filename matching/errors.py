"""Refusals of the matching round, with a message for the person (pages show it, the API gives 409)."""


class MatchingError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
