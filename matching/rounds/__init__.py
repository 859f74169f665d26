"""The round: its settings, calendar and stages, and what moving to a stage sets off."""
