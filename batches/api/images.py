"""Images: a batch's images (cursor paging by id), one image, its file and its thumbnail (as the pages serve them)."""

from __future__ import annotations

from ninja import Query, Router, Schema

from ..models import Image
from ..views.media import serve_file
from .common import batch_for, decode_cursor, encode_cursor, image_for, image_json, page_size
from .types import Limit

router = Router(tags=["images"])


class Paging(Schema):
    cursor: str | None = None
    limit: Limit | None = None


@router.get("/{int:project_pk}/batches/{int:pk}/images", summary="List a batch's images")
def list_images(request, project_pk: int, pk: int, paging: Query[Paging]):
    batch, _member = batch_for(request, project_pk, pk)
    images = Image.objects.filter(batch=batch)
    after = decode_cursor(paging.cursor, (int,))
    if after is not None:
        images = images.filter(pk__gt=after[0])
    size = page_size(paging.limit)
    rows = list(images.order_by("pk")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return {
        "items": [image_json(image) for image in rows],
        "next_cursor": encode_cursor([rows[-1].pk]) if more else None,
    }


@router.get("/{int:project_pk}/images/{int:image_pk}", summary="Read an image")
def read_image(request, project_pk: int, image_pk: int):
    image, _member = image_for(request, project_pk, image_pk)
    return image_json(image)


@router.get("/{int:project_pk}/images/{int:image_pk}/file", url_name="image_file", summary="The image file")
def image_file(request, project_pk: int, image_pk: int):
    image, _member = image_for(request, project_pk, image_pk)
    return serve_file(image.file)


@router.get("/{int:project_pk}/images/{int:image_pk}/thumbnail", url_name="image_thumbnail", summary="Its thumbnail")
def image_thumbnail(request, project_pk: int, image_pk: int):
    image, _member = image_for(request, project_pk, image_pk)
    return serve_file(image.thumbnail)
