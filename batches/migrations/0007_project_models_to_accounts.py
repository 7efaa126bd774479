"""Project, LabelClass and the project permission tables now live in accounts (accounts 0003): drop them
from batches' state and point the foreign keys there. The database does not change: the tables keep
their names.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_project_models_from_batches'),
        ('batches', '0006_batchevent_related'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveConstraint(
                    model_name='labelclass',
                    name='labelclass_unique_name_per_project',
                ),
                migrations.RemoveConstraint(
                    model_name='labelclass',
                    name='labelclass_unique_key_per_project',
                ),
                migrations.RemoveConstraint(
                    model_name='labelclass',
                    name='labelclass_key_1_9',
                ),
                migrations.RemoveConstraint(
                    model_name='labelclass',
                    name='labelclass_name_not_empty',
                ),
                migrations.AlterField(
                    model_name='annotation',
                    name='label_class',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='annotations', to='accounts.labelclass'),
                ),
                migrations.RemoveField(
                    model_name='project',
                    name='created_by',
                ),
                migrations.AlterField(
                    model_name='image',
                    name='project',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='images', to='accounts.project'),
                ),
                migrations.AlterField(
                    model_name='batch',
                    name='project',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='batches', to='accounts.project'),
                ),
                migrations.RemoveField(
                    model_name='projectuserobjectpermission',
                    name='content_object',
                ),
                migrations.AlterField(
                    model_name='batchevent',
                    name='project',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='accounts.project'),
                ),
                migrations.AlterUniqueTogether(
                    name='projectuserobjectpermission',
                    unique_together=None,
                ),
                migrations.RemoveField(
                    model_name='projectuserobjectpermission',
                    name='permission',
                ),
                migrations.RemoveField(
                    model_name='projectuserobjectpermission',
                    name='user',
                ),
                migrations.RemoveField(
                    model_name='labelclass',
                    name='project',
                ),
                migrations.DeleteModel(
                    name='ProjectGroupObjectPermission',
                ),
                migrations.DeleteModel(
                    name='ProjectUserObjectPermission',
                ),
                migrations.DeleteModel(
                    name='LabelClass',
                ),
                migrations.DeleteModel(
                    name='Project',
                ),
            ],
        ),
    ]
