from django.db import migrations, models


class Migration(migrations.Migration):
    """Projects that exist keep showing annotators the whole board; new projects show only their own batches.

    Changing what an existing team sees without anyone deciding it would be a silent surprise (an
    annotator's cards vanish mid-work); a manager can switch to "assigned only" in the settings.
    """

    dependencies = [
        ("batches", "0003_self_review_help_text"),
    ]

    operations = [
        migrations.AddField(
            model_name="project",
            name="annotator_visibility",
            field=models.CharField(
                choices=[("assigned", "Only the batches assigned to them"), ("board", "The whole board")],
                default="board",
                max_length=20,
                verbose_name="annotators see",
            ),
        ),
        migrations.AlterField(
            model_name="project",
            name="annotator_visibility",
            field=models.CharField(
                choices=[("assigned", "Only the batches assigned to them"), ("board", "The whole board")],
                default="assigned",
                help_text=(
                    "With “only the batches assigned to them”, annotators see just their own batches (cards, "
                    "counts, pages and images) and reviewers see Review and Dataset plus their own; managers "
                    "always see everything."
                ),
                max_length=20,
                verbose_name="annotators see",
            ),
        ),
    ]
