"""Named errors of the store plane; `code` is the contract's error CODE."""


class StoreError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.code


class InvalidInput(StoreError):
    code = "invalid"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message, code=code)
        self.field = field


class UnknownShow(StoreError):
    code = "unknown_show"
    status = 404


class UnknownProduct(StoreError):
    code = "unknown_product"
    status = 404


class DuplicateProduct(StoreError):
    code = "duplicate_sku"
    status = 409


class Conflict(StoreError):
    """The request clashes with the current state (a show already live, an id taken)."""

    code = "conflict"
    status = 409


class Forbidden(StoreError):
    """The key is valid but not for this (another seller's show)."""

    code = "forbidden"
    status = 403


class UnknownSeller(StoreError):
    code = "unknown_seller"
    status = 404


class UnknownEvent(StoreError):
    code = "unknown_event"
    status = 404


class RedisUnavailable(StoreError):
    code = "redis_unavailable"
    status = 503


class UnknownOrder(StoreError):
    code = "unknown_order"
    status = 404


class BadTransition(StoreError):
    """An order cannot go to that status from the one it is in (``status``: where it is)."""

    code = "bad_transition"
    status = 409

    def __init__(self, message: str, *, code: str | None = None, current: str | None = None):
        super().__init__(message, code=code)
        self.current = current
