"""Reading request input in the batches app: the project's one set of parsers (binaboard/params.py).

They live in the project package so that `accounts`, which `batches` builds on, parses input the same way.
"""

from binaboard.params import (
    MAX_ID,
    MAX_TEXT,
    CleanCharField,
    JsonBodyError,
    NumberField,
    clean_text,
    parse_id,
    parse_json_body,
    parse_number,
)

__all__ = [
    "MAX_ID",
    "MAX_TEXT",
    "CleanCharField",
    "JsonBodyError",
    "NumberField",
    "clean_text",
    "parse_id",
    "parse_json_body",
    "parse_number",
]
