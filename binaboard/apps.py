from django.contrib.admin.apps import AdminConfig


class BinaBoardAdminConfig(AdminConfig):
    """django.contrib.admin with BinaBoard's admin site (binaboard/admin.py) as the default site."""

    default_site = "binaboard.admin.BinaBoardAdminSite"
