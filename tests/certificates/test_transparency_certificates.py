"""Certificate and key events reach the transparency log in the transaction that makes them (issue,
revocation, supersession, key recorded, rotated, compromised), exactly those leaves and no other;
the inclusion proof answers for them and the verification page shows it; the backfill migration
logs what a register held before the log."""

import base64
import importlib
import json
from io import StringIO

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse

from certificates import merkle, services, transparency
from certificates.models import Certificate, LogEntry, SigningKey
from certificates.tasks import sign_log_checkpoint
from tests.certificates.builders import issue_now
from tests.certificates.test_verification import issue  # noqa: F401 - a fixture

backfill = importlib.import_module("certificates.migrations.0006_transparency_log_append_only_backfill")


def logged() -> list[dict]:
    return [json.loads(bytes(leaf)) for leaf in LogEntry.objects.order_by("index").values_list("leaf", flat=True)]


def certificate_leaves() -> list[tuple[str, str]]:
    return [(leaf["event"], leaf["number"]) for leaf in logged() if "number" in leaf]


@pytest.fixture
def certificate(issue):  # noqa: F811
    return issue()


def test_issuing_logs_the_issue_and_the_keys_it_used(certificate):
    leaves = logged()
    # The first issue records the PDF and token keys: their key-added leaves come before the issue.
    assert [leaf["event"] for leaf in leaves] == ["key-added", "key-added", "issued"]
    assert {leaf["kid"] for leaf in leaves[:2]} == {certificate.signing_kid, certificate.token_kid}
    assert leaves[2] == {
        "v": 1,
        "event": "issued",
        "number": certificate.number,
        "time": transparency.rfc3339(certificate.issued_at),
        "pdf_sha256": certificate.pdf_sha256,
        "snapshot_sha256": certificate.snapshot_sha256,
        "kid": certificate.signing_kid,
        "token_kid": certificate.token_kid,
    }
    assert LogEntry.objects.get(index=2).certificate_id == certificate.pk


def test_revoking_logs_one_leaf_and_a_rolled_back_revocation_none(certificate, manager):
    before = LogEntry.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.certificate_revoke(actor=manager, certificate=certificate, reason="Wrong lot.")
        raise RuntimeError("the request failed after the revocation")
    assert LogEntry.objects.count() == before

    services.certificate_revoke(actor=manager, certificate=certificate, reason="Wrong lot.")
    certificate.refresh_from_db()
    assert certificate_leaves() == [("issued", certificate.number), ("revoked", certificate.number)]
    assert logged()[-1]["time"] == transparency.rfc3339(certificate.revoked_at)


def test_an_amendment_logs_its_issue_and_the_supersession(certificate, manager):
    amendment = issue_now(services.certificate_amend(actor=manager, certificate=certificate, reason="Re-assayed."))
    assert certificate_leaves() == [
        ("issued", certificate.number),
        ("issued", amendment.number),
        ("superseded", certificate.number),
    ]


def test_the_inclusion_proof_answers_once_a_checkpoint_covers_the_issue(certificate, client):
    url = reverse("api_log_inclusion", kwargs={"number": certificate.number})
    pending = client.get(url)
    assert pending.status_code == 409 and "checkpoint" in pending.json()["message"]
    page = client.get(reverse("verify"), {"number": certificate.number}).content.decode()
    assert 'id="log-proof"' in page and "the next signed checkpoint" in page

    sign_log_checkpoint()
    proof = client.get(url).json()
    leaf = base64.b64decode(proof["leaf"])
    assert json.loads(leaf)["number"] == certificate.number and proof["leaf_index"] == 2
    assert proof["tree_size"] == LogEntry.objects.count() == 4  # and the log key's key-added
    assert merkle.verify_inclusion(
        proof["leaf_index"],
        proof["tree_size"],
        merkle.leaf_hash(leaf),
        [bytes.fromhex(h) for h in proof["audit_path"]],
        bytes.fromhex(proof["root_hash"]),
    )
    assert proof["checkpoint"] == transparency.latest_checkpoint().text
    assert proof["checkpoint"].split("\n")[2] == base64.b64encode(bytes.fromhex(proof["root_hash"])).decode()

    page = client.get(reverse("verify"), {"number": certificate.number}).content.decode()
    assert f'id="log-leaf-index">{proof["leaf_index"]}<' in page
    assert f'id="log-tree-size">{proof["tree_size"]}<' in page
    assert f'id="log-root-hash">{proof["root_hash"]}<' in page
    assert f'href="{url}"' in page


def test_the_inclusion_proof_against_a_checkpoint_the_reader_holds(issue, client):  # noqa: F811
    """An inspector keeps yesterday's checkpoint: the proof is asked for at its size, and answers with
    that checkpoint's root and text; a certificate logged after it, or a size never signed, is refused."""
    first = issue()
    sign_log_checkpoint()
    held = transparency.latest_checkpoint()
    second = issue()
    sign_log_checkpoint()
    assert transparency.latest_checkpoint().size > held.size

    url = reverse("api_log_inclusion", kwargs={"number": first.number})
    latest = client.get(url).json()
    proof = client.get(url, {"tree_size": held.size}).json()
    assert (proof["tree_size"], proof["root_hash"], proof["checkpoint"]) == (held.size, held.root_hash, held.text)
    assert latest["tree_size"] > proof["tree_size"] and latest["root_hash"] != proof["root_hash"]
    leaf = base64.b64decode(proof["leaf"])
    assert json.loads(leaf)["number"] == first.number
    assert merkle.verify_inclusion(
        proof["leaf_index"],
        proof["tree_size"],
        merkle.leaf_hash(leaf),
        [bytes.fromhex(h) for h in proof["audit_path"]],
        bytes.fromhex(held.root_hash),
    )

    later = client.get(reverse("api_log_inclusion", kwargs={"number": second.number}), {"tree_size": held.size})
    assert later.status_code == 400 and "later checkpoint" in later.json()["message"]
    never = client.get(url, {"tree_size": latest["tree_size"] + 7})
    assert never.status_code == 404 and "no checkpoint" in never.json()["message"]
    assert client.get(url, {"tree_size": "0"}).status_code == 400
    assert client.get(url, {"tree_size": "yesterday"}).status_code == 400


def test_the_page_shows_the_proof_in_russian(certificate, client):
    sign_log_checkpoint()
    page = client.get(reverse("verify"), {"number": certificate.number}, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    # In Russian once the catalogues hold the fragment's msgids (/tmp/i18n/new/tlog_ru.po).
    assert 'id="log-proof"' in page
    assert "Журнал прозрачности" in page and "Transparency log" not in page


def test_rotating_and_compromising_keys_are_logged(certificate, settings, tmp_path, keys_dir):
    import shutil

    shutil.copytree(keys_dir, tmp_path / "var" / "keys")
    settings.VAR_DIR = tmp_path / "var"
    old = certificate.token_kid
    call_command("rotate_key", "--kind", "token", stdout=StringIO())
    new = SigningKey.objects.get(kind="token", state="current").kid
    call_command("rotate_key", "--compromised", old, "--reason", "laptop stolen", stdout=StringIO())
    token_events = [(leaf["event"], leaf["kid"]) for leaf in logged() if leaf.get("kind") == "token"]
    assert token_events == [("key-added", old), ("key-retired", old), ("key-added", new), ("key-compromised", old)]
    assert logged()[-1]["compromised_from"] == ""


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE in the test's transaction")
def test_the_backfill_logs_an_existing_register_in_time_order(issue, manager):  # noqa: F811
    first, second = issue(), issue()
    services.certificate_revoke(actor=manager, certificate=first, reason="Wrong lot.")
    first.refresh_from_db()
    written = logged()
    with connection.cursor() as cursor:  # a register from before the log
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "TRUNCATE certificates_logentry, certificates_lognode, certificates_logcheckpoint, certificates_logcosignature"
        )

    backfill.backfill(django_apps)
    replayed = logged()
    # The same leaves the services wrote, in the register's time order.
    assert sorted(map(json.dumps, replayed)) == sorted(map(json.dumps, written))
    times = [leaf["time"] for leaf in replayed]
    assert times == sorted(times)
    assert [(leaf["event"], leaf["number"]) for leaf in replayed if "number" in leaf] == [
        ("issued", first.number),
        ("issued", second.number),
        ("revoked", first.number),
    ]
    assert transparency.recompute()[2] == []
    assert Certificate.objects.get(pk=first.pk).log_entries.count() == 2
