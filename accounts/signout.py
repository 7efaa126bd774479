"""Signing out: Django's view, and the browser told to drop what it kept of the site's pages.

`Clear-Site-Data: "cache"` empties the browser's cache for this site, back-forward cache included, so
the back button on a shared computer shows no board after signing out (the pages are also `private,
no-store`: binaboard/cache_headers.py). Browsers act on it over HTTPS and on localhost only.
"""

from __future__ import annotations

from django.contrib.auth import views as auth_views

CLEAR_CACHE = '"cache"'


def clear_site_cache(response):
    response["Clear-Site-Data"] = CLEAR_CACHE
    return response


class SignOutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        return clear_site_cache(super().post(request, *args, **kwargs))


sign_out = SignOutView.as_view()
