"""Upload sessions: many files in chunks from the browser (or `import_images`), processed on workers.

- `sessions`    the request side: open, receive a chunk (cheap checks, store), known hashes, finish, cancel;
- `processing`  the worker side: full decode, upright, metadata out, thumbnail, the image into the batch;
(processing.py holds the `django.tasks` task a chunk is handed to: `process_upload_files`.)
"""
