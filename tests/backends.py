"""Print shell exports choosing the test suite's database and Redis (used by `make test`).

An explicit DATABASE_URL / REDIS_URL wins. Otherwise PostgreSQL and Redis on loopback are used
when they answer, so a developer machine with the services runs the same suite as CI."""

import os
import shlex
import socket


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


exports = {}
if not os.environ.get("DATABASE_URL") and answers(5432):
    exports["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/collabhub"
if not os.environ.get("REDIS_URL") and answers(6379):
    exports["REDIS_URL"] = "redis://127.0.0.1:6379/1"
for name, value in exports.items():
    print(f"export {name}={shlex.quote(value)}")
