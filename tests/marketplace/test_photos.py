"""Listing photos: a decompression bomb is refused from its header; accepted photos are re-encoded without EXIF."""

import os
import subprocess
import sys
import textwrap
from io import BytesIO

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from marketplace.errors import ApplicationError
from marketplace.models import Listing
from marketplace.services import photos
from marketplace.services.listings import listing_create
from tests.factories import UserFactory, category_path


def _bomb_png(side: int = 12000) -> bytes:
    """A 1-bit all-black PNG: ~17 KB on disk, 144 Mpx (over 400 MB as RGB) once decoded."""
    buffer = BytesIO()
    Image.new("1", (side, side)).save(buffer, format="PNG")
    return buffer.getvalue()


def _photo_with_exif(size: tuple[int, int] = (800, 600), fmt: str = "JPEG") -> bytes:
    image = Image.new("RGB", size, (200, 40, 40))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Inc."  # Make
    exif[0x9286] = "secret comment"  # UserComment (Exif IFD in real files; any tag proves the point)
    buffer = BytesIO()
    image.save(buffer, format=fmt, exif=exif.tobytes())
    return buffer.getvalue()


def test_the_bomb_is_small_on_disk_and_huge_in_pixels():
    data = _bomb_png()
    assert len(data) < 30_000
    with pytest.raises(ApplicationError) as refused:
        photos.photo_check(BytesIO(data))
    assert refused.value.message == photos.PHOTO_TOO_MANY_PIXELS.format(
        width=settings.PHOTO_MAX_WIDTH, height=settings.PHOTO_MAX_HEIGHT, actual="larger")


def test_just_over_the_side_limit_is_refused_with_its_size():
    width = settings.PHOTO_MAX_WIDTH + 1
    buffer = BytesIO()
    Image.new("1", (width, 10)).save(buffer, format="PNG")
    with pytest.raises(ApplicationError) as refused:
        photos.photo_check(buffer)
    assert refused.value.message == photos.PHOTO_TOO_MANY_PIXELS.format(
        width=settings.PHOTO_MAX_WIDTH, height=settings.PHOTO_MAX_HEIGHT, actual=f"{width} × 10")


def test_pil_itself_refuses_anything_over_the_limit_anywhere_in_the_process():
    """A fresh process (as a Celery worker is) that only sets Django up: PIL refuses an image just over the limit.

    In a subprocess because pytest resets warning filters around each test, which would hide the one set at startup.
    """
    script = textwrap.dedent("""
        import django, io
        django.setup()
        from django.conf import settings
        from PIL import Image
        assert Image.MAX_IMAGE_PIXELS == settings.PHOTO_MAX_WIDTH * settings.PHOTO_MAX_HEIGHT
        buffer = io.BytesIO()
        Image.new("1", (settings.PHOTO_MAX_WIDTH + 1, settings.PHOTO_MAX_HEIGHT)).save(buffer, format="PNG")
        buffer.seek(0)
        try:
            Image.open(buffer)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            print("refused")
        else:
            print("decoded")
    """)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    done = subprocess.run([sys.executable, "-c", script], cwd=settings.BASE_DIR, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "refused"


@pytest.mark.parametrize("data", [b"not an image at all", b"%PDF-1.4 fake", b"\x89PNG\r\n\x1a\n truncated"])
def test_unreadable_files_are_refused(data):
    with pytest.raises(ApplicationError) as refused:
        photos.photo_check(BytesIO(data))
    assert refused.value.message == photos.PHOTO_UNREADABLE


def test_formats_outside_the_list_are_refused():
    buffer = BytesIO()
    Image.new("RGB", (20, 20)).save(buffer, format="TIFF")
    with pytest.raises(ApplicationError) as refused:
        photos.photo_check(buffer)
    assert refused.value.message == photos.PHOTO_UNREADABLE


def test_reencoding_drops_exif_and_bounds_the_size():
    original = _photo_with_exif(size=(3000, 1500))
    assert Image.open(BytesIO(original)).getexif()  # the upload does carry EXIF
    stored = photos.photo_reencode(SimpleUploadedFile("holiday.jpeg", original), name="holiday.jpeg")
    image = Image.open(BytesIO(stored.read()))
    assert stored.name == "holiday.jpg" and image.format == "JPEG"
    assert not image.getexif() and "exif" not in image.info
    assert max(image.size) == settings.PHOTO_STORED_MAX_SIDE and image.size[0] == 2 * image.size[1]


def test_transparent_photos_stay_png():
    buffer = BytesIO()
    Image.new("RGBA", (64, 64), (0, 0, 255, 128)).save(buffer, format="PNG")
    stored = photos.photo_reencode(SimpleUploadedFile("cut-out.png", buffer.getvalue()))
    image = Image.open(BytesIO(stored.read()))
    assert stored.name == "cut-out.png" and image.format == "PNG" and image.mode == "RGBA"


@pytest.mark.django_db
def test_listing_create_stores_the_reencoded_photo():
    seller, leaf = UserFactory(), category_path()[2]
    upload = SimpleUploadedFile("jacket.jpg", _photo_with_exif(), content_type="image/jpeg")
    listing = listing_create(seller=seller, title="Denim jacket", price="25", category=leaf, photo=upload, index=False)
    with listing.photo.open("rb") as handle:
        stored = Image.open(BytesIO(handle.read()))
    assert stored.format == "JPEG" and stored.size == (800, 600) and not stored.getexif()


@pytest.mark.django_db
def test_listing_create_refuses_the_bomb_without_writing():
    seller, leaf = UserFactory(), category_path()[2]
    with pytest.raises(ApplicationError):
        listing_create(seller=seller, title="Poster", price="5", category=leaf, index=False,
                       photo=SimpleUploadedFile("poster.png", _bomb_png(), content_type="image/png"))
    assert not Listing.objects.exists()


@pytest.mark.django_db
def test_sell_form_refuses_the_bomb_with_a_400_and_a_message(client):
    client.force_login(UserFactory())
    leaf = category_path()[2]
    response = client.post(reverse("sell"), {
        "title": "Huge poster", "price": "5", "category": leaf.pk, "condition": 3, "shipper": "seller",
        "photo": SimpleUploadedFile("poster.png", _bomb_png(), content_type="image/png")})
    assert response.status_code == 400
    expected = photos.PHOTO_TOO_MANY_PIXELS.format(
        width=settings.PHOTO_MAX_WIDTH, height=settings.PHOTO_MAX_HEIGHT, actual="larger")
    assert response.context["form"].errors["photo"] == [expected]
    assert not Listing.objects.exists()


@pytest.mark.django_db
def test_sell_form_accepts_a_normal_photo_and_stores_it_without_exif(client):
    seller = UserFactory()
    client.force_login(seller)
    leaf = category_path()[2]
    response = client.post(reverse("sell"), {
        "title": "Red lamp", "price": "15", "category": leaf.pk, "condition": 3, "shipper": "seller",
        "photo": SimpleUploadedFile("lamp.jpg", _photo_with_exif(), content_type="image/jpeg")})
    assert response.status_code == 302
    listing = Listing.objects.get(seller=seller)
    with listing.photo.open("rb") as handle:
        stored = Image.open(BytesIO(handle.read()))
    assert stored.format == "JPEG" and not stored.getexif()
