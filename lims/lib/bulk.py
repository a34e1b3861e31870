"""Inserting many rows at once, as fast as the database allows.

Django's bulk_create builds a model instance per row and a parameterised INSERT per batch; for the
tens of thousands of readings of an instrument run that costs more than parsing the file. Here rows
are plain tuples: PostgreSQL takes them through COPY, other databases through executemany. No model
instances are made, so no save() and no signals run: callers insert append-only records whose
validation has already happened.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import connection, models


def bulk_insert(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Insert `rows` (tuples of values in the order of `columns`, the model's column names) into
    the model's table, inside the caller's transaction."""
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        adapt = connection.ops.adapt_datetimefield_value
        placeholders = ", ".join(["%s"] * len(columns))
        # django-stubs types param_list as a Sequence, but Django takes any iterable (CursorDebugWrapper
        # handles iterators explicitly) and a generator keeps a large run from being held twice in memory.
        cursor.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({placeholders})",  # noqa: S608 - names quoted
            ([adapt(v) if isinstance(v, datetime) else v for v in row] for row in rows),  # type: ignore[arg-type]
        )
