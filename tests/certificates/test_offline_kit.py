"""The offline kit as an inspector gets it: root.pem, token-keys.json, revocations.json and
verifier.py downloaded from the portal into a folder, then `python verifier.py FILE.pdf --keys
FOLDER` run with the network unavailable (a network namespace of its own where the machine allows
it, and always a guard that refuses connections and any import of the LIMS), for every verdict."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

from certificates import publication, services
from tests.certificates.builders import issue_now
from tests.certificates.lib.conftest import append_update, flip_byte, make_signing_ca, signed_ranges
from tests.certificates.lib.conftest import issue as issue_specimen
from tests.certificates.lib.test_verifier_cli import SITECUSTOMIZE
from tests.certificates.test_verification import REVOCATION_REASON, issue, pdf_of  # noqa: F401 - issue is a fixture

KIT = {
    "/verify/keys/root.pem": "root.pem",
    "/verify/keys/token-keys.json": "token-keys.json",
    "/verify/keys/keys.json": "keys.json",
    "/verify/revocations.json": "revocations.json",
    "/verify/kit/verifier.py": "verifier.py",
}
UNSIGNED = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def download_kit(client, folder: Path) -> Path:
    """Publish (as the task does after every issue and withdrawal), then fetch what the portal
    publishes, as an inspector's browser would save it."""
    publication.publish()
    folder.mkdir(parents=True, exist_ok=True)
    for url, name in KIT.items():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        (folder / name).write_bytes(response.content)
    return folder


@pytest.fixture
def offline(tmp_path):
    """Run the Python interpreter with no network and nothing of the LIMS importable."""
    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(SITECUSTOMIZE)
    unshare = shutil.which("unshare")
    namespace = (
        bool(unshare) and subprocess.run([unshare, "-n", "true"], capture_output=True, check=False).returncode == 0
    )
    prefix = ["unshare", "-n"] if namespace else []

    def offline(*args, cwd: Path) -> subprocess.CompletedProcess:
        env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(guard), "BLOCKED_IMPORTS": "django,lims,certificates"}
        return subprocess.run(
            [*prefix, sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
        )

    return offline


@pytest.fixture
def specimens(issue, manager, tmp_path):  # noqa: F811
    """{verdict: the PDF that must get it}."""
    genuine, revoked, original = issue(), issue(), issue()
    services.certificate_revoke(actor=manager, certificate=revoked, reason=REVOCATION_REASON)
    issue_now(services.certificate_amend(actor=manager, certificate=original, reason="Origin corrected."), claim="a")
    key_file, cert_file, _ = make_signing_ca(tmp_path / "forgers", "Forgers Ltd")
    with override_settings(LIMS_SIGNING_KEY=key_file, LIMS_SIGNING_CERT=cert_file):
        forged = issue_specimen(genuine.number).pdf
    data = pdf_of(genuine)
    start, length, _, _ = signed_ranges(data)
    return {
        "authentic": pdf_of(genuine),
        "revoked": pdf_of(revoked),
        "superseded": pdf_of(original),
        "not_ours": forged,
        "altered": flip_byte(data, start + length // 2),
        "altered (update appended)": append_update(data, "annotation"),
        "invalid": UNSIGNED,
    }


def test_the_downloaded_kit_reaches_every_verdict_offline(client, specimens, offline, tmp_path):
    kit = download_kit(client, tmp_path / "inspector")
    expected = {"authentic": 0, "revoked": 3, "superseded": 4, "not_ours": 5, "altered": 6, "invalid": 7}

    for name, data in specimens.items():
        verdict = name.split(" ")[0]
        (kit / "certificate.pdf").write_bytes(data)

        result = offline("verifier.py", "certificate.pdf", "--keys", ".", cwd=kit)

        assert result.returncode == expected[verdict], (name, result.stdout, result.stderr)
        assert result.stdout.startswith(f"{verdict.upper()}: "), (name, result.stdout)
        assert result.stderr == ""
    # The revoked one says why, from the signed list.
    (kit / "certificate.pdf").write_bytes(specimens["revoked"])
    assert REVOCATION_REASON in offline("verifier.py", "certificate.pdf", "--keys", ".", cwd=kit).stdout


def test_the_guard_really_cuts_the_network(offline, tmp_path):
    # Without this, a verifier that fetched something would pass the test above unnoticed.
    probe = "import socket; socket.create_connection(('127.0.0.1', 9))"
    result = offline("-c", probe, cwd=tmp_path)

    assert result.returncode != 0
    assert "network disabled" in result.stderr or "Network is unreachable" in result.stderr
