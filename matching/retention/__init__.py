"""Keeping pupils' data no longer than the round says: the daily erasure and its figures."""
