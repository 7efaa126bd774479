import pytest

from tests import test_hostile_urls as h

MINE = {"flow_analytics", "flow_analytics_csv", "batch_takeback", "batch_restore", "batch_move_dialog"}
_walk = h.walk


@pytest.fixture(autouse=True)
def only_mine(monkeypatch):
    monkeypatch.setattr(h, "walk", lambda *a, **k: [r for r in _walk(*a, **k) if r.name in MINE])


test_hostile = h.test_no_url_answers_a_server_error_or_changes_data_for_hostile_input
quiet_request_log = h.quiet_request_log
