"""Demo data for the whole service: every domain, as a council would see it in its first year."""
