"""Several processes and nodes: real `livecast serve` subprocesses sharing a real Redis."""

from tests.faults.conftest import external_redis  # noqa: F401 (a fixture)
