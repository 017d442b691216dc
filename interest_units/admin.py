"""Staff pages for interest units: the list, a unit's detail (members, stats over time, nearest units, code path),
a 2-D map of the units, rebuild / retitle actions, past builds with their quality reports, and a listing's units
on the listing admin. Pages only read (selectors) or enqueue tasks; anonymous visitors go to the admin login.
"""

from __future__ import annotations

import html
import json

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from interest_units import selectors
from interest_units.models import InterestUnit, InterestUnitMember, UnitBuild
from marketplace.models import Listing

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf"]
REBUILD_QUEUED = "A rebuild of every interest-unit type was queued; the new quality report appears under Builds."
RETITLE_DONE = "{n} title(s) changed."


class LiveFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("live", "Live"), ("retired", "Retired"), ("empty", "Live, no active members")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "live":
            return queryset.filter(retired_at__isnull=True)
        if self.value() == "retired":
            return queryset.filter(retired_at__isnull=False)
        if self.value() == "empty":
            return queryset.filter(retired_at__isnull=True, active_count=0)
        return queryset


def _thumbnail(listing: Listing, size: int = 48) -> SafeString:
    if listing.photo:
        return format_html('<img src="{}" alt="" width="{}" height="{}" style="object-fit:cover;border-radius:4px">',
                           listing.photo.url, size, size)
    initials = "".join(w[:1] for w in listing.title.split()[:2]).upper() or "?"
    return format_html('<span style="display:inline-block;width:{0}px;height:{0}px;line-height:{0}px;'
                       'text-align:center;background:#ddd;border-radius:4px;color:#555">{1}</span>', size, initials)


def _series_svg(series: list[dict], counters: list[str], width: int = 560, height: int = 120) -> SafeString:
    """A small line chart of daily counters (one polyline per counter, shared scale)."""
    peak = max([1] + [row[c] for row in series for c in counters])
    step = width / max(len(series) - 1, 1)
    lines, legend = [], []
    for i, counter in enumerate(counters):
        points = " ".join(f"{j * step:.1f},{height - 4 - (row[counter] / peak) * (height - 8):.1f}"
                          for j, row in enumerate(series))
        colour = PALETTE[i % len(PALETTE)]
        lines.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        legend.append(f'<span style="color:{colour}">■ {html.escape(counter)} ({sum(r[counter] for r in series)})'
                      "</span>")
    return mark_safe(
        f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'style="background:#fafafa;border:1px solid #eee">{"".join(lines)}</svg>'
        f'<div style="font-size:12px">{" &nbsp; ".join(legend)} — peak {peak}/day</div>'
    )


def _map_svg(unit_map: selectors.UnitMap, width: int = 900, height: int = 600) -> SafeString:
    if not unit_map.ids:
        return mark_safe("<p>No live units with a centroid yet: run <code>build_interest_units</code>.</p>")
    xy = unit_map.xy
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    span = [(hi[k] - lo[k]) or 1.0 for k in (0, 1)]
    groups = sorted(set(unit_map.groups), key=lambda g: (g == "other", g))
    colour = {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(groups)}
    biggest = max(unit_map.sizes) or 1
    circles = []
    for i, unit_id in enumerate(unit_map.ids):
        cx = 20 + (xy[i, 0] - lo[0]) / span[0] * (width - 40)
        cy = 20 + (xy[i, 1] - lo[1]) / span[1] * (height - 40)
        r = 2.5 + 7.5 * (unit_map.sizes[i] / biggest) ** 0.5
        url = reverse("admin:interest_units_interestunit_change", args=[unit_id])
        tip = html.escape(f"{unit_map.titles[i]} [{unit_map.types[i]}] · {unit_map.sizes[i]} members")
        circles.append(f'<a href="{url}"><circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r:.1f}" '
                       f'fill="{colour[unit_map.groups[i]]}" fill-opacity="0.65"><title>{tip}</title></circle></a>')
    legend = " &nbsp; ".join(f'<span style="color:{colour[g]}">●</span> {html.escape(g)}' for g in groups)
    return mark_safe(
        f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="unit map" '
        f'style="background:#fff;border:1px solid #ddd">{"".join(circles)}</svg><p>{legend}</p>'
    )


@admin.register(InterestUnit)
class InterestUnitAdmin(admin.ModelAdmin):
    list_display = ["title", "type", "key", "active_count", "sold_count", "ctr_percent", "purchases_30d",
                    "price_range", "is_live"]
    list_filter = ["type", LiveFilter]
    search_fields = ["title", "key"]
    ordering = ["-active_count", "pk"]
    list_per_page = 50
    actions = ["retitle_selected", "rebuild_all"]
    fields = ["title", "type", "key", "code_path", "member_count", "active_count", "sold_count", "price_min",
              "price_max", "price_median", "ctr", "purchases_30d", "window_stats_table", "attributes_pretty",
              "retired_at", "stats_refreshed_at", "created_at", "updated_at"]
    readonly_fields = [f for f in fields if f != "title"]
    change_form_template = "admin/interest_units/interestunit/change_form.html"
    change_list_template = "admin/interest_units/interestunit/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # units come from builds and placements

    def has_delete_permission(self, request: HttpRequest, obj: InterestUnit | None = None) -> bool:
        return False  # deleting a unit would delete the statistics it keeps; a rebuild retires it instead

    @admin.display(description="CTR", ordering="ctr")
    def ctr_percent(self, unit: InterestUnit) -> str:
        return f"{unit.ctr:.1%}"

    @admin.display(description="price range")
    def price_range(self, unit: InterestUnit) -> str:
        if unit.price_min is None:
            return "—"
        return f"${unit.price_min:,.0f}–${unit.price_max:,.0f}"

    @admin.display(description="live", boolean=True)
    def is_live(self, unit: InterestUnit) -> bool:
        return unit.retired_at is None

    @admin.display(description="code path")
    def code_path(self, unit: InterestUnit) -> str:
        return unit.code_path or "—"

    @admin.display(description="windows")
    def window_stats_table(self, unit: InterestUnit) -> SafeString:
        stats = unit.window_stats or {}
        if not stats:
            return mark_safe("—")
        counters = [c for c in next(iter(stats.values())) if c != "ctr"]
        head = "".join(f"<th>{html.escape(c)}</th>" for c in [*counters, "ctr"])
        body = "".join(
            f"<tr><th>{html.escape(w)}</th>" + "".join(f"<td>{stats[w].get(c, 0)}</td>" for c in counters)
            + f"<td>{stats[w].get('ctr', 0):.2%}</td></tr>" for w in stats
        )
        return mark_safe(f"<table><tr><th></th>{head}</tr>{body}</table>")

    @admin.display(description="attributes")
    def attributes_pretty(self, unit: InterestUnit) -> SafeString:
        return format_html("<pre>{}</pre>", json.dumps(unit.attributes, indent=1, ensure_ascii=False))

    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path("map/", wrap(self.map_view), name="interest_units_interestunit_map"),
            path("rebuild/", wrap(self.rebuild_view), name="interest_units_interestunit_rebuild"),
            path("retitle/", wrap(self.retitle_view), name="interest_units_interestunit_retitle"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        extra = {"latest_build": selectors.build_latest(), **(extra_context or {})}
        return super().changelist_view(request, extra_context=extra)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict | None = None) -> HttpResponse:
        unit = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if unit is not None:
            series = selectors.unit_daily_series(unit_id=unit.pk, days=30)
            extra.update(
                members=[(m, _thumbnail(m)) for m in selectors.unit_members(unit_id=unit.pk, limit=100)],
                nearest=selectors.units_nearest(unit=unit, limit=10),
                code_path_nodes=selectors.unit_code_path(unit=unit),
                traffic_svg=_series_svg(series, ["impressions", "clicks"]),
                engagement_svg=_series_svg(series, ["likes", "cart_adds", "offers", "purchases"]),
            )
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def map_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            return HttpResponseRedirect(reverse("admin:login"))
        colour_by = "category" if request.GET.get("colour") == "category" else "type"
        context = {
            **self.admin_site.each_context(request),
            "title": "Interest-unit map",
            "opts": self.model._meta,
            "colour_by": colour_by,
            "map_svg": _map_svg(selectors.units_map(colour_by=colour_by)),
        }
        return TemplateResponse(request, "admin/interest_units/interestunit/map.html", context)

    def rebuild_view(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_change_permission(request):
            return HttpResponseRedirect(reverse("admin:login"))
        self._rebuild_enqueue(request)
        return HttpResponseRedirect(reverse("admin:interest_units_interestunit_changelist"))

    def retitle_view(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_change_permission(request):
            return HttpResponseRedirect(reverse("admin:login"))
        from interest_units.services import interest_units_retitle

        self.message_user(request, RETITLE_DONE.format(n=interest_units_retitle()))
        return HttpResponseRedirect(reverse("admin:interest_units_interestunit_changelist"))

    def _rebuild_enqueue(self, request: HttpRequest) -> None:
        from interest_units.tasks import interest_units_build

        transaction.on_commit(lambda: interest_units_build.delay())
        self.message_user(request, REBUILD_QUEUED, messages.SUCCESS)

    @admin.action(description="Regenerate titles (of the selected units' types)")
    def retitle_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        from interest_units.services import interest_units_retitle

        changed = interest_units_retitle(unit_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, RETITLE_DONE.format(n=changed))

    @admin.action(description="Rebuild all interest units (every type)")
    def rebuild_all(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._rebuild_enqueue(request)


@admin.register(UnitBuild)
class UnitBuildAdmin(admin.ModelAdmin):
    list_display = ["pk", "started_at", "finished_at", "status", "types", "summary"]
    list_filter = ["status"]
    fields = ["status", "types", "started_at", "finished_at", "image_encoder", "config", "report_pretty",
              "messages"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: UnitBuild | None = None) -> bool:
        return False

    @admin.display(description="units / coverage")
    def summary(self, build: UnitBuild) -> str:
        return ", ".join(f"{t}: {r.get('count', 0)} / {r.get('coverage', 0):.0%}" for t, r in build.report.items())

    @admin.display(description="quality report")
    def report_pretty(self, build: UnitBuild) -> SafeString:
        return format_html("<pre>{}</pre>", json.dumps(build.report, indent=2))


class ListingUnitsInline(admin.TabularInline):
    """On the listing admin: the units this listing belongs to."""

    model = InterestUnitMember
    fk_name = "listing"
    verbose_name = "interest unit"
    verbose_name_plural = "interest units"
    fields = ["type", "unit_link", "unit_active", "joined_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description="unit")
    def unit_link(self, member: InterestUnitMember) -> SafeString:
        url = reverse("admin:interest_units_interestunit_change", args=[member.unit_id])
        return format_html('<a href="{}">{}</a>', url, member.unit.title)

    @admin.display(description="active members")
    def unit_active(self, member: InterestUnitMember) -> int:
        return member.unit.active_count


def _listing_admin_with_units() -> None:
    """Add the units inline to the listing admin, whoever registered it (marketplace loads before this app)."""
    if admin.site.is_registered(Listing):
        base = type(admin.site.get_model_admin(Listing))
        admin.site.unregister(Listing)
    else:
        class base(admin.ModelAdmin):  # noqa: N801 - a minimal listing admin until marketplace registers one
            list_display = ["title", "status", "price", "brand", "c2", "created_at"]
            list_filter = ["status", "source"]
            search_fields = ["title"]
            raw_id_fields = ["seller", "brand", "c0", "c1", "c2"]
            exclude = ["text_embedding"]

    attrs = {"inlines": [*getattr(base, "inlines", []), ListingUnitsInline], "__module__": __name__}
    admin.site.register(Listing, type(f"{base.__name__}WithUnits", (base,), attrs))


_listing_admin_with_units()
