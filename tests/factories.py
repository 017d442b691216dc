"""factory_boy factories for the domain models."""

from __future__ import annotations

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from marketplace.models import Brand, Category, Condition, Listing, ListingStatus


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pass-word-123")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    level = 0
    parent = None


def category_path(c0: str = "Women", c1: str = "Tops & Blouses", c2: str = "T-Shirts") -> list[Category]:
    from marketplace.services.catalog import category_path_get_or_create

    return category_path_get_or_create(names=[c0, c1, c2])


class BrandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Brand
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Brand {n}")


class ListingFactory(factory.django.DjangoModelFactory):
    """A listing saved directly (no indexing task); use `listing_create` to exercise the service."""

    class Meta:
        model = Listing
        skip_postgeneration_save = True

    seller = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Vintage denim jacket {n}")
    description = "Gently used."
    price = Decimal("25.00")
    brand = factory.SubFactory(BrandFactory)
    condition = Condition.GOOD
    status = ListingStatus.ACTIVE
    created_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def with_category(self, create: bool, extracted: object, **kwargs: object) -> None:
        if self.c2_id is None:
            c0, c1, c2 = category_path()
            self.c0, self.c1, self.c2 = c0, c1, c2
            if create:
                self.save(update_fields=["c0", "c1", "c2"])


def listing_with_text_vector(rng, **fields) -> Listing:
    """A listing with a random unit-length text embedding, so vector-search rows (similar items) can find it."""
    import numpy as np

    vector = rng.normal(size=384)
    return ListingFactory(text_embedding=(vector / np.linalg.norm(vector)).tolist(), **fields)


class ExperimentFactory(factory.django.DjangoModelFactory):
    """A draft A/B experiment on the home rows, control `popularity` vs treatment `pwprec`, an even split."""

    class Meta:
        model = "experiments.Experiment"

    name = factory.Sequence(lambda n: f"exp{n}")
    surface = "home_rows"
    kind = "ab"
    arms = factory.LazyFunction(lambda: [{"name": "control", "recommender": "popularity"},
                                         {"name": "treatment", "recommender": "pwprec"}])
    weights = factory.LazyFunction(list)
    salt = factory.Sequence(lambda n: f"salt{n}")
