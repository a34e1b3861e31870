"""`manage.py verify_certificate FILE.pdf [--keys DIR]`: the verdict printed, the exit status 0 only
for a certificate that is authentic and current. Without --keys it asks this installation's register;
with --keys it needs the published files alone, not even a database."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from certificates import services
from tests.certificates.lib.conftest import flip_byte, signed_ranges
from tests.certificates.test_offline_kit import download_kit
from tests.certificates.test_verification import REVOCATION_REASON, issue, pdf_of  # noqa: F401 - issue is a fixture

PROJECT = Path(__file__).resolve().parents[2]


def verify(*args) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("verify_certificate", *map(str, args), stdout=out)
    except SystemExit as exc:
        return exc.code, out.getvalue()
    return 0, out.getvalue()


@pytest.fixture
def certificate(issue):  # noqa: F811
    return issue()


def test_it_prints_the_verdict_and_exits_0_for_a_current_certificate(certificate, tmp_path):
    (tmp_path / "c.pdf").write_bytes(pdf_of(certificate))

    code, out = verify(tmp_path / "c.pdf")

    assert code == 0
    assert out.startswith(f"AUTHENTIC: {certificate.number}: ")
    assert "identical to the file the laboratory registered" in out


def test_it_reads_the_register_for_the_status(certificate, manager, tmp_path):
    (tmp_path / "c.pdf").write_bytes(pdf_of(certificate))
    services.certificate_revoke(actor=manager, certificate=certificate, reason=REVOCATION_REASON)

    code, out = verify(tmp_path / "c.pdf")

    assert code == 3
    assert out.startswith(f"REVOKED: {certificate.number}: ") and REVOCATION_REASON in out


def test_an_altered_file_exits_6(certificate, tmp_path):
    data = pdf_of(certificate)
    start, length, _, _ = signed_ranges(data)
    (tmp_path / "c.pdf").write_bytes(flip_byte(data, start + length // 2))

    code, out = verify(tmp_path / "c.pdf")

    assert code == 6 and out.startswith("ALTERED: ")


def test_a_missing_file_is_a_usage_error(db, tmp_path):
    with pytest.raises(CommandError) as refused:
        call_command("verify_certificate", str(tmp_path / "nothing.pdf"))

    assert refused.value.returncode == 2


def test_without_keys_here_it_cannot_verify(db, settings, tmp_path):
    settings.VAR_DIR, settings.LIMS_GENERATE_DEV_KEYS = tmp_path, False
    (tmp_path / "c.pdf").write_bytes(b"%PDF-1.7\n%%EOF\n")

    code, out = verify(tmp_path / "c.pdf")

    assert code == 8 and out.startswith("CANNOT VERIFY")


def test_with_the_published_files_it_needs_no_database(client, certificate, manager, tmp_path):
    kit = download_kit(client, tmp_path / "kit")
    data = pdf_of(certificate)
    start, length, _, _ = signed_ranges(data)
    (tmp_path / "genuine.pdf").write_bytes(data)
    (tmp_path / "altered.pdf").write_bytes(flip_byte(data, start + length // 2))
    # A database that cannot be opened: any query would fail the command.
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path}/no/such/dir/db.sqlite3",
        "DEBUG": "0",
        "SECRET_KEY": "tests-only",
        "LIMS_VAR_DIR": str(tmp_path / "empty-var"),
    }

    def run(name: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "manage.py", "verify_certificate", str(tmp_path / name), "--keys", str(kit)]
        return subprocess.run(command, cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120, check=False)

    genuine, altered = run("genuine.pdf"), run("altered.pdf")

    assert genuine.returncode == 0, genuine.stdout + genuine.stderr
    assert genuine.stdout.startswith(
        f"AUTHENTIC: {certificate.number}: issued by the laboratory, unchanged and current"
    )
    assert altered.returncode == 6, altered.stdout + altered.stderr
    assert not (tmp_path / "no").exists()


def test_with_published_files_that_cannot_be_used_it_exits_8(certificate, tmp_path):
    (tmp_path / "c.pdf").write_bytes(pdf_of(certificate))
    (tmp_path / "keys").mkdir()

    code, out = verify(tmp_path / "c.pdf", "--keys", tmp_path / "keys")

    assert code == 8 and out.startswith("CANNOT VERIFY")


@pytest.mark.parametrize(
    ("lang", "authentic", "altered"),
    [
        ("ru", "выдан лабораторией, не изменён и действует", "документ изменён после подписания"),
        ("kk", "зертхана берген, өзгертілмеген және күшінде", "құжат қол қойылғаннан кейін өзгертілген"),
    ],
)
def test_with_the_published_files_it_speaks_the_operators_language(
    client, certificate, tmp_path, lang, authentic, altered, monkeypatch
):
    """As every command (lims.lib.commands), in the language of the operator's environment."""
    kit = download_kit(client, tmp_path / "kit")
    data = pdf_of(certificate)
    start, length, _, _ = signed_ranges(data)
    (tmp_path / "genuine.pdf").write_bytes(data)
    (tmp_path / "altered.pdf").write_bytes(flip_byte(data, start + length // 2))

    with monkeypatch.context() as environment:
        environment.setenv("LANG", f"{lang}_KZ.UTF-8")
        genuine_code, genuine_out = verify(tmp_path / "genuine.pdf", "--keys", kit)
        altered_code, altered_out = verify(tmp_path / "altered.pdf", "--keys", kit)
    english_code, english_out = verify(tmp_path / "altered.pdf", "--keys", kit)

    # The words follow the language; the keyword and the exit status do not.
    assert (genuine_code, altered_code, english_code) == (0, 6, 6)
    assert genuine_out.startswith(f"AUTHENTIC: {certificate.number}: {authentic}")
    assert altered_out.startswith("ALTERED: ") and altered in altered_out
    assert english_out.startswith("ALTERED: ") and "the document was changed after it was signed" in english_out
