"""templates/base.html: htmx keeps no page snapshots in the browser and runs no code from responses."""

import json
import re

from django.urls import reverse

from tests.batches.board_helpers import client_for


def htmx_config(html: str) -> dict:
    content = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", html).group(1)
    return json.loads(content)


def test_htmx_keeps_no_history_snapshots_and_reloads_on_a_miss(project, manager):
    config = htmx_config(client_for(manager).get(reverse("board", args=[project.pk])).content.decode())
    assert config["historyCacheSize"] == 0
    assert config["refreshOnHistoryMiss"] is True


def test_htmx_evaluates_no_code_and_runs_no_scripts_from_swapped_html(project, manager):
    config = htmx_config(client_for(manager).get(reverse("board", args=[project.pk])).content.decode())
    assert config["allowEval"] is False
    assert config["allowScriptTags"] is False


def test_htmx_keeps_the_csp_nonce_for_its_styles(project, manager):
    response = client_for(manager).get(reverse("board", args=[project.pk]))
    config = htmx_config(response.content.decode())
    assert config["inlineStyleNonce"]
    assert f"'nonce-{config['inlineStyleNonce']}'" in response.headers["Content-Security-Policy"]


def test_the_phone_menu_button_is_there_only_when_it_has_something_to_show(client, db, manager):
    # Signed out, the top bar holds nothing to fold away: a "Menu" button would open an empty panel.
    assert "data-nav-toggle" not in client.get(reverse("login")).content.decode()
    assert "data-nav-toggle" in client_for(manager).get(reverse("my_work")).content.decode()
