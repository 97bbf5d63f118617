"""Exactly-once checks on the application database, shared by the reliability tests."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func
from sqlmodel import Session, col, select

from activities.case_tables import CallbackRecord, CaseEvent, WorkOrder
from activities.db import get_engine
from activities.notification_tables import OutboxMessage


def assert_rows_exactly_once(database_url: str, final_seq: dict[str, int]) -> dict[str, int]:
    """Every case's timeline step 1..last is in case_event exactly once; one work order and
    one callback record per case; every outbox key once, and every case got the same
    messages. `final_seq`: request id -> the last timeline seq of the finished case."""
    requests = list(final_seq)
    with Session(get_engine(database_url)) as session:
        orders = session.exec(
            select(WorkOrder.request_id, WorkOrder.state).where(
                col(WorkOrder.request_id).in_(requests)
            )
        ).all()
        assert sorted(r for r, _ in orders) == sorted(requests), "one work order per case"
        assert {s for _, s in orders} == {"closed"}
        seqs: dict[str, list[int]] = {r: [] for r in requests}
        for request_id, seq in session.exec(
            select(CaseEvent.request_id, CaseEvent.seq).where(
                col(CaseEvent.request_id).in_(requests)
            )
        ):
            seqs[request_id].append(seq)
        for request_id, got in seqs.items():
            assert sorted(got) == list(range(1, final_seq[request_id] + 1)), request_id
        callbacks = Counter(
            session.exec(
                select(CallbackRecord.request_id).where(
                    col(CallbackRecord.request_id).in_(requests)
                )
            ).all()
        )
        assert set(callbacks.values()) == {1} and len(callbacks) == len(requests)
        keys = session.exec(select(OutboxMessage.key)).all()
        assert len(keys) == len(set(keys)), "an outbox key twice"
        total = session.exec(select(func.count()).select_from(OutboxMessage)).one()
    # Keys are "<request>/<template>/<recipient>/<step>": every case sent the same messages.
    per_case: dict[str, list[str]] = {r: [] for r in requests}
    for key in keys:
        request_id, template, recipient, _ = key.split("/")
        if request_id in per_case:
            per_case[request_id].append(f"{template}/{recipient}")
    shapes = {tuple(sorted(v)) for v in per_case.values()}
    assert len(shapes) == 1 and shapes != {()}, f"cases sent different messages: {shapes}"
    return {
        "case_events": sum(len(v) for v in seqs.values()),
        "outbox": int(total),
        "messages_per_case": len(next(iter(shapes))),
    }
