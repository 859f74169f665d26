"""Matching runs: the instance, the solver's result, comparing runs, pins and forbids, publishing."""
