"""Demo data: its printed passwords pass the site's own password rules, and its people can do their jobs."""

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.management import CommandError, call_command

from accounts.membership import may_create_projects
from accounts.models import Project

pytestmark = pytest.mark.django_db


@pytest.fixture
def printed():
    out = io.StringIO()
    call_command("seed_demo", images=1, stdout=out)
    return dict(re.findall(r"^  (\w+)\s+(\S+)\s", out.getvalue(), re.M))


def test_every_printed_password_signs_in_and_passes_the_password_rules(printed):
    users = get_user_model().objects.in_bulk(list(printed), field_name="username")
    assert set(printed) == {"operator", "manager", "annotator", "reviewer"}
    for username, password in printed.items():
        assert users[username].check_password(password)
        validate_password(password, users[username])


def test_the_demo_manager_may_create_projects_and_the_annotator_may_not(printed, settings):
    settings.PROJECT_CREATORS = "permission"
    users = get_user_model().objects.in_bulk(["manager", "annotator"], field_name="username")
    assert may_create_projects(users["manager"]) and not may_create_projects(users["annotator"])


def test_it_refuses_to_take_over_an_existing_account_named_like_a_demo_user():
    real = get_user_model().objects.create_user("operator", password="the-real-operators-Pw1", is_superuser=True)
    with pytest.raises(CommandError, match="operator already exist"):
        call_command("seed_demo", images=1, stdout=io.StringIO())
    real.refresh_from_db()
    assert real.check_password("the-real-operators-Pw1")
    assert not Project.objects.exists()


def test_it_resets_existing_demo_accounts_only_when_asked():
    old = get_user_model().objects.create_user("manager", password="an-old-demo-Pw1")
    out = io.StringIO()
    call_command("seed_demo", images=1, reset_demo_accounts=True, stdout=out)
    printed = dict(re.findall(r"^  (\w+)\s+(\S+)\s", out.getvalue(), re.M))
    old.refresh_from_db()
    assert old.check_password(printed["manager"])
