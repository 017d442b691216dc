"""Pictures in a real browser: every listing in "my activity" shows its photo (or the placeholder), and an item's
photo is shown whole, whatever its shape (issue 17, part 6)."""

from io import BytesIO

import pytest
from django.core.files.base import ContentFile
from PIL import Image
from playwright.sync_api import Page, expect

from marketplace.models import CartItem, Like, Listing, Offer
from marketplace.services.listings import listing_buy
from tests.factories import ListingFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _with_photo(listing: Listing, *, width: int, height: int) -> Listing:
    """Give the listing a JPEG of this shape: a red frame around a blue middle, so a crop would cut the frame."""
    image = Image.new("RGB", (width, height), (200, 30, 40))
    image.paste((30, 60, 200), (width // 10, height // 10, width - width // 10, height - height // 10))
    data = BytesIO()
    image.save(data, format="JPEG")
    listing.photo.save(f"shape-{width}x{height}.jpg", ContentFile(data.getvalue()), save=True)
    return listing


def _log_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pass-word-123")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Log in")).to_have_count(0)


# For every line of a list (but the one saying it is empty): its picture (an <img> that loaded, or the
# placeholder), the name it gives, and its size.
LINE_PICTURES = """list => [...list.querySelectorAll(':scope > li:not(.meta)')].map(line => {
    const picture = line.querySelector('img.thumb, .thumb.placeholder');
    if (!picture) return {picture: null, name: null, text: line.innerText};
    const box = picture.getBoundingClientRect();
    return {picture: picture.tagName, name: picture.getAttribute('alt') || picture.getAttribute('aria-label') || '',
            loaded: picture.tagName !== 'IMG' || (picture.complete && picture.naturalWidth > 0),
            width: Math.round(box.width), height: Math.round(box.height), text: line.innerText};
})"""


def test_my_activity_shows_a_picture_for_every_listing(page: Page, live_server, shoot):
    # given a shopper with a purchase, a cart item, a like, an offer and a listing of their own, most with photos
    shopper = UserFactory(username="picture_shopper")
    bought, in_cart, liked, offered = (_with_photo(ListingFactory(title=f"{kind} Levis jacket"), width=w, height=h)
                                       for kind, w, h in (("Bought", 300, 300), ("Carted", 640, 360),
                                                          ("Liked", 360, 640), ("Offered", 400, 300)))
    no_photo_yet = ListingFactory(title="Liked lamp without a photo yet")
    own = _with_photo(ListingFactory(title="Own Nike sneakers", seller=shopper), width=500, height=500)
    listing_buy(listing_id=bought.pk, buyer=shopper)
    CartItem.objects.create(user=shopper, listing=in_cart)
    Like.objects.create(user=shopper, listing=liked)
    Like.objects.create(user=shopper, listing=no_photo_yet)
    Offer.objects.create(buyer=shopper, listing=offered, amount=20)

    # when they open "my activity"
    _log_in(page, live_server, shopper.username)
    page.goto(f"{live_server.url}/me/")
    page.wait_for_load_state("networkidle")
    shoot("my_activity_pictures")

    # then every line of every list shows its listing's picture (the placeholder for the one without a photo yet),
    # all at one size
    expected = {"Purchases": [bought], "Cart": [in_cart], "Likes": [no_photo_yet, liked], "Offers": [offered],
                "My listings": [own]}
    sizes = set()
    for heading, listings in expected.items():
        section = page.locator("section").filter(has=page.get_by_role("heading", name=heading, exact=True))
        lines = section.locator("ul").evaluate(LINE_PICTURES)
        assert [line["name"] for line in lines] == [listing.title for listing in listings], (heading, lines)
        for line, listing in zip(lines, listings, strict=True):
            assert line["picture"] == ("IMG" if listing.photo else "DIV"), (heading, line)
            assert line["loaded"], (heading, line)
            sizes.add((line["width"], line["height"]))
    assert len(sizes) == 1 and min(next(iter(sizes))) >= 40, sizes


# The part of the photo's pixels the page shows, and how much the shown part is stretched, from the <img>'s box,
# its natural size and its computed object-fit (cover crops; contain and scale-down letterbox; fill stretches).
PHOTO_SHOWN = """img => {
    const box = img.getBoundingClientRect();
    const fit = getComputedStyle(img).objectFit;
    const boxRatio = box.width / box.height, photoRatio = img.naturalWidth / img.naturalHeight;
    const cropped = fit === 'cover' || fit === 'none';
    const shown = cropped ? Math.min(boxRatio / photoRatio, photoRatio / boxRatio) : 1;
    const stretch = fit === 'fill' ? Math.max(boxRatio / photoRatio, photoRatio / boxRatio) : 1;
    return {fit, shown, stretch, naturalWidth: img.naturalWidth, width: box.width, height: box.height,
            top: box.top, bottom: box.bottom, left: box.left, right: box.right,
            viewportWidth: innerWidth, viewportHeight: innerHeight};
}"""


@pytest.mark.parametrize(("width", "height"), [(900, 450), (450, 900)], ids=["landscape", "portrait"])
def test_item_photo_is_shown_whole(page: Page, live_server, shoot, width: int, height: int):
    # given an item whose photo is not square
    listing = _with_photo(ListingFactory(title=f"Wide or tall photo {width}x{height}"), width=width, height=height)
    # when its page is opened
    page.goto(f"{live_server.url}/item/{listing.pk}/")
    photo = page.get_by_role("img", name=listing.title).first
    expect(photo).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=photo.element_handle())
    shoot(f"item_photo_{width}x{height}")
    # then the whole photo is shown, unstretched, large, and inside the window
    shown = photo.evaluate(PHOTO_SHOWN)
    assert shown["naturalWidth"] == width, shown
    assert shown["shown"] > 0.99 and shown["stretch"] < 1.01, shown
    assert shown["width"] >= 240 and shown["height"] >= 240, shown
    assert shown["top"] >= 0 and shown["left"] >= 0, shown
    assert shown["bottom"] <= shown["viewportHeight"] and shown["right"] <= shown["viewportWidth"], shown
