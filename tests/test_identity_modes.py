"""Modes (issue 10): auth is required by default; turning it off is explicit and logged; a
worker with auth required and no identity provider configured refuses to start, saying why."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from cablecare.settings import Settings
from worker.build import identity_gate


def test_auth_is_required_by_default() -> None:
    assert Settings().auth == "required"


def test_a_worker_with_auth_required_and_no_issuer_refuses_to_start() -> None:
    with pytest.raises(ValueError, match="CABLECARE_AUTH_ISSUER"):
        identity_gate(Settings(auth="required", auth_issuer=None))


def test_auth_off_is_explicit_and_logged_as_a_warning() -> None:
    with capture_logs() as logs:
        gate = identity_gate(Settings(auth="off"))
    assert gate.off
    assert any(e["log_level"] == "warning" and "AUTH IS OFF" in e["event"] for e in logs)
