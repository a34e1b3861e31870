"""Every change of reference data in the admin is on record: who changed which field of which row,
from what to what (ISO/IEC 17025: "who changed this blank limit, and when?"). The forms are posted
as a browser posts them, inline rows included."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.forms import MultiWidget
from django.urls import reverse

from assays.models import Analyte, CertifiedValue, Instrument, Method, MethodAnalyte, ReferenceMaterial
from lims.admin import AuditedAdmin
from lims.models import AuditAction, AuditEvent, User
from lims.roles import Role
from tests.conftest import PASSWORD, make_user


def resubmitted(page) -> dict:
    """What a browser posts back from an admin change page left as it was shown: the main form, and
    the management form and rows of every inline."""
    forms = [page.context["adminform"].form]
    for inline in page.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for name, field in form.fields.items():
            key, value = form.add_prefix(name), form[name].value()
            if field.disabled:
                continue
            if isinstance(field.widget, MultiWidget):  # date and time of a split date-time field
                parts = field.widget.decompress(value)
                data |= {f"{key}_{i}": "" if part is None else part for i, part in enumerate(parts)}
            elif isinstance(value, bool):
                if value:
                    data[key] = "on"
            elif value is not None:
                data[key] = value
    return data


def inline_row(page, prefix: str, **attributes):
    """The form of the inline row (of the inline named `prefix`) whose row has `attributes`."""
    inline = next(i for i in page.context["inline_admin_formsets"] if i.formset.prefix == prefix)
    return next(
        form
        for form in inline.formset.forms
        if all(str(getattr(form.instance, name)) == value for name, value in attributes.items())
    )


def records(action: AuditAction, model) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, object_type=model._meta.label_lower).order_by("id"))


@pytest.fixture
def lab_manager(manager):
    """Max keeps the laboratory's reference data in the admin: his role allows it
    (lims.permissions), and Django's model rights open the admin pages."""
    manager.user_permissions.add(*Permission.objects.filter(content_type__app_label__in=["assays", "samples"]))
    return manager


def test_a_blank_limit_changed_in_the_method_form_is_recorded(client, lab_manager):
    icpms = Method.objects.get(code="icpms-4acid")
    url = reverse("admin:assays_method_change", args=[icpms.pk])
    client.force_login(lab_manager)
    page = client.get(url)
    lead = inline_row(page, "performance", analyte="Pb")

    response = client.post(url, resubmitted(page) | {lead.add_prefix("blank_limit"): "0.3"})

    assert response.status_code == 302, response.context and response.context["errors"]
    limit = MethodAnalyte.objects.get(method=icpms, analyte__symbol="Pb")
    assert str(limit.blank_limit) == "0.300000"
    # One record: the row that changed, with the field before and after, and who changed it.
    [event] = AuditEvent.objects.all()
    assert (event.action, event.object_type, event.object_id, event.actor) == (
        AuditAction.REFERENCE_CHANGE,
        "assays.methodanalyte",
        str(limit.pk),
        lab_manager,
    )
    assert event.data == {"before": {"blank_limit": "0.500000"}, "after": {"blank_limit": "0.300000"}}


def test_rows_added_and_removed_in_an_inline_are_recorded(client, lab_manager):
    crm = ReferenceMaterial.objects.get(name="CCU-1f")
    url = reverse("admin:assays_referencematerial_change", args=[crm.pk])
    client.force_login(lab_manager)
    page = client.get(url)
    data = resubmitted(page) | {inline_row(page, "values", analyte="Hg").add_prefix("DELETE"): "on"}
    new = int(data["values-TOTAL_FORMS"])  # a row for bismuth, as "Add another" makes it
    data |= {"values-TOTAL_FORMS": new + 1, f"values-{new}-analyte": Analyte.objects.get(symbol="Bi").pk,
             f"values-{new}-value": "35.5", f"values-{new}-unit": "ppm"}  # fmt: skip

    response = client.post(url, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    assert not crm.values.filter(analyte__symbol="Hg").exists()
    # The removed row with everything it held; the added one with everything it holds.
    [removed] = records(AuditAction.REFERENCE_DELETE, CertifiedValue)
    assert removed.data["after"] == {} and removed.actor == lab_manager
    assert (removed.data["before"]["analyte"], removed.data["before"]["value"]) == ("Hg", "12.190000")
    [added] = records(AuditAction.REFERENCE_CREATE, CertifiedValue)
    assert added.object_id == str(crm.values.get(analyte__symbol="Bi").pk)
    assert (added.data["before"], added.data["after"]["value"], added.actor) == ({}, "35.500000", lab_manager)


def test_a_row_deleted_in_the_admin_is_recorded_with_what_it_held(client, lab_manager, instrument):
    client.force_login(lab_manager)

    response = client.post(reverse("admin:assays_instrument_delete", args=[instrument.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not Instrument.objects.exists()
    [event] = records(AuditAction.REFERENCE_DELETE, Instrument)
    assert (event.object_id, event.actor, event.data["after"]) == (str(instrument.pk), lab_manager, {})
    assert event.data["before"]["serial"] == "SG-1"
    assert event.data["before"]["calibration_due"] == instrument.calibration_due.isoformat()


def test_deleting_a_method_records_the_qc_limits_that_go_with_it(client, lab_manager):
    method = Method.objects.create(code="xrf", name="XRF", technique=Method.Technique.ICP_MS)
    limit = MethodAnalyte.objects.create(method=method, analyte=Analyte.objects.get(symbol="Pb"), blank_limit="0.2")
    client.force_login(lab_manager)

    response = client.post(reverse("admin:assays_method_delete", args=[method.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert [e.object_id for e in records(AuditAction.REFERENCE_DELETE, Method)] == [str(method.pk)]
    [gone] = records(AuditAction.REFERENCE_DELETE, MethodAnalyte)
    assert (gone.object_id, gone.data["before"]["blank_limit"]) == (str(limit.pk), "0.200000")


def test_the_bulk_delete_action_is_recorded_row_by_row(client, lab_manager, instrument):
    spare = Instrument.objects.create(name="ICP-MS 2", model="iCAP RQ", serial="TQ-7", calibration_due="2030-01-01")
    client.force_login(lab_manager)

    response = client.post(
        reverse("admin:assays_instrument_changelist"),
        {"action": "delete_selected", "_selected_action": [instrument.pk, spare.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert not Instrument.objects.exists()
    events = records(AuditAction.REFERENCE_DELETE, Instrument)
    assert sorted(e.data["before"]["serial"] for e in events) == ["SG-1", "TQ-7"]
    assert {e.actor for e in events} == {lab_manager}


def test_a_role_and_organisation_change_is_recorded(client, superuser, technician, exporter_org):
    # The admin's widgets show whole seconds, so saving the form drops the fraction of a second of
    # date_joined (and that change would be recorded); here it has none to drop.
    User.objects.filter(pk=technician.pk).update(date_joined=technician.date_joined.replace(microsecond=0))
    url = reverse("admin:lims_user_change", args=[technician.pk])
    client.force_login(superuser)
    page = client.get(url)
    reviewer_group = Group.objects.get(name=Role.REVIEWER)

    response = client.post(url, resubmitted(page) | {"groups": [reviewer_group.pk], "organisation": exporter_org.pk})

    assert response.status_code == 302, response.context and response.context["errors"]
    technician.refresh_from_db()
    assert technician.organisation == exporter_org
    [event] = records(AuditAction.ACCOUNT_CHANGE, User)
    assert (event.object_id, event.actor) == (str(technician.pk), superuser)
    assert event.data == {
        "before": {"organisation": "Kazakh Independent Laboratory", "groups": ["technician"]},
        "after": {"organisation": "Altyn Copper LLP", "groups": ["reviewer"]},
    }


def test_a_new_account_is_recorded_without_its_password(client, superuser):
    client.force_login(superuser)

    response = client.post(
        reverse("admin:lims_user_add"),
        {"username": "nina", "password1": PASSWORD, "password2": PASSWORD, "usable_password": "true"},
    )

    assert response.status_code == 302, response.context and response.context["errors"]
    [event] = AuditEvent.objects.filter(action=AuditAction.ACCOUNT_CREATE)
    assert event.data["after"]["username"] == "nina"
    assert event.data["after"]["password"] == "(hidden)"
    assert PASSWORD not in str(event.data) and "md5$" not in str(event.data)


def test_staff_whose_role_does_not_keep_reference_data_change_nothing(client, lab, instrument):
    # A technician made staff with every model right of assays still may not change reference data.
    tess = make_user("tessa", Role.TECHNICIAN, lab, is_staff=True)
    tess.user_permissions.add(*Permission.objects.filter(content_type__app_label="assays"))
    client.force_login(tess)
    url = reverse("admin:assays_instrument_change", args=[instrument.pk])

    assert client.post(url, {"name": "Renamed"}).status_code == 403
    assert (
        client.post(reverse("admin:assays_instrument_delete", args=[instrument.pk]), {"post": "yes"}).status_code == 403
    )
    assert client.get(reverse("admin:assays_instrument_add")).status_code == 403
    instrument.refresh_from_db()
    assert instrument.name == "ICP-MS 1"
    assert not AuditEvent.objects.exists()


def test_an_exporter_corrects_only_its_own_lots_and_the_correction_is_recorded(client, lot, lot2, exporter_org):
    alice = make_user("eve", Role.EXPORTER, exporter_org, is_staff=True)
    alice.user_permissions.add(*Permission.objects.filter(codename__in=["view_lot", "change_lot"]))
    client.force_login(alice)
    url = reverse("admin:samples_lot_change", args=[lot.pk])
    page = client.get(url)

    response = client.post(url, resubmitted(page) | {"origin": "Bozshakol concentrator"})

    assert response.status_code == 302, response.context and response.context["errors"]
    [event] = records(AuditAction.LOT_CHANGE, type(lot))
    assert (event.object_id, event.actor) == (str(lot.pk), alice)
    assert event.data == {"before": {"origin": "Aktogay concentrator"}, "after": {"origin": "Bozshakol concentrator"}}
    # Another exporter's lot is not even found.
    assert client.post(reverse("admin:samples_lot_change", args=[lot2.pk]), {"origin": "x"}).status_code in (302, 404)
    lot2.refresh_from_db()
    assert lot2.origin != "x"


def test_every_admin_page_that_writes_goes_through_the_audited_services(rf, superuser):
    # A model added to the admin with a plain ModelAdmin would be changed off the record.
    request = rf.get("/")
    request.user = superuser
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in {"lims", "samples", "assays", "certificates", "customs", "auth"}:
            continue
        writes = (
            model_admin.has_add_permission(request)
            or model_admin.has_change_permission(request)
            or model_admin.has_delete_permission(request)
        )
        assert isinstance(model_admin, AuditedAdmin) or not writes, model
