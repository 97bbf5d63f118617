"""Case contexts from the directory, by the workflow's own intake activity (R3.1, R8.1).

`CaseActivities.prepare_case` reads the subscriber's area, its technician, the supervisors and
leaders, the roster and the policy, exactly as a real case's intake does. A context depends on
the area and the key-account flag only, so one call per pair serves the whole month.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from activities.case_activities import CaseActivities
from activities.db import SessionFactory, init_db
from activities.directory_load import load_directory_file
from activities.notifications import OutboxSender
from cablecare.calendar import BusinessCalendar, load_calendar
from cablecare.policy import SlaPolicy, load_policy
from cablecare.settings import Settings
from cablecare.simulate.generate import Arrival, Directory
from workflows.service_request.activity_io import PrepareCaseInput
from workflows.service_request.messages import StaffRef
from workflows.service_request.state import CaseContext


class _RememberingCalendar(BusinessCalendar):
    """The operator's calendar, remembering each date's answer: a month asks about the same
    few dozen dates a hundred thousand times, and the national calendar's lookup is slow."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._working: dict[date, bool] = {}

    def is_working_day(self, d: date) -> bool:
        known = self._working.get(d)
        if known is None or type(d) is not date:
            known = self._working[d] = super().is_working_day(d)
        return known


class Intake:
    def __init__(self, directory: Directory, policy_path: Path, database_url: str | None = None):
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if database_url is None:
            # A private SQLite copy of the directory: the simulation never touches live data.
            self._tmp = tempfile.TemporaryDirectory(prefix="cablecare-sim-")
            database_url = f"sqlite:///{Path(self._tmp.name) / 'directory.db'}"
            init_db(database_url)
            load_directory_file(database_url, directory.path)
        self.settings = Settings(database_url=database_url, policy_path=policy_path)
        self.policy: SlaPolicy = load_policy(policy_path)
        sessions = SessionFactory(database_url)
        self._activities = CaseActivities(sessions, OutboxSender(sessions), self.settings)
        self._contexts: dict[tuple[str, bool], CaseContext] = {}
        loaded = load_calendar(self.settings, timezone=self.policy.timezone)
        self.calendar: BusinessCalendar = _RememberingCalendar(
            loaded.timezone,
            extra_holidays=loaded.extra_holidays,
            extra_working_days=loaded.extra_working_days,
        )

    def context(self, arrival: Arrival) -> CaseContext:
        key = (arrival.area_id, arrival.key_account)
        if key not in self._contexts:
            ctx = self._activities.prepare_case(
                PrepareCaseInput(
                    request_id=arrival.request_id,
                    subscriber_id=arrival.subscriber_id,
                    received_by=[StaffRef(staff_id=arrival.received_by, rank=1)],
                )
            )
            # prepare_case reads the policy file the settings name; the policy is that file.
            self._contexts[key] = ctx
        return self._contexts[key]

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
