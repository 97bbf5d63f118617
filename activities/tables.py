"""Every table of the application, imported in one place for Alembic and `init_db`."""

from activities.directory_tables import Area, Staff, Subscriber

__all__ = ["Area", "Staff", "Subscriber"]
