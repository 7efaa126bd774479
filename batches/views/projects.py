"""The projects page: every project the person is a member of, their roles there, and its columns' totals."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from accounts.membership import may_create_projects

from ..overview import project_summaries


@require_safe
@login_required
def project_list(request):
    """Every project of the person; someone who only annotates lands on My work instead (?all=1 stays)."""
    summaries = project_summaries(request.user)
    only_annotates = summaries and all(summary.roles == ["annotator"] for summary in summaries)
    if only_annotates and "all" not in request.GET:
        return redirect("my_work")
    context = {"summaries": summaries, "may_create": may_create_projects(request.user)}
    return render(request, "accounts/project_list.html", context)
