"""Every table of the application, imported in one place for Alembic and `init_db`."""

from activities.accountability_tables import AccountabilityRecord
from activities.directory_tables import Area, Staff, Subscriber

__all__ = ["AccountabilityRecord", "Area", "Staff", "Subscriber"]
