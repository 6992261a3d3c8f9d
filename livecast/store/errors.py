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


class UnknownShow(StoreError):
    code = "unknown_show"
    status = 404


class UnknownProduct(StoreError):
    code = "unknown_product"
    status = 404


class DuplicateProduct(StoreError):
    code = "duplicate_sku"
    status = 409


class RedisUnavailable(StoreError):
    code = "redis_unavailable"
    status = 503
