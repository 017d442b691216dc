"""Forms of the storefront. Validation messages are what a seller or buyer sees."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.core.files.uploadedfile import UploadedFile

from marketplace.errors import ApplicationError
from marketplace.models import Category, Condition, Shipper
from marketplace.services.photos import photo_check


class LeafCategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        path = [obj.parent.parent.name, obj.parent.name, obj.name] if obj.parent and obj.parent.parent else [obj.name]
        return " › ".join(path)


class PhotoField(forms.ImageField):
    """An image field that reads the photo's size from its header before Django or PIL decode anything."""

    def to_python(self, data: UploadedFile | None) -> UploadedFile | None:
        if data not in self.empty_values:
            try:
                photo_check(data)
            except ApplicationError as error:
                raise forms.ValidationError(error.message, code="photo") from None
        return super().to_python(data)


class SellForm(forms.Form):
    title = forms.CharField(max_length=200, help_text="What is it? Brand, model, size help buyers find it.")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=5000)
    price = forms.DecimalField(min_value=Decimal("0"), max_value=Decimal("99999999.99"), decimal_places=2,
                               help_text="US dollars")
    category = LeafCategoryChoiceField(
        queryset=Category.objects.filter(level=2).select_related("parent__parent").order_by(
            "parent__parent__name", "parent__name", "name"),
        empty_label="Choose a category",
    )
    brand = forms.CharField(max_length=120, required=False, help_text="Leave empty if it has no brand.")
    condition = forms.TypedChoiceField(choices=Condition.choices, coerce=int, initial=Condition.GOOD)
    size = forms.CharField(max_length=40, required=False)
    color = forms.CharField(max_length=40, required=False)
    shipper = forms.ChoiceField(choices=Shipper.choices, initial=Shipper.SELLER, label="Shipping")
    photo = PhotoField(required=False, help_text="JPEG, PNG, GIF or WebP; stored without its metadata.")

    def clean_title(self) -> str:
        title = " ".join(self.cleaned_data["title"].split())
        if not title:
            raise forms.ValidationError("A listing needs a title.")
        return title


class ListingEditForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=5000)
    price = forms.DecimalField(min_value=Decimal("0"), max_value=Decimal("99999999.99"), decimal_places=2)


class OfferForm(forms.Form):
    amount = forms.DecimalField(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), decimal_places=2,
                                label="Your offer (USD)")


class SearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search")
    category = forms.ModelChoiceField(queryset=Category.objects.filter(level__lte=1).order_by("level", "name"),
                                      required=False, empty_label="All categories")
    brand = forms.CharField(required=False, max_length=120)
    min_price = forms.DecimalField(required=False, min_value=Decimal("0"), decimal_places=2, label="Min $")
    max_price = forms.DecimalField(required=False, min_value=Decimal("0"), decimal_places=2, label="Max $")
    condition = forms.TypedChoiceField(choices=[("", "Any condition"), *Condition.choices], coerce=int,
                                       required=False, empty_value=None)

    def clean(self) -> dict:
        data = super().clean()
        low, high = data.get("min_price"), data.get("max_price")
        if low is not None and high is not None and low > high:
            raise forms.ValidationError("The minimum price is above the maximum price.")
        return data


class SignUpForm(UserCreationForm):
    email = forms.EmailField(required=False)

    class Meta(UserCreationForm.Meta):
        fields = ("username", "email")
