"""Starters: how other systems (and our CLI) start and drive workflows."""
