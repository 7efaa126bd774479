"""Input types of the API: strict JSON types with ranges, so a wrong type or a huge number is a 422, never a 500."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictBool, StrictInt, StrictStr

from ..params import MAX_ID, MAX_TEXT

Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
Count = Annotated[StrictInt, Field(ge=0, le=MAX_ID)]
# A page size from a query string (text there, so not strict).
Limit = Annotated[int, Field(ge=1, le=1000)]
Text = Annotated[StrictStr, Field(max_length=MAX_TEXT)]

__all__ = ["Count", "Id", "Limit", "StrictBool", "StrictInt", "StrictStr", "Text"]
