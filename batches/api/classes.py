"""Label classes: every member reads them; managers add, change and delete them (the Classes page's form and rules)."""

from __future__ import annotations

from django.db import IntegrityError
from django.db.models import Count
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import Router, Schema, Status

from accounts.access import MANAGE
from accounts.calendars import isolate, localise_digits
from accounts.forms import LabelClassForm
from accounts.models import LabelClass

from ..params import parse_id
from .common import membership
from .errors import ApiError
from .types import StrictInt, Text

router = Router(tags=["classes"])


class ClassIn(Schema):
    name: Text | None = None
    colour: Text | None = None
    key: StrictInt | None = None


def class_json(label_class: LabelClass) -> dict:
    return {"id": label_class.pk, "name": label_class.name, "colour": label_class.colour, "key": label_class.key}


def _save(form: LabelClassForm) -> LabelClass:
    if not form.is_valid():
        errors = [{"field": field, "message": str(msg)} for field, msgs in form.errors.items() for msg in msgs]
        raise ApiError(422, "invalid", _("Some fields are not valid."), errors=errors)
    try:
        return form.save()
    except IntegrityError:
        raise ApiError(
            409, "refused", _("Another manager just saved a class with this name or key; choose another.")
        ) from None


def _class_of(project, class_pk) -> LabelClass:
    pk = parse_id(class_pk)
    label_class = LabelClass.objects.filter(pk=pk, project=project).first() if pk is not None else None
    if label_class is None:
        raise Http404(_("No such class."))
    return label_class


@router.get("/{int:project_pk}/classes", summary="List label classes")
def list_classes(request, project_pk: int):
    project = membership(request, project_pk).project
    return {"items": [class_json(c) for c in LabelClass.objects.filter(project=project).order_by("pk")]}


@router.post("/{int:project_pk}/classes", response={201: dict}, summary="Add a label class (managers)")
def add_class(request, project_pk: int, payload: ClassIn):
    project = membership(request, project_pk, MANAGE).project
    data = {k: ("" if v is None else v) for k, v in payload.dict().items()}
    return Status(201, class_json(_save(LabelClassForm(data, project=project))))


@router.patch("/{int:project_pk}/classes/{int:class_pk}", summary="Change a label class (managers)")
def change_class(request, project_pk: int, class_pk: int, payload: ClassIn):
    project = membership(request, project_pk, MANAGE).project
    label_class = _class_of(project, class_pk)
    data = {"name": label_class.name, "colour": label_class.colour, "key": label_class.key or ""}
    data.update({k: ("" if v is None else v) for k, v in payload.dict(exclude_unset=True).items()})
    return class_json(_save(LabelClassForm(data, instance=label_class, project=project)))


@router.delete("/{int:project_pk}/classes/{int:class_pk}", response={204: None}, summary="Delete an unused class")
def delete_class(request, project_pk: int, class_pk: int):
    project = membership(request, project_pk, MANAGE).project
    label_class = _class_of(project, class_pk)
    used = LabelClass.objects.filter(pk=label_class.pk).annotate(n=Count("annotations")).values_list("n", flat=True)
    if used and used[0]:
        raise ApiError(
            409,
            "refused",
            ngettext(
                "“%(name)s” cannot be deleted: %(count)s annotation uses it.",
                "“%(name)s” cannot be deleted: %(count)s annotations use it.",
                used[0],
            )
            % {"name": isolate(label_class.name), "count": localise_digits(str(used[0]))},
        )
    label_class.delete()
    return Status(204, None)
