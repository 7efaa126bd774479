"""The admin site: Django's, with one guard every model admin's pages pass through.

Django's change, delete and history pages look a row up by the field `_to_field` names; an empty
`?_to_field=` makes them ask the model for a field called "" and answer a 500 (Django 6.1). The
guard refuses that request with a 400 before any admin view runs, for every model (ours, auth's and
guardian's alike).
"""

from __future__ import annotations

from functools import wraps

from django.contrib import admin
from django.contrib.admin.options import TO_FIELD_VAR
from django.http import HttpResponseBadRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.signout import clear_site_cache


class BinaBoardAdminSite(admin.AdminSite):
    # In the operator's language: lazy, so each request's language decides.
    site_header = gettext_lazy("BinaBoard operations")
    site_title = gettext_lazy("BinaBoard admin")

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        @wraps(inner)
        def guarded(request, *args, **kwargs):
            if "" in (request.GET.get(TO_FIELD_VAR), request.POST.get(TO_FIELD_VAR)):
                return HttpResponseBadRequest(
                    _("An empty “%(name)s” parameter names no field.") % {"name": TO_FIELD_VAR}
                )
            return inner(request, *args, **kwargs)

        return guarded

    def logout(self, request, extra_context=None):
        # As the app's sign-out does: the browser drops its cached pages of the site (accounts/signout.py).
        return clear_site_cache(super().logout(request, extra_context))
