"""Storefront pages (server-rendered). Views stay thin: selectors read, services write, events are logged once
per page in one batch (impressions of everything shown, plus the page's own action)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from marketplace import errors
from marketplace.errors import ApplicationError
from marketplace.models import CartItem, EventAction, Like, Listing, ListingStatus, Page
from marketplace.selectors import impression_shown, listing_get_for_page, listing_search, user_activity
from marketplace.services.activity import cart_set, like_set, offer_make
from marketplace.services.catalog import brand_get_or_create
from marketplace.services.events import CLIENT_REQUEST_MAX_AGE, EventInput
from marketplace.services.listings import listing_buy, listing_create, listing_remove, listing_update
from marketplace.viewers import viewer_session_id
from recommender.surfaces.serve import home_serve, item_serve, unit_page_serve
from recommender.surfaces.types import Slate
from storefront.forms import ListingEditForm, OfferForm, SearchForm, SellForm, SignUpForm
from storefront.page_events import page_events_record


def _viewer_id(request: HttpRequest) -> int | None:
    return request.user.pk if request.user.is_authenticated else None


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("Accept", "").startswith("application/json")


def _safe_next(request: HttpRequest, fallback: str) -> str:
    """The POSTed `next` when it points back into this site (`//evil.example` and `/\\evil.example` do not)."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
        return target
    return fallback


def login_required_back_to_item(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """`login_required` for the POST-only item actions (like, cart, offer): an anonymous viewer is sent to log in
    with `next` pointing at the item page (the POST URL itself cannot be come back to), and site.js's fetch gets a
    401 with that log-in URL to go to instead of silently following the redirect."""

    @wraps(view)
    def wrapper(request: HttpRequest, listing_id: int, *args: object, **kwargs: object) -> HttpResponse:
        if request.user.is_authenticated:
            return view(request, listing_id, *args, **kwargs)
        login_url = redirect_to_login(reverse("listing-detail", args=[listing_id])).url
        if _wants_json(request):
            return JsonResponse({"detail": errors.LOGIN_REQUIRED, "login_url": login_url}, status=401)
        return redirect(login_url)

    return wrapper


def _error_response(request: HttpRequest, error: ApplicationError, *, back: str) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"detail": error.message}, status=error.status_code)
    messages.error(request, error.message)
    if error.status_code == 403:
        return render(request, "marketplace/error.html", {"message": error.message}, status=403)
    return redirect(back)


# -- browsing ------------------------------------------------------------------------------------------------
def home(request: HttpRequest) -> HttpResponse:
    slate, cards = home_serve(viewer_id=_viewer_id(request))
    page_events_record(request, slate.impressions(page=Page.HOME) + cards.impressions(page=Page.HOME))
    return render(request, "marketplace/home.html", {"slate": slate, "cards": cards.cards})


def listing_detail(request: HttpRequest, listing_id: int) -> HttpResponse:
    listing = listing_get_for_page(listing_id)
    if listing is None:
        raise Http404(errors.LISTING_NOT_FOUND)
    viewer_id = _viewer_id(request)
    # Rows for a sold or removed item too: its page is where a late shopper looks for the next one (the rows hold
    # active listings only). Only an available item counts a view.
    slate = item_serve(listing_id=listing.pk, viewer_id=viewer_id)
    unit = next((row.interest_unit for row in slate.rows if row.surface == "vip_unit"), None)
    events = []
    if listing.is_available:
        events.append(EventInput(action=EventAction.ITEM_VIEW, listing_id=listing.pk, page=Page.VIP,
                                 interest_unit_id=unit.pk if unit else None, **_click_source(request, listing.pk)))
    page_events_record(request, events + slate.impressions(page=Page.VIP))
    context = {
        "listing": listing,
        "slate": slate,
        "unit": unit,
        "is_owner": viewer_id == listing.seller_id,
        "liked": viewer_id is not None and Like.objects.filter(user_id=viewer_id, listing=listing).exists(),
        "in_cart": viewer_id is not None and CartItem.objects.filter(user_id=viewer_id, listing=listing).exists(),
        "offer_form": OfferForm(),
    }
    return render(request, "marketplace/listing_detail.html", context)


def _click_source(request: HttpRequest, listing_id: int) -> dict:
    """Where the click that brought the viewer here came from: the surface, position and recommender of the server's
    own impression named by `?rid=` (the link's request id). A link edited to credit another request, or one not
    shown to this viewer, counts as a plain view."""
    impression = impression_shown(
        user_id=_viewer_id(request), session_id=viewer_session_id(request), request_id=request.GET.get("rid", "")[:40],
        listing_id=listing_id, since=timezone.now() - CLIENT_REQUEST_MAX_AGE,
    )
    if impression is None:
        return {}
    return {"surface": impression.surface, "position": impression.position, "recommender": impression.recommender,
            "request_id": impression.request_id}


def unit_detail(request: HttpRequest, unit_id: int) -> HttpResponse:
    page = unit_page_serve(unit_id=unit_id, viewer_id=_viewer_id(request))
    page_events_record(request, page.impressions(page=Page.IU))
    return render(request, "marketplace/unit_detail.html", {"page": page})


SEARCH_PAGE_SIZE = 24


def search(request: HttpRequest) -> HttpResponse:
    """Ranked search; the viewer's own listings appear, marked, and log no impressions (not a shopping signal)."""
    form = SearchForm(request.GET or None)
    results, suggestion, suggestion_url = None, "", ""
    if form.is_valid():
        data = form.cleaned_data
        found = listing_search(
            viewer_id=_viewer_id(request), query=data["q"], category=data["category"], brand=data["brand"],
            min_price=data["min_price"], max_price=data["max_price"], condition=data["condition"],
        )
        results = Paginator(found.listings, SEARCH_PAGE_SIZE).get_page(request.GET.get("page"))
        if suggestion := found.suggestion:
            params = request.GET.copy()
            params["q"] = suggestion
            params.pop("page", None)
            suggestion_url = f"?{params.urlencode()}"
        events = []
        if data["q"] and not request.GET.get("page"):
            events.append(EventInput(action=EventAction.SEARCH, page=Page.SEARCH, query=data["q"]))
        request_id = uuid.uuid4().hex
        events += [
            EventInput(action=EventAction.IMPRESSION, listing_id=listing.pk, page=Page.SEARCH, surface="search",
                       position=results.start_index() - 1 + position, recommender="search", request_id=request_id)
            for position, listing in enumerate(results) if not listing.is_own
        ]
        page_events_record(request, events)
    return render(request, "marketplace/search.html",
                  {"form": form, "results": results, "suggestion": suggestion, "suggestion_url": suggestion_url})


# -- selling -------------------------------------------------------------------------------------------------
@login_required
def sell(request: HttpRequest) -> HttpResponse:
    form = SellForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():  # a refused listing leaves no new brand behind
                listing = listing_create(
                    seller=request.user, title=data["title"], description=data["description"], price=data["price"],
                    category=data["category"], brand=brand_get_or_create(name=data["brand"]),
                    condition=data["condition"], size=data["size"], color=data["color"], shipper=data["shipper"],
                    photo=data["photo"],
                )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Your listing is live.")
            return redirect("listing-detail", listing_id=listing.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "marketplace/sell.html", {"form": form}, status=status)


@login_required
def listing_edit(request: HttpRequest, listing_id: int) -> HttpResponse:
    listing = listing_get_for_page(listing_id)
    if listing is None:
        raise Http404(errors.LISTING_NOT_FOUND)
    if listing.seller_id != request.user.pk:
        return render(request, "marketplace/error.html", {"message": errors.LISTING_NOT_OWNER}, status=403)
    form = ListingEditForm(request.POST or None, initial={
        "title": listing.title, "description": listing.description, "price": listing.price})
    if request.method == "POST" and form.is_valid():
        try:
            listing_update(listing=listing, editor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Listing updated.")
            return redirect("listing-detail", listing_id=listing.pk)
    return render(request, "marketplace/listing_edit.html", {"form": form, "listing": listing},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def listing_remove_view(request: HttpRequest, listing_id: int) -> HttpResponse:
    try:
        listing_remove(listing_id=listing_id, actor=request.user)
    except ApplicationError as error:
        return _error_response(request, error, back=reverse("listing-detail", args=[listing_id]))
    messages.success(request, "Listing removed.")
    return redirect("my-activity")


# -- buying and reacting -------------------------------------------------------------------------------------
@login_required_back_to_item
@require_POST
def like_toggle(request: HttpRequest, listing_id: int) -> HttpResponse:
    liked = request.POST.get("liked", "1") == "1"
    back = reverse("listing-detail", args=[listing_id])
    try:
        state = like_set(user=request.user, listing_id=listing_id, liked=liked, session_id=viewer_session_id(request))
    except ApplicationError as error:
        return _error_response(request, error, back=back)
    if _wants_json(request):
        return JsonResponse({"liked": state})
    return redirect(back)


@login_required_back_to_item
@require_POST
def cart_toggle(request: HttpRequest, listing_id: int) -> HttpResponse:
    in_cart = request.POST.get("in_cart", "1") == "1"
    back = _safe_next(request, reverse("listing-detail", args=[listing_id]))
    try:
        state = cart_set(user=request.user, listing_id=listing_id, in_cart=in_cart,
                         session_id=viewer_session_id(request))
    except ApplicationError as error:
        return _error_response(request, error, back=back)
    if _wants_json(request):
        return JsonResponse({"in_cart": state})
    return redirect(back)


@login_required_back_to_item
@require_POST
def offer_create(request: HttpRequest, listing_id: int) -> HttpResponse:
    form = OfferForm(request.POST)
    back = reverse("listing-detail", args=[listing_id])
    if not form.is_valid():
        messages.error(request, errors.OFFER_AMOUNT_INVALID)
        return redirect(back)
    try:
        offer_make(buyer=request.user, listing_id=listing_id, amount=form.cleaned_data["amount"],
                   session_id=viewer_session_id(request))
    except ApplicationError as error:
        return _error_response(request, error, back=back)
    messages.success(request, "Offer sent to the seller.")
    return redirect(back)


@login_required
def buy(request: HttpRequest, listing_id: int) -> HttpResponse:
    """GET: the confirmation page (logs buy_start). POST: the purchase itself."""
    listing = listing_get_for_page(listing_id)
    if listing is None:
        raise Http404(errors.LISTING_NOT_FOUND)
    if request.method == "POST":
        try:
            order = listing_buy(listing_id=listing.pk, buyer=request.user, session_id=viewer_session_id(request))
        except ApplicationError as error:
            return _buy_failed(request, listing, message=error.message, status=error.status_code)
        return render(request, "marketplace/order_done.html", {"order": order, "listing": listing})
    if listing.seller_id == request.user.pk:
        return _buy_failed(request, listing, message=errors.LISTING_OWN_PURCHASE, status=403)
    if listing.status != ListingStatus.ACTIVE:
        message = errors.LISTING_ALREADY_SOLD if listing.status == ListingStatus.SOLD else errors.LISTING_NOT_AVAILABLE
        return _buy_failed(request, listing, message=message, status=409)
    page_events_record(request, [EventInput(action=EventAction.BUY_START, listing_id=listing.pk, page=Page.VIP)])
    return render(request, "marketplace/buy_confirm.html", {"listing": listing})


# The one row the "already sold" page offers instead, first that has items.
BUY_FAILED_ROW_SURFACES = ("vip_similar", "vip_unit", "vip_for_you", "vip_cooccurrence")


def _buy_failed(request: HttpRequest, listing: Listing, *, message: str, status: int) -> HttpResponse:
    """The page for a purchase that cannot happen; when the item is gone (409), one row of similar available items,
    their impressions logged as on the item's page."""
    slate = None
    if status == 409:
        item_slate = item_serve(listing_id=listing.pk, viewer_id=_viewer_id(request))
        rows = {row.surface: row for row in item_slate.rows}
        row = next((rows[surface] for surface in BUY_FAILED_ROW_SURFACES if surface in rows), None)
        if row is not None:
            slate = Slate(request_id=item_slate.request_id, rows=[row])
            page_events_record(request, slate.impressions(page=Page.VIP))
    return render(request, "marketplace/buy_failed.html", {"listing": listing, "message": message, "slate": slate},
                  status=status)


@login_required
def my_activity(request: HttpRequest) -> HttpResponse:
    return render(request, "marketplace/my_activity.html", user_activity(user_id=request.user.pk))


# -- accounts ------------------------------------------------------------------------------------------------
def signup(request: HttpRequest) -> HttpResponse:
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.username}!")
        return redirect("home")
    return render(request, "registration/signup.html", {"form": form},
                  status=400 if request.method == "POST" else 200)




@require_POST
def demo_switch(request: HttpRequest) -> HttpResponse:
    """Log in as a demo user without a password: only in demo mode, only demo accounts."""
    if not settings.DEMO_MODE:
        raise Http404("Demo mode is off.")
    user = get_user_model().objects.filter(username=request.POST.get("username", ""), username__startswith="demo_",
                                           is_staff=False).first()
    if user is None:
        messages.error(request, "No such demo user.")
        return redirect("home")
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, f"You are now {user.username}.")
    return redirect(_safe_next(request, reverse("home")))


def login_locked_out(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict | None = None) -> HttpResponse:
    """What django-axes answers to a locked-out log-in (AXES_LOCKOUT_CALLABLE), on the storefront and the admin."""
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    message = errors.LOGIN_LOCKED_OUT.format(minutes=minutes)
    if _wants_json(request):
        return JsonResponse({"detail": message}, status=429)
    response = render(request, "marketplace/error.html", {"message": message}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response
