"""Form pieces every app's pages share. Forms parse and describe input; the services decide whether it
is acceptable. A form's cleaned_data carries exactly the keyword arguments of the service it feeds."""

from typing import TYPE_CHECKING, TypeVar

from django import forms
from django.utils.translation import gettext_lazy as _

from lims.exceptions import ApplicationError

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
