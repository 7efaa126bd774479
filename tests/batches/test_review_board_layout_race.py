"""Two layout changes of one person at once (two columns collapsed in quick succession, two tabs): both stay."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from django.urls import reverse
from django_htmx.middleware import HtmxDetails

from batches.views.board import BoardLayout, board_layout
from tests.batches.board_helpers import client_for

pytestmark = pytest.mark.django_db


def test_a_layout_change_made_meanwhile_is_not_lost(project, manager):
    url = reverse("board_layout", args=[project.pk])
    # The second request's user row was read before the first one saved.
    stale = get_user_model().objects.get(pk=manager.pk)
    assert client_for(manager).post(url, {"column": "review", "collapsed": "1"}).status_code == 302

    request = RequestFactory().post(url, {"column": "dataset", "collapsed": "1"})
    request.user = stale
    request.htmx = HtmxDetails(request)
    assert board_layout(request, project.pk).status_code == 302

    fresh = get_user_model().objects.get(pk=manager.pk)
    assert BoardLayout.of(fresh, project.pk).collapsed == {"review", "dataset"}
