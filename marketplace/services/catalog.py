"""Categories and brands: find-or-create by name, shared by the sell form and every importer."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import IntegrityError, transaction

from marketplace.errors import ApplicationError
from marketplace.models import Brand, Category

CATEGORY_PATH_INVALID = "A category path has one to three non-empty levels (c0 / c1 / c2)."


def _clean(name: str) -> str:
    return " ".join(str(name).split())[:120]


def category_path_get_or_create(
    *, names: Sequence[str], merrec_ids: Sequence[int | None] | None = None
) -> list[Category]:
    """The nodes c0 > c1 > c2 for `names`, created when missing. Returns one Category per level."""
    cleaned = [_clean(n) for n in names]
    if not 1 <= len(cleaned) <= 3 or any(not n for n in cleaned):
        raise ApplicationError(CATEGORY_PATH_INVALID, extra={"names": list(names)})
    path: list[Category] = []
    parent: Category | None = None
    for level, name in enumerate(cleaned):
        merrec_id = merrec_ids[level] if merrec_ids and level < len(merrec_ids) else None
        node = Category.objects.filter(parent=parent, name=name).first()
        if node is None:
            try:
                with transaction.atomic():
                    node = Category.objects.create(parent=parent, name=name, level=level, merrec_id=merrec_id)
            except IntegrityError:  # created concurrently, or the merrec id already names another node
                node = Category.objects.filter(parent=parent, name=name).first() or Category.objects.create(
                    parent=parent, name=name, level=level
                )
        path.append(node)
        parent = node
    return path


def brand_get_or_create(*, name: str, merrec_id: int | None = None) -> Brand | None:
    name = _clean(name)
    if not name:
        return None
    brand = Brand.objects.filter(name=name).first()
    if brand is not None:
        return brand
    try:
        with transaction.atomic():
            return Brand.objects.create(name=name, merrec_id=merrec_id)
    except IntegrityError:
        return Brand.objects.filter(name=name).first() or Brand.objects.create(name=name)


def product_id_for(*, brand: Brand | None, leaf: Category | None) -> str:
    """MerRec's product_id: brand + most specific category, empty when either is unknown."""
    if brand is None or leaf is None:
        return ""
    return f"{brand.pk}-{leaf.pk}"
