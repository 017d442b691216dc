import pytest
from django.urls import reverse

from interest_units.admin import REBUILD_QUEUED
from interest_units.models import BuildStatus, InterestUnit, UnitBuild, UnitType
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PAGES = [
    reverse("admin:interest_units_interestunit_changelist"),
    reverse("admin:interest_units_interestunit_map"),
    reverse("admin:interest_units_unitbuild_changelist"),
]


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(username="staff", is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_users_are_redirected_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_anonymous_cannot_see_a_unit_or_trigger_a_rebuild(client, built):
    unit = InterestUnit.objects.first()
    detail = client.get(reverse("admin:interest_units_interestunit_change", args=[unit.pk]))
    rebuild = client.post(reverse("admin:interest_units_interestunit_rebuild"))
    assert detail.status_code == 302 and rebuild.status_code == 302
    assert UnitBuild.objects.count() == 1


def test_unit_list_with_filters_and_search(staff_client, built, catalogue):
    url = reverse("admin:interest_units_interestunit_changelist")
    spu = InterestUnit.objects.get(type=UnitType.SPU, members__listing=catalogue["Nike"][0])
    page = staff_client.get(url).content.decode()
    assert spu.title in page and "Latest build" in page and "CTR" in page
    filtered = staff_client.get(url, {"type__exact": "image"}).content.decode()
    assert f">{spu.key}<" not in filtered and "/k0<" in filtered
    found = staff_client.get(url, {"q": "Nike", "type__exact": "spu"}).content.decode()
    assert f">{spu.key}<" in found and "LuLaRoe" not in found


def test_unit_detail_shows_members_stats_nearest_and_code_path(staff_client, built, catalogue):
    semantic = InterestUnit.objects.get(type=UnitType.SEMANTIC, members__listing=catalogue["Nike"][0])
    page = staff_client.get(reverse("admin:interest_units_interestunit_change", args=[semantic.pk])).content.decode()
    assert "Members (" in page and "Nike Air Max 90 size 10" in page and "Active" in page
    assert "Nearest units" in page and "Stats over the last 30 days" in page and "<svg" in page
    assert "Semantic code path" in page and "level 1: <strong>Athletic</strong>" in page  # its leaf category
    image = InterestUnit.objects.get(type=UnitType.IMAGE, members__listing=catalogue["Nike"][0])
    page = staff_client.get(reverse("admin:interest_units_interestunit_change", args=[image.pk])).content.decode()
    assert "<img src=" in page  # member thumbnails


def test_unit_map_coloured_by_type_or_category(staff_client, built):
    url = reverse("admin:interest_units_interestunit_map")
    by_type = staff_client.get(url).content.decode()
    by_category = staff_client.get(url, {"colour": "category"}).content.decode()
    assert by_type.count("<circle") == InterestUnit.objects.filter(retired_at__isnull=True).count()
    assert "semantic" in by_type and "Electronics" in by_category


def test_map_of_an_empty_catalogue_says_what_to_do(staff_client):
    page = staff_client.get(reverse("admin:interest_units_interestunit_map")).content.decode()
    assert "build_interest_units" in page


def test_rebuild_and_retitle_actions(staff_client, built, django_capture_on_commit_callbacks):
    InterestUnit.objects.filter(type=UnitType.SPU).update(title="x")
    response = staff_client.post(reverse("admin:interest_units_interestunit_retitle"), follow=True)
    assert "5 title(s) changed." in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("admin:interest_units_interestunit_rebuild"), follow=True)
    assert REBUILD_QUEUED in response.content.decode()
    assert UnitBuild.objects.filter(status=BuildStatus.DONE).count() == 2
    selected = list(InterestUnit.objects.filter(type=UnitType.SPU).values_list("pk", flat=True)[:1])
    InterestUnit.objects.filter(pk__in=selected).update(title="y")
    response = staff_client.post(reverse("admin:interest_units_interestunit_changelist"),
                                 {"action": "retitle_selected", "_selected_action": selected}, follow=True)
    assert "1 title(s) changed." in response.content.decode()


def test_build_page_shows_the_quality_report(staff_client, built):
    page = staff_client.get(reverse("admin:interest_units_unitbuild_change", args=[built.pk])).content.decode()
    assert "purity_leaf_category" in page and "coverage" in page


def test_listing_admin_shows_the_listing_units(staff_client, built, catalogue):
    listing = catalogue["Nike"][0]
    page = staff_client.get(reverse("admin:marketplace_listing_change", args=[listing.pk])).content.decode()
    for unit in InterestUnit.objects.filter(members__listing=listing):
        assert unit.title in page
