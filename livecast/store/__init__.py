"""The store plane: everything that touches Redis."""

from . import catalog, keys, sales
from .connection import check, connect, open_store
from .embedded import DataDirBusy, EmbeddedRedis, find_redis_server
from .errors import (
    DuplicateProduct,
    InvalidInput,
    RedisUnavailable,
    StoreError,
    UnknownProduct,
    UnknownShow,
)

__all__ = [
    "DataDirBusy",
    "DuplicateProduct",
    "EmbeddedRedis",
    "InvalidInput",
    "RedisUnavailable",
    "StoreError",
    "UnknownProduct",
    "UnknownShow",
    "catalog",
    "check",
    "connect",
    "find_redis_server",
    "keys",
    "open_store",
    "sales",
]
