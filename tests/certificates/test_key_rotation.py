"""manage.py rotate_key: a new key, the old one kept as retired (what it signed still verifies), or
a key marked compromised from a date; the key set published again at once. An offline kit older
than a rotation says "update your kit" (exit 10), not "not ours"; a compromised key's certificates
are "not valid: key compromised" in the kit (exit 11) and on the portal."""

import shutil
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from certificates import keys, publication, services, verification, verifier
from certificates.models import Certificate, SigningKey
from tests.certificates.test_offline_kit import download_kit
from tests.certificates.test_verification import issue, pdf_of  # noqa: F401 - issue is a fixture


@pytest.fixture
def certificate(issue):  # noqa: F811
    return issue()


@pytest.fixture
def own_keys(settings, tmp_path, keys_dir):
    """A copy of the session's keys directory: rotation rewrites this test's keys only."""
    shutil.copytree(keys_dir, tmp_path / "var" / "keys")
    settings.VAR_DIR = tmp_path / "var"


def rotate(*args) -> str:
    out = StringIO()
    call_command("rotate_key", *args, stdout=out)
    return out.getvalue()


def kit_verdict(kit, *args) -> tuple[int, str]:
    from contextlib import redirect_stdout

    out = StringIO()
    with redirect_stdout(out):
        code = verifier.main([*map(str, args), "--keys", str(kit)])
    return code, out.getvalue()


def test_rotating_the_token_key_retires_the_old_one_and_republishes(own_keys, certificate, client):
    old = keys.load_token_key().kid
    publication.publish()

    out = rotate("--kind", "token")

    new = keys.load_token_key().kid  # the same process picks the new file up, no restart
    assert new != old and f"new token key {new}" in out
    states = dict(SigningKey.objects.filter(kind="token").values_list("kid", "state"))
    assert states == {old: "retired", new: "current"}
    # Published again at once, both keys in it: the old one still verifies what it signed.
    key_set = verifier.load_key_set(client.get("/verify/keys/keys.json").json())
    assert {kid: key.state for kid, key in key_set.keys.items() if key.kind == "token"} == states
    assert verification.check_number(certificate.number).verdict == "authentic"


def test_a_kit_older_than_a_rotation_says_update_your_kit(own_keys, certificate, issue, client, tmp_path):  # noqa: F811
    old_kit = download_kit(client, tmp_path / "old")
    rotate("--kind", "token")
    newer = issue()  # issued with the new token key
    (tmp_path / "newer.pdf").write_bytes(pdf_of(newer))

    code, out = kit_verdict(old_kit, tmp_path / "newer.pdf")

    assert code == verifier.EXIT_CODES["update_kit"] == 10, out
    assert out.startswith("UPDATE_KIT: ") and "update your kit" in out and "newer than this kit" in out
    # The kit fetched after the rotation knows the key.
    assert kit_verdict(download_kit(client, tmp_path / "new"), tmp_path / "newer.pdf")[0] == 0


def test_a_compromised_key_voids_what_it_signed_in_the_kit_and_on_the_portal(own_keys, certificate, client, tmp_path):
    since = (certificate.issued_at - timedelta(days=1)).isoformat()

    rotate("--compromised", certificate.token_kid, "--from", since, "--reason", "token key copied off the server")

    kit = download_kit(client, tmp_path / "kit")
    (tmp_path / "c.pdf").write_bytes(pdf_of(certificate))
    code, out = kit_verdict(kit, tmp_path / "c.pdf")
    assert code == verifier.EXIT_CODES["compromised"] == 11
    assert "not valid: key compromised" in out
    # A QR code alone has no proven time: everything the key signed is void.
    assert kit_verdict(kit, "--token", certificate.qr_token)[0] == 11
    check = verification.check_number(certificate.number)
    assert check.verdict == "compromised" and check.title == "Not valid: key compromised"


def test_a_compromise_dated_after_the_issue_leaves_the_certificate_valid_on_the_portal(own_keys, certificate, client):
    rotate("--compromised", certificate.token_kid, "--from", (timezone.now() + timedelta(hours=1)).isoformat(),
           "--reason", "key retired after a scare")  # fmt: skip

    assert verification.check_number(certificate.number).verdict == "authentic"


def test_the_issue_task_refuses_a_compromised_key(own_keys, certificate, manager, dispatched):
    rotate("--compromised", certificate.token_kid, "--reason", "stolen")
    services.certificate_revoke(actor=manager, certificate=certificate, reason="Reissued with a new key.")
    again = services.certificate_request(actor=manager, sample=certificate.sample)

    with pytest.raises(keys.KeyConfigurationError, match="compromised"):
        services.certificate_issue_unsafe(certificate_id=again.pk, claim="after-compromise")

    again.refresh_from_db()
    assert again.status != Certificate.Status.ISSUED


def test_it_needs_a_reason_to_mark_a_key_compromised(own_keys, certificate):
    with pytest.raises(CommandError, match="--reason"):
        rotate("--compromised", certificate.token_kid)
    assert SigningKey.objects.get(kid=certificate.token_kid).state == "current"


def test_a_cached_answer_by_number_changes_when_the_key_is_marked_compromised(own_keys, certificate, client, settings):
    """The API keeps rendered answers by the register's state: the signing keys' states are part of it,
    so an answer cached before a compromise is never served after it (the state itself is kept for a
    second at most; here not at all)."""
    settings.LIMS_VERIFY_STATE_CACHE_SECONDS = 0
    url = f"/api/v1/verify/{certificate.number}/"
    assert client.get(url).json()["verdict"] == "authentic"
    assert client.get(url).json()["verdict"] == "authentic"  # served from the cache

    rotate("--compromised", certificate.token_kid, "--reason", "token key copied off the server")

    assert client.get(url).json()["verdict"] == "compromised"
