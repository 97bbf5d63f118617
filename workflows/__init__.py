"""Workflows: durable, deterministic case logic. No I/O here: activities do that."""
