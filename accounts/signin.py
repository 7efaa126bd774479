"""Sign-in throttling with django-axes: which address a request comes from, how failures count, and
the page a locked-out person sees. Settings: the "Accounts and sign-in" section of binaboard/settings.py.

Failures are counted per username and address pair (someone guessing one account's password) and per
address (someone trying many accounts); the address limit is higher, because an office or a school
shares one address. A success does not wipe the count: otherwise an attacker with any working account
could sign in between guesses and guess forever.
"""

from __future__ import annotations

import ipaddress
import math

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.db.models import Sum
from django.shortcuts import render

ADDRESS = "ip_address"
USERNAME_KEPT = 150  # Django's longest username; axes stores at most 255 characters
# What axes stores of a failed attempt besides the username and address, straight from the request.
RECORDED_HEADERS = ("axes_user_agent", "axes_http_accept", "axes_path_info")


def _printable(text: str) -> str:
    # PostgreSQL refuses NUL in text: a header carrying one must not turn a wrong password into a 500.
    return text.replace("\x00", "")


def attempted_username(request, credentials: dict | None = None) -> str | None:
    """The username a sign-in tried, as axes counts and stores it.

    Django's login form does not enforce the username's length, so a 5,000-character name reaches
    authentication; it is cut to the longest real username (names that long share one count)."""
    source = credentials or getattr(request, "data", request.POST)
    username = source.get(settings.AXES_USERNAME_FORM_FIELD)
    return _printable(username)[:USERNAME_KEPT] if isinstance(username, str) else None


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, unless the operator names the header their own proxy sets.

    A header the proxy does not overwrite is written by the client, so it is read only when configured,
    and then only the entry the last CLIENT_IP_PROXY_COUNT proxies added (right to left)."""
    remote = request.META.get("REMOTE_ADDR")
    header = settings.CLIENT_IP_HEADER
    if not header:
        return remote
    hops = [hop.strip() for hop in request.META.get(header, "").split(",") if hop.strip()]
    if len(hops) < settings.CLIENT_IP_PROXY_COUNT:
        return remote  # did not come through the proxies: the connection's own address
    try:
        return str(ipaddress.ip_address(hops[-settings.CLIENT_IP_PROXY_COUNT]))
    except ValueError:
        return remote


def _clean_recorded(request) -> None:
    for name in RECORDED_HEADERS:
        value = getattr(request, name, None)
        if isinstance(value, str):
            setattr(request, name, _printable(value))


class PairAndAddressHandler(AxesDatabaseHandler):
    """Axes compares one number with AXES_FAILURE_LIMIT. This reports the larger of the pair's failures
    and the address's failures rescaled to that limit, so an address is locked after
    LOGIN_FAILURE_LIMIT_PER_IP failures and a username on one address after AXES_FAILURE_LIMIT."""

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        _clean_recorded(request)
        return super().user_login_failed(sender, credentials, request, **kwargs)

    def user_logged_in(self, sender, request, user, **kwargs):
        _clean_recorded(request)
        return super().user_logged_in(sender, request, user, **kwargs)

    def user_logged_out(self, sender, request, user, **kwargs):
        _clean_recorded(request)
        return super().user_logged_out(sender, request, user, **kwargs)

    def get_failures(self, request, credentials: dict | None = None) -> int:
        pair_limit, address_limit = settings.AXES_FAILURE_LIMIT, settings.LOGIN_FAILURE_LIMIT_PER_IP
        worst = 0
        for parameter, attempts in zip(
            settings.AXES_LOCKOUT_PARAMETERS, self.get_user_attempts(request, credentials), strict=True
        ):
            failures = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            if parameter == ADDRESS:
                failures = failures * pair_limit // address_limit
            worst = max(worst, failures)
        return worst


def lockout_response(request, original_response=None, credentials: dict | None = None):
    """The "too many attempts" page (429), on the app's login and the admin's alike."""
    minutes = math.ceil(get_cool_off(request).total_seconds() / 60)
    return render(
        request, "registration/locked_out.html", {"minutes": minutes}, status=settings.AXES_HTTP_RESPONSE_CODE
    )
