"""My work: the person's batches across projects (batches/my_work.py), and its count for the top bar."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

from ..my_work import MyWork, my_work_totals
from ..my_work import my_work as read_my_work


@require_safe
@login_required
def my_work(request):
    return render(request, "batches/my_work.html", {"work": read_my_work(request.user)})


@require_safe
@login_required
def my_work_count(request):
    """The top bar's count, fetched after the page (so no page pays for it up front)."""
    return render(request, "batches/my_work.html#count", {"work": MyWork(totals=my_work_totals(request.user))})
