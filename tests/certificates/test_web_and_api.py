"""Certificate pages and API: who sees, requests, downloads, revokes and amends what."""

import lxml.html
import pytest
from rest_framework.test import APIClient

from certificates.models import Certificate
from tests.assays.conftest import report
from tests.certificates.builders import issue_now
from tests.conftest import received


@pytest.fixture
def reported(lot, sampler, technician, reviewer, instrument):
    return report(received(lot, sampler, technician), technician=technician, reviewer=reviewer, instrument=instrument)


@pytest.fixture
def issued(reported, manager, keys_dir, dispatched):
    from certificates import services

    return issue_now(services.certificate_request(actor=manager, sample=reported))


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_manager_requests_a_certificate_from_the_page(client, manager, reported, dispatched):
    client.force_login(manager)
    page = client.get("/certificates/request/")
    assert reported.code in page.content.decode()

    response = client.post("/certificates/request/", {"sample": reported.code})

    certificate = Certificate.objects.get(sample=reported)
    assert response.status_code == 302 and response["Location"] == f"/certificates/{certificate.pk}/"
    detail = client.get(response["Location"]).content.decode()
    # The progress page says what happens and will poll for the rest.
    assert "Pending" in detail and f"/certificates/{certificate.pk}/progress/" in detail


def test_a_sample_that_is_not_reported_is_not_offered(client, manager, lot, sampler, technician):
    sample = received(lot, sampler, technician)
    client.force_login(manager)
    response = client.post("/certificates/request/", {"sample": sample.code})
    # Refused next to the field; nothing requested.
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Certificate.objects.exists()


def test_the_progress_answers_in_json(client, manager, issued):
    client.force_login(manager)
    progress = client.get(f"/certificates/{issued.pk}/progress/").json()
    assert progress["status"] == "issued" and progress["finished"] is True
    assert [s["done"] for s in progress["steps"]] == [True, True, True, True]


def test_the_exporter_downloads_his_certificate(client, exporter, issued):
    client.force_login(exporter)
    listing = client.get("/certificates/").content.decode()
    assert issued.number in listing

    response = client.get(f"/certificates/{issued.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{issued.number}.pdf"'
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_another_exporter_sees_nothing_of_it(client, exporter2, issued):
    client.force_login(exporter2)
    assert issued.number not in client.get("/certificates/").content.decode()
    assert client.get(f"/certificates/{issued.pk}/").status_code == 404
    assert client.get(f"/certificates/{issued.pk}/pdf/").status_code == 404
    assert api(exporter2).get(f"/api/v1/certificates/{issued.pk}/pdf/").status_code == 404
    assert api(exporter2).get("/api/v1/certificates/").json()["count"] == 0


def test_a_pending_certificate_has_no_pdf_to_download(client, manager, reported, dispatched):
    from certificates import services

    pending = services.certificate_request(actor=manager, sample=reported)
    client.force_login(manager)
    assert client.get(f"/certificates/{pending.pk}/pdf/").status_code == 404


def test_revoking_from_the_page_needs_a_reason(client, manager, issued):
    client.force_login(manager)
    refused = client.post(f"/certificates/{issued.pk}/revoke/", {"reason": ""})
    issued.refresh_from_db()
    assert issued.status == "issued"
    # The certificate's page again, the refusal next to the reason of the revoke form.
    assert refused.status_code == 400
    assert refused.context["revoke_form"].errors == {
        "reason": ["Give the reason for the revocation; inspectors will read it."]
    }
    (form,) = lxml.html.fromstring(refused.content).xpath("//form[contains(@class, 'revoke')]")
    assert "Give the reason for the revocation" in form.text_content()

    client.post(f"/certificates/{issued.pk}/revoke/", {"reason": "Sample swapped at the lab."})
    issued.refresh_from_db()
    assert issued.status == "revoked"
    page = client.get(f"/certificates/{issued.pk}/").content.decode()
    assert "Sample swapped at the lab." in page


def test_a_second_revocation_is_refused_in_the_revoke_form(client, manager, issued):
    client.force_login(manager)
    client.post(f"/certificates/{issued.pk}/revoke/", {"reason": "Sample swapped at the lab."})

    refused = client.post(f"/certificates/{issued.pk}/revoke/", {"reason": "Again."})

    # The page again, the refusal at the top of the revoke form (shown with it, though no longer offered).
    assert refused.status_code == 409
    (form,) = lxml.html.fromstring(refused.content).xpath("//form[contains(@class, 'revoke')]")
    assert form.xpath(".//div[@class='form-errors']//li")
    issued.refresh_from_db()
    assert issued.revocation_reason == "Sample swapped at the lab."


def test_only_the_manager_revokes(client, exporter, reviewer, issued):
    for person in (exporter, reviewer):
        client.force_login(person)
        assert client.post(f"/certificates/{issued.pk}/revoke/", {"reason": "x"}).status_code == 403
    issued.refresh_from_db()
    assert issued.status == "issued"


def test_the_api_requests_amends_and_revokes(manager, issued, dispatched):
    client = api(manager)
    refused = client.post(f"/api/v1/certificates/{issued.pk}/amend/", {"reason": ""}, format="json")
    assert refused.status_code == 400 and "what changed" in refused.json()["message"]

    amended = client.post(f"/api/v1/certificates/{issued.pk}/amend/", {"reason": "Typo in origin."}, format="json")
    assert amended.status_code == 201
    assert amended.json()["snapshot"]["amendment"]["supersedes"] == issued.number

    revoked = client.post(f"/api/v1/certificates/{issued.pk}/revoke/", {"reason": "Withdrawn."}, format="json")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    again = client.post(f"/api/v1/certificates/{issued.pk}/revoke/", {"reason": "Withdrawn."}, format="json")
    assert again.status_code == 409


def test_the_api_refuses_a_request_for_an_unreported_sample(manager, lot, sampler, technician):
    sample = received(lot, sampler, technician)
    response = api(manager).post("/api/v1/certificates/", {"sample": sample.code}, format="json")
    assert response.status_code == 409 and "not reported" in response.json()["message"]


def test_no_private_key_reaches_an_api_response(manager, issued):
    body = api(manager).get(f"/api/v1/certificates/{issued.pk}/").content.decode()
    assert "PRIVATE KEY" not in body
    assert issued.qr_token in body  # the public token is the certificate's own
