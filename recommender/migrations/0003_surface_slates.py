from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("recommender", "0002_user_vectors"),
    ]

    operations = [
        migrations.CreateModel(
            name="SurfaceSlate",
            fields=[
                ("key", models.CharField(max_length=80, primary_key=True, serialize=False)),
                ("payload", models.JSONField()),
                ("computed_at", models.DateTimeField()),
            ],
        ),
    ]
