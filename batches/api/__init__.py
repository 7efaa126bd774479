"""The REST API under /api/v1/ (django-ninja): one router per area, each a thin layer over the functions the
pages use (rule book, workflow, access, uploads, exports, annotating). See docs/API.md.

Adding an area: write `batches/api/<area>.py` with `router = Router(tags=[...])` and add it to ROUTERS
in batches/api/main.py.
"""
