"""Project, LabelClass and the project permission tables move from batches into accounts.

Only Django's idea of where the models live changes: the tables keep their names (db_table), so no
row moves. Their content types move with them (django_content_type.app_label), so the permission rows
(auth_permission), guardian's object permissions and the admin's log entries keep pointing at them.
batches 0007 drops the models from batches' state.
"""

import django.core.validators
import django.db.models.deletion
import django.db.models.functions.text
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MOVED = ["project", "labelclass", "projectuserobjectpermission", "projectgroupobjectpermission"]


def _move_content_types(apps, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        moving = ContentType.objects.filter(app_label=source, model=model).first()
        if moving is None:
            continue  # a fresh database: post_migrate makes the row where the model now lives
        # A row for the target can only have been made by a post_migrate that ran before this
        # migration; no permission or log entry can point at it yet, so the moving row replaces it.
        ContentType.objects.filter(app_label=target, model=model).delete()
        moving.app_label = target
        moving.save(update_fields=["app_label"])


def move_to_accounts(apps, schema_editor):
    _move_content_types(apps, "batches", "accounts")


def move_back_to_batches(apps, schema_editor):
    _move_content_types(apps, "accounts", "batches")


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_user_create_project_permission'),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('batches', '0006_batchevent_related'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='Project',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=200)),
                        ('description', models.TextField(blank=True)),
                        ('review_required', models.BooleanField(default=True, help_text='Submitted batches go to Review; when off they go straight to Dataset.')),
                        ('allow_self_review', models.BooleanField(default=False, help_text='Let a reviewer approve a batch they annotated themselves.')),
                        ('annotator_visibility', models.CharField(choices=[('assigned', 'Only the batches assigned to them'), ('board', 'The whole board')], default='assigned', help_text='With “only the batches assigned to them”, annotators see just their own batches (cards, counts, pages and images) and reviewers see Review and Dataset plus their own; managers always see everything.', max_length=20, verbose_name='annotators see')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'batches_project',
                        'ordering': ['name', 'id'],
                        'permissions': [('annotate_project', 'Annotate batches assigned to them'), ('review_project', 'Approve or reject batches in Review'), ('manage_project', 'Upload, assign, delete, manage members, classes and exports')],
                    },
                ),
                migrations.CreateModel(
                    name='LabelClass',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100)),
                        ('colour', models.CharField(default='#1f77b4', max_length=7, validators=[django.core.validators.RegexValidator('^#[0-9a-fA-F]{6}$', 'Use a colour like #1f77b4.')])),
                        ('key', models.PositiveSmallIntegerField(blank=True, help_text='Number key 1–9 that picks this class while annotating.', null=True, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(9)])),
                        ('project', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='label_classes', to='accounts.project')),
                    ],
                    options={
                        'verbose_name_plural': 'label classes',
                        'db_table': 'batches_labelclass',
                        'ordering': ['key', 'name'],
                        'constraints': [models.UniqueConstraint(django.db.models.functions.text.Lower('name'), models.F('project'), name='labelclass_unique_name_per_project'), models.UniqueConstraint(fields=('project', 'key'), name='labelclass_unique_key_per_project'), models.CheckConstraint(condition=models.Q(models.Q(('key__gte', 1), ('key__lte', 9)), ('key__isnull', True), _connector='OR'), name='labelclass_key_1_9'), models.CheckConstraint(condition=models.Q(('name', ''), _negated=True), name='labelclass_name_not_empty')],
                    },
                ),
                migrations.CreateModel(
                    name='ProjectGroupObjectPermission',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('content_object', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='accounts.project')),
                        ('group', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='auth.group')),
                        ('permission', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='auth.permission')),
                    ],
                    options={
                        'db_table': 'batches_projectgroupobjectpermission',
                        'abstract': False,
                        'unique_together': {('group', 'permission', 'content_object')},
                    },
                ),
                migrations.CreateModel(
                    name='ProjectUserObjectPermission',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('content_object', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='accounts.project')),
                        ('permission', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='auth.permission')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'batches_projectuserobjectpermission',
                        'abstract': False,
                        'unique_together': {('user', 'permission', 'content_object')},
                    },
                ),
            ],
        ),
        migrations.RunPython(move_to_accounts, move_back_to_batches),
    ]
