"""R5.4 key-account callback plan: a callback task per key account per month, and its result.

The monthly Schedule creates the tasks (one per key account and month, unique key), assigns
each to a certified callback agent of the subscriber's company (R8.1) in turn, and tells the
agent. The agent records the result with `cablecare callbacks record` (R5.3: reached or not,
satisfied or not, notes).
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlmodel import Session, col, select
from temporalio import activity

from activities.db import SessionFactory
from activities.directory_queries import get_area, get_staff, is_certified, staff_with_role
from activities.directory_tables import Subscriber
from activities.duty_common import insert_ignore
from activities.duty_tables import KeyAccountCallback
from activities.notifications import Channel, Notification, NotificationSender, RecipientKind
from cablecare.domain import Company, Role
from cablecare.policy import current_policy
from cablecare.settings import Settings
from workflows.scheduled.messages import KeyAccountCallbacksResult, KeyAccountCallbacksRun

log = structlog.get_logger(__name__)


class CallbackError(ValueError):
    """A result that cannot be recorded; the message says why."""


def month_end(period: str) -> date:
    year, month = (int(p) for p in period.split("-"))
    return date(year, month, calendar.monthrange(year, month)[1])


class CallbackPlanActivities:
    def __init__(
        self, sessions: SessionFactory, sender: NotificationSender, settings: Settings
    ) -> None:
        self.sessions = sessions
        self.sender = sender
        self.settings = settings

    def activities(self) -> list[Callable[..., Any]]:
        return [self.create_key_account_callbacks]

    @activity.defn(name="create_key_account_callbacks")
    def create_key_account_callbacks(
        self, data: KeyAccountCallbacksRun
    ) -> KeyAccountCallbacksResult:
        policy = current_policy(self.settings.policy_path)
        local = data.as_of.astimezone(ZoneInfo(policy.timezone))
        period = data.request.period or f"{local.year:04d}-{local.month:02d}"
        with self.sessions() as session:
            accounts = session.exec(
                select(Subscriber)
                .where(col(Subscriber.key_account).is_(True))
                .order_by(col(Subscriber.subscriber_id))
            ).all()
            agents = self._agents(session)
            companies = {a: get_area(session, a) for a in {s.area_id for s in accounts}}
            turn: dict[Company | None, int] = {}
            rows: list[dict[str, Any]] = []
            for sub in accounts:
                area = companies.get(sub.area_id)
                company = area.company if area else None
                pool = agents.get(company, [])
                agent = pool[turn.get(company, 0) % len(pool)] if pool else None
                turn[company] = turn.get(company, 0) + 1
                rows.append(
                    {
                        "task_id": f"{period}/{sub.subscriber_id}",
                        "period": period,
                        "subscriber_id": sub.subscriber_id,
                        "area_id": sub.area_id,
                        "assigned_to": agent,
                        "due_on": month_end(period),
                        "created_at": datetime.now(UTC),
                        "state": "open",
                        "problem_found": False,
                        "note": "",
                    }
                )
            created = insert_ignore(session, KeyAccountCallback, rows)
            session.commit()
        for row in rows:
            if row["assigned_to"] is None:
                continue
            self.sender.send(
                Notification(
                    key=f"ka-callback/{row['task_id']}/staff",
                    channel=Channel.STAFF,
                    recipient_kind=RecipientKind.STAFF,
                    recipient_id=row["assigned_to"],
                    template="key_account_callback_task",
                    params={
                        "task_id": row["task_id"],
                        "subscriber_id": row["subscriber_id"],
                        "area_id": row["area_id"],
                        "due_on": row["due_on"].isoformat(),
                    },
                )
            )
        unassigned = sum(1 for r in rows if r["assigned_to"] is None)
        log.info("key_account_callbacks.planned", period=period, created=created)
        return KeyAccountCallbacksResult(
            period=period, key_accounts=len(rows), created=created, unassigned=unassigned
        )

    @staticmethod
    def _agents(session: Session) -> dict[Company | None, list[str]]:
        """R8.1: certified callback agents per company."""
        return {
            company: [s.staff_id for s in staff_with_role(session, Role.CALLBACK, company=company)]
            for company in Company
        }


def record_key_account_callback(
    session: Session,
    *,
    task_id: str,
    agent_id: str,
    reached: bool,
    satisfied: bool | None,
    problem_found: bool = False,
    note: str = "",
    at: datetime | None = None,
) -> KeyAccountCallback:
    """R5.3: record the result of one task. Only a certified callback agent of the task's own
    company may (R8.1). Recording the same result again changes nothing (a retry); a different
    result for a recorded task is refused, naming who recorded it and when (issue 13.5)."""
    task = session.get(KeyAccountCallback, task_id)
    if task is None:
        raise CallbackError(f"no key-account callback task {task_id}")
    agent = get_staff(session, agent_id)
    if agent is None:
        raise CallbackError(f"{agent_id} is not in the directory")
    task_area, agent_area = get_area(session, task.area_id), None
    if agent.area_id is not None:
        agent_area = get_area(session, agent.area_id)
    if task_area is not None and (agent_area is None or agent_area.company != task_area.company):
        theirs = agent_area.company.value if agent_area is not None else "no"
        raise CallbackError(
            f"{agent_id} works for the {theirs} company; this callback belongs to the "
            f"{task_area.company.value} company's customer (area {task.area_id})"
        )
    if not is_certified(agent, Role.CALLBACK):
        raise CallbackError(f"{agent_id} is not a certified callback agent (R8.1)")
    if not reached and satisfied is not None:
        raise CallbackError("a customer who was not reached cannot be satisfied or not")
    if task.state == "done":
        same = (task.agent_id, task.reached, task.satisfied, task.problem_found, task.note) == (
            agent_id,
            reached,
            satisfied,
            problem_found,
            note,
        )
        if same:
            return task  # the same result again: a retry, nothing changes
        when = task.recorded_at.isoformat(timespec="minutes") if task.recorded_at else "earlier"
        raise CallbackError(
            f"{task_id} was already recorded by {task.agent_id} at {when}; a recorded "
            "callback is not overwritten"
        )
    task.state, task.agent_id, task.reached = "done", agent_id, reached
    task.satisfied, task.problem_found, task.note = satisfied, problem_found, note
    task.recorded_at = at or datetime.now(UTC)
    session.add(task)
    session.commit()
    session.refresh(task)
    return task


def list_key_account_callbacks(
    session: Session, *, period: str | None = None, open_only: bool = False
) -> list[KeyAccountCallback]:
    query = select(KeyAccountCallback)
    if period:
        query = query.where(KeyAccountCallback.period == period)
    if open_only:
        query = query.where(KeyAccountCallback.state == "open")
    return list(session.exec(query.order_by(col(KeyAccountCallback.task_id))).all())
