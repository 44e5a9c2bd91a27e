"""How a person is signed in and found again on each request (AUTHENTICATION_BACKENDS)."""

from functools import cache

from django.contrib.auth.backends import ModelBackend
from django.db import DEFAULT_DB_ALIAS, connections

from tengja.accounts.models import User

# What views that sign a person in themselves (a new account) pass to `login`.
USER_BACKEND = "tengja.accounts.backends.UserBackend"


class UserBackend(ModelBackend):
    """Django's ModelBackend (passwords, permissions), finding the signed-in user
    with a query the ORM compiled once.

    Every signed-in request reads its user: the one query of a kept page. The
    ORM compiled the same SELECT each time, two thirds of the query's cost
    (0.47 ms of CPU against 0.16 ms) and a fifth of a bare signed-in request."""

    def get_user(self, user_id):
        user = user_by_pk(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


def user_by_pk(pk: int | str, using: str = DEFAULT_DB_ALIAS) -> User | None:
    """`User.objects.filter(pk=pk).first()`, as the ORM would run it: its SQL, and
    the converters it applies to what the database returns (SQLite's dates come
    as text)."""
    sql, attnames, converters = _user_query(using)
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    if converters:
        row = list(row)
        for position, (functions, expression) in converters.items():
            for function in functions:
                row[position] = function(row[position], expression, connection)
    return User.from_db(using, attnames, row)


@cache
def _user_query(using: str) -> tuple[str, list[str], dict]:
    """The ORM's SELECT of one user by primary key, the attribute each column
    fills and its converters, compiled once per database. (A converter is a
    method of the compiling thread's connection's operations; it reads only
    settings, such as SQLite's zone, never that connection's socket.)"""
    compiler = User._default_manager.filter(pk=0).query.get_compiler(using)
    sql, params = compiler.as_sql()
    if list(params) != [0]:  # a default manager that filters would need them all
        raise RuntimeError(f"the user query has other parameters: {params}")
    columns = [column for column, _, _ in compiler.select]
    return sql, [column.target.attname for column in columns], compiler.get_converters(columns)
