"""Form pieces every app's pages share. Forms parse and describe input; the services decide whether it
is acceptable. A form's cleaned_data carries exactly the keyword arguments of the service it feeds."""

from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from lims.exceptions import ApplicationError
from lims.lib import numbers

if TYPE_CHECKING:  # django-stubs-ext is a development dependency: types only
    from django_stubs_ext import StrOrPromise

_F = TypeVar("_F", bound=forms.Field)


def with_blank(choices, blank_label) -> list:
    """`choices` after an empty first choice labelled `blank_label` ("Any" in a filter, dashes in a form)."""
    return [("", blank_label), *choices]


def field_of(form: forms.BaseForm, name: str, kind: type[_F]) -> _F:
    """The form's field `name`, which must be a `kind`: form.fields holds plain Fields for the type
    checker, this says which one (to set a ModelChoiceField's queryset, a ChoiceField's choices)."""
    field = form.fields[name]
    if not isinstance(field, kind):
        raise TypeError(f"{type(form).__name__}.{name} is a {type(field).__name__}, not a {kind.__name__}")
    return field


class Form(forms.Form):
    error_css_class = "has-error"
    required_css_class = "required"


AMBIGUOUS_NUMBER = _("%(value)s could mean %(whole)s or %(decimal)s: enter it without a thousands separator.")


def typed_decimal(text: str) -> Decimal:
    """The number `text` means as typed in the page's language (lims.lib.numbers.typed): a
    ValidationError naming both readings when it reads two ways, ValueError when it is no number
    (the caller says what to type)."""
    try:
        return numbers.typed(text, thousand_separator=formats.get_format("THOUSAND_SEPARATOR"))
    except numbers.AmbiguousNumber as exc:
        raise forms.ValidationError(
            AMBIGUOUS_NUMBER,
            code="ambiguous",
            params={"value": exc.text, "whole": formats.localize(exc.whole), "decimal": formats.localize(exc.decimal)},
        ) from exc


class DecimalField(forms.DecimalField):
    """A decimal typed as people write it in the page's language (typed_decimal()): 22,50 or 22.50,
    5 120,5 in Russian and Kazakh, 5,120.5 in English; what reads two ways (1,234 in English) is
    refused with both readings named, never guessed. The field shows its value as the page's language
    writes it (22,50 in Russian), in a text field with a decimal keypad: a browser's number field
    follows the browser's language, not the page's, and would show another separator than the page
    (or refuse the comma a Russian keyboard types)."""

    default_error_messages = {"invalid": _("Enter a number, such as %(example)s.")}

    def __init__(self, **kwargs):
        kwargs["localize"] = True
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "inputmode": "decimal", "autocomplete": "off"}

    def to_python(self, value):
        if value in self.empty_values or isinstance(value, Decimal):
            return super().to_python(value)
        try:
            number = typed_decimal(str(value))
        except ValueError as exc:
            raise forms.ValidationError(
                self.error_messages["invalid"], code="invalid", params={"example": formats.localize(Decimal("22.50"))}
            ) from exc
        return super().to_python(number)


class RowsFormSet(forms.BaseFormSet):
    """A formset of a page's rows (lims.web.submit's `formset`): it shows a service's refusal that
    names the rows, or a field of a row, in the row concerned (see lims.web.show_refusal)."""

    def show_refusal(self, exc: ApplicationError) -> None:
        raise NotImplementedError


class ReasonForm(Form):
    """The reason an action goes on record with (revoke, withdraw, override...). Optional here: the
    service says when one is required, next to this field."""

    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class AcceptOrRejectForm(ReasonForm):
    """A decision to accept or reject, and its reason. A subclass names the two choices and says where
    the reason goes on record."""

    accept_label: "StrOrPromise" = _("Accept")
    reject_label: "StrOrPromise" = _("Reject")
    reason_help: "StrOrPromise" = ""

    accept = forms.TypedChoiceField(
        label=_("Decision"), choices=(), coerce=lambda value: value == "accept", widget=forms.RadioSelect
    )
    # The service requires the reason; `required` in the page asks for it before sending.
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 3, "required": True})
    )

    field_order = ["accept", "reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["accept"].choices = [("accept", self.accept_label), ("reject", self.reject_label)]
        self.fields["reason"].help_text = self.reason_help
