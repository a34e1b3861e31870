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


# What an exporter sees before issue ----------------------------------------------------------


@pytest.fixture
def pending(reported, manager, keys_dir, dispatched):
    from certificates import services

    return services.certificate_request(actor=manager, sample=reported)


@pytest.mark.parametrize("state", ["pending", "failed"])
def test_the_exporter_api_shows_a_certificate_not_yet_issued_without_its_contents(exporter, manager, pending, state):
    failure = "the signing key is unavailable" if state == "failed" else ""
    Certificate.objects.filter(pk=pending.pk).update(status=state, failure=failure)

    seen = api(exporter).get(f"/api/v1/certificates/{pending.pk}/").json()

    # The status, not what it will state: the laboratory has not issued it.
    assert seen["status"] == state
    assert seen["snapshot"] is None and seen["qr_token"] is None
    assert "22.84" not in str(seen) and "Cu" not in str(seen)
    # The laboratory still sees its work.
    assert api(manager).get(f"/api/v1/certificates/{pending.pk}/").json()["snapshot"]["lot"]["number"] == (
        pending.sample.lot.lot_number
    )


def test_the_exporter_api_shows_an_issued_certificates_contents(exporter, issued):
    seen = api(exporter).get(f"/api/v1/certificates/{issued.pk}/").json()

    assert seen["snapshot"]["headline"]["Cu"] == issued.snapshot["headline"]["Cu"]
    assert seen["qr_token"] == issued.qr_token


def test_the_exporter_page_of_a_pending_certificate_shows_its_status_only(client, exporter, manager, pending):
    client.force_login(exporter)
    page = client.get(f"/certificates/{pending.pk}/").content.decode()

    assert "Pending" in page
    assert "The contents show here once the laboratory has issued the certificate." in page
    assert "Headline assays" not in page and pending.snapshot["moisture"]["value"] not in page

    client.force_login(manager)
    assert "Headline assays" in client.get(f"/certificates/{pending.pk}/").content.decode()


# Reasons that go onto signed documents ---------------------------------------------------------


def test_the_revoke_form_refuses_a_character_a_certificate_cannot_print(client, manager, issued):
    client.force_login(manager)

    refused = client.post(f"/certificates/{issued.pk}/revoke/", {"reason": "Sample swapped \u202eat the lab."})

    issued.refresh_from_db()
    assert issued.status == "issued"
    # The refusal next to the reason, naming the character.
    assert refused.status_code == 400
    assert refused.context["revoke_form"].errors == {
        "reason": ["U+202E RIGHT-TO-LEFT OVERRIDE cannot be printed on a certificate."]
    }
    (form,) = lxml.html.fromstring(refused.content).xpath("//form[contains(@class, 'revoke')]")
    assert "RIGHT-TO-LEFT OVERRIDE" in form.text_content()


def test_a_reason_keeps_its_lines(client, manager, issued):
    client.force_login(manager)

    # A textarea sends CR LF.
    client.post(f"/certificates/{issued.pk}/revoke/", {"reason": "Sample swapped at the lab.\r\nRe-sampled."})

    issued.refresh_from_db()
    assert issued.status == "revoked"
    assert issued.revocation_reason == "Sample swapped at the lab.\nRe-sampled."


def test_the_api_refuses_an_unprintable_reason_with_a_400(manager, issued, dispatched):
    client = api(manager)

    revoked = client.post(f"/api/v1/certificates/{issued.pk}/revoke/", {"reason": "Withdrawn\x07."}, format="json")
    amended = client.post(f"/api/v1/certificates/{issued.pk}/amend/", {"reason": "Au 한 re-assayed."}, format="json")

    assert revoked.status_code == 400
    assert revoked.json()["message"] == "reason: U+0007 a control character cannot be printed on a certificate."
    assert amended.status_code == 400
    assert amended.json()["message"] == "reason: U+D55C HANGUL SYLLABLE HAN cannot be printed on a certificate."
    issued.refresh_from_db()
    assert issued.status == "issued" and not Certificate.objects.filter(supersedes=issued).exists()


@pytest.mark.parametrize("action", ["revoke", "amend"])
def test_the_services_refuse_an_unprintable_reason(manager, issued, dispatched, action):
    from certificates import services
    from lims.exceptions import ApplicationError

    service = {"revoke": services.certificate_revoke, "amend": services.certificate_amend}[action]
    with pytest.raises(ApplicationError) as refused:
        service(actor=manager, certificate=issued, reason="Typo in the\u200b origin.")

    assert refused.value.field == "reason"
    assert refused.value.message == "U+200B ZERO WIDTH SPACE cannot be printed on a certificate."
    issued.refresh_from_db()
    assert issued.status == "issued"
