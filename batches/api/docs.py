"""The interactive API reference: Swagger UI from the files django-ninja ships, served by this site,
under the site's CSP (scripts by src only, no CDN, nothing inline but JSON data)."""

from __future__ import annotations

import json

from django.shortcuts import render
from ninja.openapi.docs import DocsBase


class LocalSwagger(DocsBase):
    settings = {"layout": "BaseLayout", "deepLinking": True, "persistAuthorization": False}

    def render_page(self, request, api, **kwargs):
        context = {
            "swagger_settings": json.dumps({**self.settings, "url": self.get_openapi_url(api, kwargs)}),
            "api": api,
            "add_csrf": True,
        }
        return render(request, "api/docs.html", context)
