"""Reference data of valuation in the admin: changed through the service (so on record) by those
lims.permissions allows; never deleted. Declarations there are read-only (tests/customs/test_visibility.py)."""

from django.contrib.auth.models import Permission
from django.urls import reverse

from customs.models import MetalPrice
from lims.models import AuditEvent

PRICE = {"commodity": "Au", "unit": "oz", "price": "2710.5", "currency": "USD", "effective_date": "2026-11-02",
         "source": "LBMA gold price PM"}  # fmt: skip


def test_an_administrator_adds_a_price_and_it_is_recorded(client, superuser):
    client.force_login(superuser)

    response = client.post(reverse("admin:customs_metalprice_add"), PRICE)

    assert response.status_code == 302
    price = MetalPrice.objects.get(commodity="Au")
    assert AuditEvent.objects.get(action="customs_reference.create", object_id=str(price.pk)).actor == superuser


def test_the_admin_validates_a_price(client, superuser):
    client.force_login(superuser)
    response = client.post(reverse("admin:customs_metalprice_add"), {**PRICE, "commodity": "Xx"})
    assert response.status_code == 200  # the form again, with the error
    assert "neither an analyte symbol" in response.content.decode()
    assert not MetalPrice.objects.exists()


def test_a_lab_manager_with_model_rights_still_may_not_change_prices(client, manager, prices):
    manager.user_permissions.add(*Permission.objects.filter(content_type__app_label="customs"))
    client.force_login(manager)

    assert client.post(reverse("admin:customs_metalprice_add"), PRICE).status_code == 403
    url = reverse("admin:customs_metalprice_change", args=[prices["Cu"].pk])
    assert client.post(url, {**PRICE, "commodity": "Cu"}).status_code == 403
    assert (
        client.post(reverse("admin:customs_metalprice_delete", args=[prices["Cu"].pk]), {"post": "yes"}).status_code
        == 403
    )
    assert MetalPrice.objects.count() == 4
