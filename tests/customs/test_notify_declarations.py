"""A declaration its checks flag tells the customs office's inspectors and whoever filed it
(lims.notifications); a cleared one tells nobody; the laboratory and other exporters never hear of it."""

import pytest
from django.urls import reverse
from django.utils import timezone

from certificates.models import Certificate
from customs import services
from customs.models import Declaration
from lims.models import Notification, Organisation
from lims.roles import Role
from tests.conftest import make_user


@pytest.fixture
def offices(customs_org, inspector, manager, technician, exporter2):
    """ivan and irina inspect at Khorgos; oleg at another post."""
    irina = make_user("irina", Role.INSPECTOR, customs_org)
    other = Organisation.objects.create(name="Dostyk Customs Post", kind=Organisation.Kind.CUSTOMS)
    oleg = make_user("oleg", Role.INSPECTOR, other)
    return {"irina": irina, "oleg": oleg}


def told() -> list[str]:
    return sorted(Notification.objects.filter(kind="declaration_flagged").values_list("recipient__username", flat=True))


def test_a_flagged_declaration_tells_the_offices_inspectors_and_the_filer(offices, declare, lot):
    Notification.objects.all().delete()

    declaration = declare(value="1234.56")  # far below the payable value: blocking

    assert declaration.status == Declaration.Status.FLAGGED
    assert told() == ["alice", "irina", "ivan"]
    notice = Notification.objects.get(recipient__username="alice")
    assert notice.title() == f"Declaration {declaration.number} flagged"
    assert notice.body() == (
        f"Declaration {declaration.number} of lot {lot.lot_number} is flagged for review: 1 blocking finding."
    )
    assert notice.link == reverse("declaration_detail", kwargs={"declaration_pk": declaration.pk})
    # No declared figure in the text.
    assert "1234" not in notice.body()


def test_a_cleared_declaration_tells_nobody(offices, declare):
    declaration = declare()

    assert declaration.status == Declaration.Status.CLEARED
    assert told() == []


def test_a_recheck_that_flags_it_tells_the_filer_and_the_other_inspectors(offices, declare, certificate, inspector):
    declaration = declare()
    Certificate.objects.filter(pk=certificate.pk).update(
        status=Certificate.Status.REVOKED, revoked_at=timezone.now(), revocation_reason="Wrong lot"
    )

    services.declaration_recheck(actor=inspector, declaration=declaration, note="Certificate revoked")

    declaration.refresh_from_db()
    assert declaration.status == Declaration.Status.FLAGGED
    # ivan re-ran the checks himself: he is not told what he just saw.
    assert told() == ["alice", "irina"]
