"""Django's and the admin's third-party apps' English in the admin, said in the project's Persian.

Django 6.1's admin and auth, django-axes, django-tasks-db and django-guardian show these strings to an
operator, and their Persian catalogues lack them (or leave them empty), so a Persian admin page was half
English. The project's catalogue (locale/fa) is read before theirs, so these strings, marked here for
`make messages` and never called, are translated there (as accounts/django_wording.py does for the
password pages).
"""

from django.utils.translation import gettext_noop, pgettext_lazy

ADMIN_STRINGS = (
    # django.contrib.admin: the actions bar, the changelist's headings and the index's table.
    gettext_noop("Run"),
    gettext_noop("- Select an option -"),
    gettext_noop("Pagination %(name)s"),
    gettext_noop("Search %(name)s"),
    gettext_noop("Filter by %(field_name)s"),
    gettext_noop("Select this object for an action - {}"),
    gettext_noop("Model name"),
    gettext_noop("Breadcrumbs"),
    # django.contrib.auth: a user's add and change forms.
    gettext_noop("Password-based authentication"),
    gettext_noop("Enabled"),
    gettext_noop("Disabled"),
    gettext_noop(
        "Whether the user will be able to authenticate using a password or not. If disabled, they may still be "
        "able to authenticate using other backends, such as Single Sign-On or LDAP."
    ),
    gettext_noop("Raw passwords are not stored, so there is no way to see the user’s password."),
    gettext_noop("Reset password"),
    gettext_noop("Set password"),
    gettext_noop("salt"),  # the password's summary (Django's Persian keeps these two in English)
    gettext_noop("hash"),
    # django-axes: the access attempts' filter.
    gettext_noop("Locked Out"),
    # django-guardian: the link on a project's change form and its pages.
    gettext_noop("Object permissions"),
    gettext_noop("User permissions"),
    gettext_noop("Group permissions"),
    gettext_noop("Users"),
    gettext_noop("Groups"),
    gettext_noop("User"),
    gettext_noop("Group"),
    gettext_noop("Object"),
    gettext_noop("User identification"),
    gettext_noop("Enter a value compatible with User.USERNAME_FIELD"),
    gettext_noop("This user does not exist"),
    gettext_noop("This group does not exist"),
    gettext_noop("Manage user"),
    gettext_noop("Manage group"),
    gettext_noop("Please correct the errors below."),
    # Apps and models named in plain English, in a user's and a group's permission lists (accounts/roles.py).
    gettext_noop("Guardian"),
    gettext_noop("user object permission"),
    gettext_noop("group object permission"),
    gettext_noop("access attempt expiration"),
    gettext_noop("Django_Rq"),
    gettext_noop("Django-RQ"),
    gettext_noop("Access admin page"),
    # django-tasks-db's task list and django.tasks' statuses.
    gettext_noop("Task Result"),
    gettext_noop("Task Results"),
    gettext_noop("enqueued at"),
    gettext_noop("priority"),
    gettext_noop("queue name"),
    pgettext_lazy("Task", "Ready"),
    pgettext_lazy("Task", "Running"),
    pgettext_lazy("Task", "Failed"),
    pgettext_lazy("Task", "Successful"),
)
