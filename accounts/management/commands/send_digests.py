"""Send the daily notification digests that are due (the workers also do it every DIGEST_INTERVAL_SECONDS)."""

from django.core.management.base import BaseCommand

from accounts.notifications import send_due_digests


class Command(BaseCommand):
    help = "E-mail each person their digest of notifications once the oldest waiting one is DIGEST_HOURS old."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="Send every waiting digest now, due or not.")

    def handle(self, *args, **options):
        sent = send_due_digests(everyone=options["all"])
        self.stdout.write(f"{sent} digest(s) sent.")
