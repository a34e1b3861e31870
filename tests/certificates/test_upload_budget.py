"""A verification upload is read within a tight decode budget (certificates.verifier.decode_limits):
a 1 MB PDF whose streams inflate to 1 GiB is refused as "invalid" with the reason, and the process
reading it stays under 200 MB (peak RSS of a fresh subprocess, so the test's own memory does not
count). Peak RSS is read from /proc/self/status (VmHWM), not resource.getrusage: Linux carries
ru_maxrss over exec from the process that forked, so a subprocess of pytest would report pytest's size. With pyHanko's default limits for untrusted input, what the
verifier used before, the same kind of file takes the process past 200 MB."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from certificates import verifier
from tests.certificates import bomb_pdf

ROOT = Path(__file__).resolve().parents[2]
LIMIT_MB = 200

# Runs in a fresh interpreter with the web process's imports loaded: prints the verdict and peak RSS.
MEASURE = """
import datetime, io, json, sys
import django
django.setup()
from certificates import verification, verifier  # what a web worker has loaded
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

data = open(sys.argv[1], "rb").read()
mode = sys.argv[2]
outcome = ""
if mode == "verify":
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "root")])
    now = datetime.datetime.now(datetime.UTC)
    root = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    verdict = verifier.verify_pdf(data, trust_roots=[root], token_keys={}, revocations=None)
    outcome = f"{verdict.status}: {verdict.message}"
else:  # read the generic stream (object 3) with our limits ("ours") or pyHanko's defaults
    from pyhanko.pdf_utils.generic import Reference
    from pyhanko.pdf_utils.reader import PdfFileReader
    reader = verifier.open_pdf(data) if mode == "ours" else PdfFileReader(io.BytesIO(data), strict=False)
    try:
        outcome = f"read {len(reader.get_object(Reference(3, 0, reader)).data)} bytes"
    except Exception as exc:
        outcome = f"{type(exc).__name__}: {exc}"
status = open("/proc/self/status").read()
peak_kb = int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1])
print(json.dumps({"outcome": outcome, "peak_mb": peak_kb / 1024}))
"""


@pytest.fixture(scope="module")
def bombs(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bombs")
    paths = {}
    for kind in ("objstm", "generic"):
        paths[kind] = folder / f"{kind}.pdf"
        paths[kind].write_bytes(bomb_pdf.build(kind))
        assert paths[kind].stat().st_size < 1.1 * 1024 * 1024  # about 1 MB on disk, 1 GiB inflated
    return paths


def measure(path: Path, mode: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path), mode],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "lims.settings"},
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_zip_bomb_is_refused_within_the_memory_budget(bombs):
    measured = measure(bombs["objstm"], "verify")
    print(f"zip bomb through verify_pdf: peak {measured['peak_mb']:.0f} MB (limit {LIMIT_MB} MB)")
    assert measured["outcome"] == f"invalid: {verifier.OVER_BUDGET}"
    assert measured["peak_mb"] < LIMIT_MB


def test_the_budget_is_what_keeps_memory_down(bombs):
    ours = measure(bombs["generic"], "ours")
    default = measure(bombs["generic"], "default")
    print(
        f"one 1 GiB stream: peak {ours['peak_mb']:.0f} MB with our limits, {default['peak_mb']:.0f} MB with pyHanko's"
    )
    assert ours["outcome"].startswith("PdfDecodeLimitError")
    assert ours["peak_mb"] < LIMIT_MB
    # The same read with pyHanko's defaults (256 MiB a stream) goes past the limit: the budget matters.
    assert default["peak_mb"] > LIMIT_MB


def test_the_upload_page_and_api_answer_with_the_reason(client, bombs, keys_dir, db):
    data = bombs["objstm"].read_bytes()
    page = client.post("/verify/upload/", {"file": SimpleUploadedFile("bomb.pdf", data, "application/pdf")})
    assert page.status_code == 200
    assert "inflate past what a certificate needs" in page.content.decode()
    api = client.post("/api/v1/verify/upload/", {"file": SimpleUploadedFile("bomb.pdf", data, "application/pdf")})
    assert api.status_code == 200
    assert api.json()["verdict"] == "invalid"
