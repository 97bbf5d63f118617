"""Alembic environment: the schema is `SQLModel.metadata` of every table in activities.tables.

The URL comes, in this order, from a connection handed over by `activities.db.init_db`
(config.attributes["connection"]), from `sqlalchemy.url` set in the config, or from
DATABASE_URL / Settings. SQLite needs batch mode because it cannot ALTER most columns.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import activities.tables  # noqa: F401  (registers every table on SQLModel.metadata)

config = context.config
target_metadata = SQLModel.metadata


def _url() -> str:
    given = config.get_main_option("sqlalchemy.url")
    if given:
        return given
    from cablecare.settings import get_settings

    return get_settings().database_url


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    url = _url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    given: Connection | None = config.attributes.get("connection")
    if given is not None:
        _configure(given)
        return
    from activities.db import get_engine

    with get_engine(_url()).connect() as connection:
        _configure(connection)
        connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
