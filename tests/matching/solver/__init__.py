"""Tests of the pure matching solver."""
