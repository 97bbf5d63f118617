"""Issue 9.5: a request id is claimed once, by the first execution that asks, on SQLite and
PostgreSQL (activities/request_registry.py: one INSERT ... ON CONFLICT DO NOTHING)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from activities.db import SessionFactory, init_db
from activities.request_registry import RequestClaim, claim_request

AT = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def _claim(sessions: SessionFactory, request_id: str, run: str) -> str | None:
    with sessions() as session:
        return claim_request(
            session,
            request_id=request_id,
            first_run_id=run,
            workflow_id=f"service-request-{request_id}",
            at=AT,
        )


def test_9_5_first_claim_wins_and_the_owner_may_ask_again(database_url: str) -> None:
    init_db(database_url)
    sessions = SessionFactory(database_url)
    assert _claim(sessions, "R-1", "run-a") is None  # claimed now
    assert _claim(sessions, "R-1", "run-a") is None  # the owner's retry: still ours
    assert _claim(sessions, "R-1", "run-b") == "run-a"  # another execution: refused, owner named
    assert _claim(sessions, "R-2", "run-b") is None  # another id is free
    with sessions() as session:
        row = session.get(RequestClaim, "R-1")
        assert row is not None
        assert (row.first_run_id, row.workflow_id) == ("run-a", "service-request-R-1")


def test_9_5_concurrent_claims_of_one_id_have_exactly_one_winner(database_url: str) -> None:
    init_db(database_url)
    sessions = SessionFactory(database_url)
    runs = [f"run-{i}" for i in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda run: _claim(sessions, "R-RACE", run), runs))
    winners = [run for run, answer in zip(runs, answers, strict=True) if answer is None]
    assert len(winners) == 1, answers
    assert all(answer in (None, winners[0]) for answer in answers), answers
