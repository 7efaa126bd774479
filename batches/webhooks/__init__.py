"""Webhooks: a project's events posted, signed, to the URLs its managers set (docs/API.md, "Webhooks").

- events.py: what happened → one delivery per interested webhook, queued once the change commits;
- delivery.py: the background task that posts a delivery, with retries and exponential backoff;
- net.py: the SSRF guard and the pinned HTTP connection; signing.py: the signature headers;
- setup.py: creating, changing and deleting webhooks, and the test event (the pages and the API call these).
"""
