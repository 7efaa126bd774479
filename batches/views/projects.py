"""The projects page: every project the person is a member of, their roles there, and its columns' totals."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.membership import may_create_projects

from ..overview import project_summaries


@require_GET
@login_required
def project_list(request):
    context = {"summaries": project_summaries(request.user), "may_create": may_create_projects(request.user)}
    return render(request, "accounts/project_list.html", context)
