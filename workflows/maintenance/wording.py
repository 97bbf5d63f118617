"""What staff see of a maintenance notice in the Temporal UI (current details). No personal data."""

from __future__ import annotations

from datetime import datetime

from cablecare.timefmt import human
from workflows.maintenance.messages import MaintenanceNoticeStatus


def _fmt(moment: datetime | None, zone: str) -> str:
    return human(moment, zone)  # the operator's zone with its offset (13.6)


def details_text(s: MaintenanceNoticeStatus) -> str:
    lines = [
        f"**{s.kind.value}** r{s.revision} - state **{s.state.value}**",
        f"areas {', '.join(s.area_ids)} - {s.subscribers} subscribers",
        f"window {_fmt(s.starts_at, s.timezone)} to {_fmt(s.ends_at, s.timezone)}",
    ]
    if s.notified_revision != s.revision and not s.cancel_requested:
        lines.append(
            f"notice goes out {_fmt(s.notice_due_at, s.timezone)} (R9.5: {s.notice_hours} h ahead)"
        )
    if s.emergency_approved_by:
        lines.append(f"emergency approved by `{s.emergency_approved_by}`")
    for d in s.deliveries[-3:]:
        lines.append(
            f"{d.phase.value} r{d.revision} sent {_fmt(d.at, s.timezone)}: "
            f"{d.subscribers} SMS, {d.captions} captions"
        )
    if s.cancel_requested:
        lines.append(f"cancelled by `{s.cancelled_by}`")
    return "\n\n".join(lines)
