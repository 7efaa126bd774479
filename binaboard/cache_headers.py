"""What browsers may keep of an answer about a signed-in person.

A page shown to someone signed in is `Cache-Control: private, no-store`: no shared cache (a proxy) keeps
it and the browser keeps no copy on disk, so after signing out on a shared computer the back button does
not bring back a board: Chromium restores `no-cache` pages from its back-forward cache even after
Clear-Site-Data, and evicts `no-store` ones when the cookies change (tests/e2e/test_sign_out_back.py).
Nothing is lost to speed: every signed-in page is made per person and live, never served from a cache.
API answers (JSON) are `private, no-store` too: a pipeline's data has no business on a disk. A view that chose its own header keeps it
(`no-store` on downloads and the tokens page, a day's `private` caching on images and thumbnails, whose
stored names are never reused); static files are answered by WhiteNoise before this runs. The sign-out
answer itself adds `Clear-Site-Data: "cache"` (accounts/urls.py), which also drops the back-forward cache.
"""

from __future__ import annotations

from django.utils.cache import patch_cache_control

API_PREFIX = "/api/"


class PrivateAnswersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        content_type = response.get("Content-Type", "")
        api_answer = content_type.startswith("application/json") and request.path_info.startswith(API_PREFIX)
        signed_in_page = content_type.startswith("text/html") and request.user.is_authenticated
        if api_answer or signed_in_page:
            patch_cache_control(response, private=True, no_store=True)
        return response
