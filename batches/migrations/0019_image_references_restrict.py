"""PostgreSQL: the three references to images refuse a delete at once (ON DELETE RESTRICT) instead of checking
at COMMIT (Django's NO ACTION, deferred).

Django keeps deleting an image's annotations, suggestions and upload-file links itself, before the image (the
models' on_delete is unchanged); the database only refuses a delete that would leave one behind. What changes
is the cost: a deferred NO ACTION check queues one event per deleted image per referring table and, at
COMMIT, looks both for a referring row and for a new image with the same id. RESTRICT looks for the referring
row only, as the statement runs. Deleting a batch of 50,000 images for good spent 1.4–2.1 s in those checks,
0.5–0.65 s with RESTRICT (docs/decisions/delete-without-the-collector.md). The inserting side stays deferred
(DEFERRABLE INITIALLY DEFERRED), as Django expects of every foreign key.

SQLite keeps Django's constraints: its checks cost little here. tests/batches/test_image_references.py checks
that every reference to images on PostgreSQL is RESTRICT, so a later migration that recreates one is caught.
"""

from django.db import migrations, transaction

REFERRERS = ("Annotation", "Suggestion", "UploadFile")


def _references(cursor, table: str, images: str) -> list[tuple[str, str]]:
    """(constraint, column) of each foreign key from `table` to the images table."""
    cursor.execute(
        """
        SELECT con.conname, att.attname
        FROM pg_constraint con
        JOIN pg_attribute att ON att.attrelid = con.conrelid AND att.attnum = con.conkey[1]
        WHERE con.contype = 'f' AND con.conrelid = %s::regclass AND con.confrelid = %s::regclass
        """,
        [table, images],
    )
    return cursor.fetchall()


def _recreate(apps, schema_editor, on_delete: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    images = apps.get_model("batches", "Image")._meta.db_table
    with schema_editor.connection.cursor() as cursor:
        for name in REFERRERS:
            table = apps.get_model("batches", name)._meta.db_table
            for constraint, column in _references(cursor, table, images):
                # Swapped in one short transaction (NOT VALID: no scan of the table under its exclusive lock),
                # then checked on its own, which lets the table be read and written meanwhile.
                with transaction.atomic(using=schema_editor.connection.alias):
                    schema_editor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(constraint)}")
                    schema_editor.execute(
                        f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(constraint)} FOREIGN KEY ({quote(column)}) "
                        f"REFERENCES {quote(images)} ({quote('id')}){on_delete} DEFERRABLE INITIALLY DEFERRED NOT VALID"
                    )
                schema_editor.execute(f"ALTER TABLE {quote(table)} VALIDATE CONSTRAINT {quote(constraint)}")


def restrict(apps, schema_editor) -> None:
    _recreate(apps, schema_editor, " ON DELETE RESTRICT")


def no_action(apps, schema_editor) -> None:
    _recreate(apps, schema_editor, "")


class Migration(migrations.Migration):
    atomic = False  # each constraint is swapped in its own short transaction (_recreate)

    dependencies = [
        ("batches", "0018_stale_notifications"),
    ]

    operations = [migrations.RunPython(restrict, no_action)]
