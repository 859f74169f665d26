"""The programme year: the round every domain works in (its calendar and stage)."""
