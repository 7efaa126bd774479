"""Ingest: how images get in. One validation pipeline for the upload page and `import_images`.

- `limits`    the size, count and pixel limits (from settings);
- `check`     one file's bytes → a verdict: format from the bytes, pixel limit from the header,
              integrity, EXIF orientation, thumbnail, hash. Pure Pillow, no Django, so it can run in
              worker processes;
- `archives`  which entries of a .zip archive may be unpacked, decided before unpacking anything;
- `pipeline`  sources → checks (in one process or a pool) → dedupe → storage → `create_batch`.

This package's `__init__` imports nothing on purpose: worker processes import `check` without
setting Django up.

- `metadata` EXIF (GPS, MakerNote), XMP, IPTC, comments and text chunks out of the stored bytes,
              losslessly (the container is rewritten, the pixels are not touched).

Orientation: a photo whose EXIF orientation is not 1 is stored as an upright re-encoded copy, so the
stored file, its width and height, the thumbnail, the viewer and exported boxes all agree without
anyone applying EXIF again. Every other accepted file keeps its pixels byte for byte as uploaded,
except GIF and TIFF (and animated PNG/WebP), whose first frame is stored as a PNG so that every
browser shows it the same way. No stored file or thumbnail keeps any metadata but its ICC colour
profile (see metadata.py).
"""
