"""lims.web.submit: every page runs a service from a POST the same way. The form is shown empty on
GET and again, with status 400, while it is invalid; a refusal shows next to the field it names (or
at the top of the form) with the refusal's status; a success says so and redirects."""

import pytest
from django import forms
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import RequestFactory

from lims.exceptions import ApplicationError, Conflict
from lims.forms import Form
from lims.web import flash_and_redirect, show_refusal, submit


class SealForm(Form):
    seal_number = forms.CharField(max_length=8)
    note = forms.CharField(required=False)


class RowForm(Form):
    purpose = forms.CharField()


class RowFormSet(forms.BaseFormSet):
    def show_refusal(self, exc):
        self.non_form_errors().append(exc.message)


def post(data=None):
    request = RequestFactory().post("/seal/", data or {}) if data is not None else RequestFactory().get("/seal/")
    request.user = AnonymousUser()
    request._messages = CookieStorage(request)
    return request


def send(request, service, **kwargs):
    """The seal page of a test: `service` takes the form's cleaned data."""
    form = SealForm(request.POST if request.method == "POST" else None)
    calls = []

    def call(data):
        calls.append(data)
        return service(data)

    response = submit(
        request, form, call, done=lambda sealed: flash_and_redirect(request, f"Sealed {sealed}.", "/done/"),
        template="lims/_form_fields.html", context={"form": form}, **kwargs,
    )  # fmt: skip
    return response, form, calls


def refuse(exc):
    def service(data):
        raise exc

    return service


def test_it_shows_the_empty_form_on_get():
    response, form, calls = send(post(), str)

    assert response.status_code == 200
    assert not form.is_bound and not calls


def test_an_invalid_form_is_shown_again_with_400_and_the_service_is_not_called():
    response, form, calls = send(post({"seal_number": "TOO-LONG-NUMBER"}), str)

    assert response.status_code == 400
    assert list(form.errors) == ["seal_number"]
    assert not calls


def test_a_refusal_is_shown_next_to_the_field_it_names_with_its_status():
    response, form, _ = send(post({"seal_number": "S-1"}), refuse(Conflict("Seal S-1 is used.", field="seal_number")))

    assert response.status_code == 409
    assert form.errors == {"seal_number": ["Seal S-1 is used."]}
    assert "Seal S-1 is used." in response.content.decode()


def test_a_refusal_naming_no_field_of_the_form_goes_at_its_top():
    response, form, _ = send(post({"seal_number": "S-1"}), refuse(ApplicationError("Not now.", field="lot")))

    assert response.status_code == 400
    assert form.non_field_errors() == ["Not now."]
    assert 'class="form-errors"' in response.content.decode()


def test_a_success_says_so_and_redirects():
    request = post({"seal_number": "S-1", "note": "at the loading point"})

    response, _, calls = send(request, lambda data: data["seal_number"])

    assert (response.status_code, response.url) == (302, "/done/")
    assert [str(message) for message in get_messages(request)] == ["Sealed S-1."]
    # The service got the form's cleaned data.
    assert calls == [{"seal_number": "S-1", "note": "at the loading point"}]


def test_a_refusal_may_be_put_where_the_page_says():
    shown = []

    response, form, _ = send(post({"seal_number": "S-1"}), refuse(ApplicationError("Cell.")), show=shown.append)

    assert response.status_code == 400
    assert [exc.message for exc in shown] == ["Cell."] and not form.errors


@pytest.mark.parametrize(
    ("field", "where"),
    [("seal_number", "form field"), ("rows", "formset"), ("purpose", "formset"), ("lot", "form top")],
)
def test_a_refusal_goes_to_the_formset_when_it_names_the_rows_or_a_field_of_a_row(field, where):
    form = SealForm({"seal_number": "S-1"})
    formset = forms.formset_factory(RowForm, formset=RowFormSet)(
        {"rows-TOTAL_FORMS": "1", "rows-INITIAL_FORMS": "0"}, prefix="rows"
    )
    assert form.is_valid() and formset.is_valid()

    show_refusal(form, ApplicationError("No.", field=field), formset)

    shown = {
        "form field": form.errors.get("seal_number"),
        "form top": form.errors.get("__all__"),
        "formset": list(formset.non_form_errors()) or None,
    }
    assert {key: value for key, value in shown.items() if value} == {where: ["No."]}
