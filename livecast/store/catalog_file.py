"""Products from a JSON or CSV file (``livecast show create --catalog``).

A problem is reported with the line of the file it is on.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from .catalog import PRODUCT_FIELDS, parse_product
from .errors import InvalidInput

INT_FIELDS = ("price", "stock", "max_per_order")


class CatalogFileError(InvalidInput):
    def __init__(self, path: Path, line: int, message: str):
        super().__init__(f"{path}:{line}: {message}")
        self.line = line


def read_catalog(path: Path) -> list[dict]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidInput(f"{path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise CatalogFileError(path, 1, "not UTF-8 text") from None
    if path.suffix.lower() == ".csv":
        products = list(_csv_products(path, text))
    elif path.suffix.lower() == ".json":
        products = list(_json_products(path, text))
    else:
        raise InvalidInput(f"{path}: a catalog is a .json or .csv file")
    seen: dict[str, int] = {}
    for line, product in products:
        if product["sku"] in seen:
            raise CatalogFileError(
                path, line, f"sku {product['sku']!r} already on line {seen[product['sku']]}"
            )
        seen[product["sku"]] = line
    return [product for _, product in products]


def _check(path: Path, line: int, item) -> tuple[int, dict]:
    try:
        return line, parse_product(item)
    except InvalidInput as exc:
        raise CatalogFileError(path, line, exc.message) from None


def _csv_products(path: Path, text: str):
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    if not header:
        raise CatalogFileError(path, 1, "empty file: the first line names the columns")
    unknown = [h for h in header if h not in PRODUCT_FIELDS]
    if unknown or "sku" not in header:
        raise CatalogFileError(
            path, 1, f"columns must be among {', '.join(PRODUCT_FIELDS)} (sku, name, price needed)"
        )
    reader.fieldnames = header
    for row in reader:
        line = reader.line_num
        if None in row:
            raise CatalogFileError(path, line, "more values than columns")
        item: dict = {}
        for name, value in row.items():
            value = (value or "").strip()
            if value == "":
                continue
            if name in INT_FIELDS:
                if not re.fullmatch(r"-?\d+", value.replace(",", "")):
                    raise CatalogFileError(path, line, f"{name} {value!r} is not a whole number")
                item[name] = int(value.replace(",", ""))
            else:
                item[name] = value
        if item:
            yield _check(path, line, item)


def _json_products(path: Path, text: str):
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogFileError(path, exc.lineno, f"malformed JSON: {exc.msg}") from None
    if isinstance(data, dict) and isinstance(data.get("products"), list):
        start = re.search(r'"products"\s*:\s*\[', text)
        items, offset = data["products"], start.end() if start else 0
    elif isinstance(data, list):
        items, offset = data, text.index("[") + 1
    else:
        raise CatalogFileError(path, 1, 'expected a list of products or {"products": [...]}')
    decoder = json.JSONDecoder()
    index = offset
    for item in items:
        # find where this element starts, for its line number
        while index < len(text) and text[index] in " \t\r\n,":
            index += 1
        line = text.count("\n", 0, index) + 1
        try:
            _, index = decoder.raw_decode(text, index)
        except json.JSONDecodeError:
            pass
        yield _check(path, line, item)
