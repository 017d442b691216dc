"""`make demo` seeds without photos and attaches them behind the storefront (issue 17)."""

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command

from demo.seeding import demo_photos_attach, demo_photos_dir
from marketplace.models import Listing, ListingSource

pytestmark = pytest.mark.django_db

SMALL = {"users": 20, "listings": 60, "days": 2, "seed": 5}


def test_photos_attach_after_a_seed_without_photos_and_resume(settings, tmp_path):
    # given a demo seeded without photos, one listing that got a photo of its own meanwhile
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", no_photos=True, **SMALL)
    demo = Listing.objects.filter(source=ListingSource.DEMO)
    assert not demo.exclude(photo="").exists()
    own = demo.order_by("pk").last()
    own.photo.save("own.png", ContentFile(b"not a demo thumbnail"), save=True)
    directory = demo_photos_dir(**SMALL)
    reports: list[tuple[int, int]] = []
    # when the photos are attached in chunks
    attached = demo_photos_attach(directory=directory, chunk=25, report=lambda done, total: reports.append((done,
                                                                                                          total)))
    # then every other demo listing shows its rendered thumbnail, committed chunk by chunk
    assert attached == 59
    assert reports == [(25, 59), (50, 59), (59, 59)]
    for listing in demo.exclude(pk=own.pk):
        assert listing.photo.name == f"listings/demo/{directory.name}/{listing.external_id}.jpg"
        assert (tmp_path / listing.photo.name).stat().st_size > 0
    own.refresh_from_db()
    assert own.photo.name.endswith(".png")
    # and a second run (a restarted demo) has nothing left to do
    assert demo_photos_attach(directory=directory) == 0
