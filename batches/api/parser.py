"""Request bodies through the project's one JSON reader (size and nesting limits: binaboard/params.py)."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext as _
from ninja.parser import Parser

from ..params import JsonBodyError, parse_json_body


class SafeParser(Parser):
    def parse_body(self, request):
        try:
            body = request.body
        except RequestDataTooBig:
            raise JsonBodyError(_("The request is too large.")) from None
        data = parse_json_body(body)
        if not isinstance(data, dict):
            raise JsonBodyError(_("The request body must be a JSON object."))
        return data
