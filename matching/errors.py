"""Refusals of the matching round, with a message for the person (see placements.refusals)."""

from placements.refusals import Refusal


class MatchingError(Refusal):
    pass
