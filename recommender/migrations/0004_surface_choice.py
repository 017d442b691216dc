import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("recommender", "0003_surface_slates"),
    ]

    operations = [
        migrations.CreateModel(
            name="SurfaceChoice",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("slot", models.CharField(max_length=40, unique=True)),
                ("winner", models.CharField(max_length=40)),
                ("protocol", models.CharField(max_length=20)),
                ("metric", models.CharField(max_length=40)),
                ("values", models.JSONField(default=dict)),
                ("dataset", models.CharField(default="db", max_length=120)),
                ("data_window", models.JSONField(default=dict)),
                ("forced", models.BooleanField(default=False)),
                ("decided_at", models.DateTimeField()),
                (
                    "version",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="recommender.modelversion",
                    ),
                ),
            ],
            options={
                "ordering": ["slot"],
            },
        ),
    ]
