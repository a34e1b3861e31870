"""The offline kit and freshness: it says "authentic and current" only with a status list before its
next_update (and younger than --max-age), "status unknown" (exit 9) otherwise, and a revocation on
any list stands. The kit is the one the portal publishes; the kit's program runs in this process
(verifier.main) except where the clock is moved for a whole process (faketime)."""

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import segno

from certificates import keys, services, status_list, verifier
from tests.certificates.test_offline_kit import download_kit
from tests.certificates.test_verification import REVOCATION_REASON, issue, pdf_of  # noqa: F401 - issue is a fixture
from tests.conftest import require_or_skip


@pytest.fixture
def certificate(issue):  # noqa: F811
    return issue()


@pytest.fixture
def kit(client, certificate, tmp_path):
    folder = download_kit(client, tmp_path / "kit")
    (folder / "certificate.pdf").write_bytes(pdf_of(certificate))
    return folder


def check(kit, *args, capsys) -> tuple[int, str]:
    code = verifier.main([*map(str, args), "--keys", str(kit)])
    return code, capsys.readouterr().out


def write_list(kit, *, issued_at, revoked=(), validity=timedelta(hours=24)) -> None:
    """A status list signed by the laboratory at `issued_at` (an old one, as a kit keeps it)."""
    status_key = keys.load_status_key()
    signed = status_list.sign_status_list(
        issuer="KZL", sequence=5, issued_at=issued_at, validity=validity, revoked=list(revoked), superseded=[],
        key=status_key.key, kid=status_key.kid,
    )  # fmt: skip
    (kit / "revocations.json").write_text(json.dumps(signed))


def test_a_fresh_list_says_authentic_and_current(kit, certificate, capsys):
    code, out = check(kit, kit / "certificate.pdf", capsys=capsys)

    assert code == 0
    assert out.startswith(f"AUTHENTIC: {certificate.number}: issued by the laboratory, unchanged and current")


def test_without_a_list_the_status_is_unknown(kit, certificate, capsys):
    (kit / "revocations.json").unlink()

    code, out = check(kit, kit / "certificate.pdf", capsys=capsys)

    assert code == verifier.EXIT_CODES["unknown_status"] == 9
    assert out.startswith(f"UNKNOWN_STATUS: {certificate.number}: authentic; current status unknown (no status list)")


def test_a_list_past_its_next_update_gives_status_unknown(kit, certificate, capsys):
    issued = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)  # next update 2026-11-03 06:00 UTC, long gone
    write_list(kit, issued_at=issued)

    code, out = check(kit, kit / "certificate.pdf", capsys=capsys)

    assert code == 9
    assert "authentic; current status unknown (list expired on 2026-11-03 06:00 UTC)" in out


def test_max_age_tightens_freshness(kit, capsys):
    write_list(kit, issued_at=datetime.now(UTC) - timedelta(hours=7))  # valid for 17 more hours

    assert check(kit, kit / "certificate.pdf", capsys=capsys)[0] == 0
    code, out = check(kit, kit / "certificate.pdf", "--max-age", "6h", capsys=capsys)
    assert code == 9 and "older than --max-age" in out
    assert check(kit, kit / "certificate.pdf", "--max-age", "8h", capsys=capsys)[0] == 0


def test_a_revocation_on_an_expired_list_still_stands(kit, certificate, capsys):
    entry = {"number": certificate.number, "at": "2026-11-02T08:00:00+05:00", "reason": REVOCATION_REASON}
    write_list(kit, issued_at=datetime(2026, 11, 2, 6, 0, tzinfo=UTC), revoked=[entry])

    code, out = check(kit, kit / "certificate.pdf", capsys=capsys)

    assert code == 3 and REVOCATION_REASON in out


def test_a_bad_max_age_is_a_usage_error(kit):
    with pytest.raises(SystemExit) as refused:
        verifier.main([str(kit / "certificate.pdf"), "--keys", str(kit), "--max-age", "six hours"])

    assert refused.value.code == 2


def test_an_old_list_after_a_revocation_gives_status_unknown_once_expired(kit, certificate, manager, client, tmp_path):
    require_or_skip(shutil.which("faketime") is not None, "faketime (Debian package faketime) moves the clock")
    services.certificate_revoke(actor=manager, certificate=certificate, reason=REVOCATION_REASON)
    shutil.copy(verifier.__file__, kit / "verifier.py")

    def run(folder, shift: str) -> subprocess.CompletedProcess:
        command = ["faketime", "-f", shift, sys.executable, "verifier.py", str(kit / "certificate.pdf"), "--keys", "."]
        return subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=120, check=False)

    # The inspector's list is from before the revocation; a day and an hour later it has expired.
    stale = run(kit, "+25h")
    assert stale.returncode == 9, stale.stdout + stale.stderr
    assert "authentic; current status unknown (list expired on " in stale.stdout
    # A kit fetched after the revocation knows.
    fresh = download_kit(client, tmp_path / "fresh")
    shutil.copy(verifier.__file__, fresh / "verifier.py")
    assert run(fresh, "+0").returncode == 3


def test_a_token_is_checked_from_its_text(kit, certificate, manager, client, tmp_path, capsys):
    code, out = check(kit, "--token", certificate.qr_token, capsys=capsys)

    assert code == 0, out
    assert out.startswith(f"AUTHENTIC: {certificate.number}: ")
    # The same verdicts as for the PDF: revoked, with a list that says so.
    services.certificate_revoke(actor=manager, certificate=certificate, reason=REVOCATION_REASON)
    fresh = download_kit(client, tmp_path / "fresh")
    code, out = check(fresh, "--token", certificate.qr_token, capsys=capsys)
    assert code == 3 and REVOCATION_REASON in out
    # A QR code's text with a character changed is not the laboratory's signature.
    assert check(kit, "--token", certificate.qr_token[:-3] + "AAA", capsys=capsys)[0] in (6, 7)


def test_a_token_is_checked_from_a_picture(kit, certificate, capsys):
    require_or_skip(shutil.which("zbarimg") is not None, "zbarimg (Debian package zbar-tools) reads QR codes")
    segno.make(certificate.qr_token, error="m").save(kit / "photo.png", scale=4)

    code, out = check(kit, "--image", kit / "photo.png", capsys=capsys)

    assert code == 0, out
    assert out.startswith(f"AUTHENTIC: {certificate.number}: ")


def test_a_picture_without_a_qr_code_is_invalid(kit, capsys):
    require_or_skip(shutil.which("zbarimg") is not None, "zbarimg (Debian package zbar-tools) reads QR codes")
    segno.make("").save(kit / "blank.png", scale=4, dark="white")

    code, out = check(kit, "--image", kit / "blank.png", capsys=capsys)

    assert code == 7 and "no readable QR code" in out


def test_a_token_checked_without_the_printed_number_says_which_number_the_document_must_show(kit, certificate, capsys):
    code, out = check(kit, "--token", certificate.qr_token, capsys=capsys)

    expected = (
        f"this code belongs to certificate {certificate.number}: check that the document shows {certificate.number}"
    )
    assert code == 0 and out.startswith(f"AUTHENTIC: {certificate.number}: {expected}; ")


def test_a_genuine_token_with_another_printed_number_is_invalid(kit, certificate, capsys):
    other = certificate.number[:-1] + ("1" if certificate.number[-1] != "1" else "2")

    code, out = check(kit, "--token", certificate.qr_token, "--number", other, capsys=capsys)

    assert code == 7 and f"belongs to certificate {certificate.number}, not to certificate {other}" in out
    # With the number the document shows (typed in lower case), the verdict stands.
    assert check(kit, "--token", certificate.qr_token, "--number", certificate.number.lower(), capsys=capsys)[0] == 0
