"""Django's PostgreSQL backend, its connection health check made without a round trip.

With CONN_HEALTH_CHECKS (production), Django checks a kept connection at the start of every request that uses the
database by running `SELECT 1`: a fifth round trip for a search whose own queries are four, and about a tenth of
its time in PostgreSQL. A connection the server has ended (a restart, `pg_terminate_backend`, an idle timeout) has
something to read at once: the server's last message, then the end of the stream. So the check first asks the
socket, without waiting, whether anything is there to read. Nothing: the connection is as the last request left
it, and is used. Something: Django's own check runs (`SELECT 1`), which reads it and says whether the connection
still works; if not, Django opens a new one, as before. A failure the socket cannot show yet (a network cut
without a word from the server) fails the first query instead, as it would fail just after a `SELECT 1`."""

from __future__ import annotations

import select

import psycopg
from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed:
            return False
        try:
            readable = _readable(connection.pgconn.socket)
        except (OSError, ValueError, psycopg.Error):
            return False
        return not readable or bool(super().is_usable())


def _readable(socket: int) -> bool:
    """Whether the socket has anything to read now, without waiting (poll: no limit on the descriptor's number)."""
    if not hasattr(select, "poll"):  # Windows
        return bool(select.select([socket], [], [], 0)[0])
    poll = select.poll()
    poll.register(socket, select.POLLIN)
    return bool(poll.poll(0))
