"""A real redis-server (Debian package ``redis-server``) on 127.0.0.1, without persistence."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

from qobserve.testing.services import (
    REDIS_SERVER,
    Service,
    find_binary,
    free_port,
    spawn,
    workdir_for,
)

__all__ = ["RedisServer", "start_redis"]


@dataclass
class RedisServer(Service):
    """A running redis-server; ``url`` is ``redis://127.0.0.1:<port>/0``."""

    host: str = "127.0.0.1"

    def ping(self) -> bool:
        """True when it answers ``PING`` (no client library needed)."""
        with socket.create_connection((self.host, self.port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")

    def client(self):
        """A ``redis.Redis`` client for database 0 (close it when done)."""
        import redis

        return redis.Redis.from_url(self.url)


def start_redis(
    workdir: Path | None = None, *, port: int | None = None, timeout: float = 15
) -> RedisServer:
    """Run redis-server on 127.0.0.1 with no RDB or AOF files, in ``workdir``.

    Raises:
        MissingBinary: no ``redis-server`` (Debian package ``redis-server``).
        ServiceError: it exited or did not answer ``PING`` in time (with its output's tail).
    """
    binary = find_binary(REDIS_SERVER)
    workdir, owned = workdir_for("redis", workdir)
    port = port or free_port()
    argv = [
        binary,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(workdir),
    ]
    server = spawn(
        "redis-server",
        argv,
        f"redis://127.0.0.1:{port}/0",
        workdir,
        owned_dir=owned,
        cls=RedisServer,
    )
    return server.wait_ready(server.ping, timeout)
