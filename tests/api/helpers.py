"""Calling the API in tests: a token per person, JSON in and out."""

from __future__ import annotations

import json

from django.test import Client

from accounts.tokens import create_token

API = "/api/v1"


class ApiClient:
    """A test client that sends a person's token (or nothing) and JSON bodies."""

    def __init__(self, user=None, *, scope: str = "write", projects=(), secret: str | None = None):
        self.client = Client(raise_request_exception=False)
        self.secret = secret
        if user is not None and secret is None:
            made = create_token(user=user, name="test", scope=scope, expires_in_days=None, projects=projects)
            self.secret, self.token = made.secret, made.token

    def _headers(self, extra: dict) -> dict:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {self.secret}"} if self.secret else {}
        return {**headers, **extra}

    def get(self, path: str, params=None, **extra):
        return self.client.get(API + path, params or {}, **self._headers(extra))

    def send(self, method: str, path: str, body=None, *, raw: str | bytes | None = None, **extra):
        data = raw if raw is not None else (json.dumps(body) if body is not None else "")
        call = getattr(self.client, method)
        return call(API + path, data=data, content_type="application/json", **self._headers(extra))

    def post(self, path: str, body=None, **kw):
        return self.send("post", path, body, **kw)

    def put(self, path: str, body=None, **kw):
        return self.send("put", path, body, **kw)

    def patch(self, path: str, body=None, **kw):
        return self.send("patch", path, body, **kw)

    def delete(self, path: str, body=None, **kw):
        return self.send("delete", path, body, **kw)
