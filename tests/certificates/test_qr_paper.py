"""The certificate on paper and in a phone: its QR code reads from page 1 rendered at 72 dpi and from a
600-pixel-wide picture of it (slightly blurred and JPEG-compressed, as a phone sends it), with
zbarimg, the decoder DESIGN.md names; and the verification code printed on the page is the one whose
hash the register holds, and nowhere else."""

import hashlib
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageFilter

from certificates import codes, verifier
from certificates.pdf import qr_image
from tests.certificates.test_verification import issue, pdf_of  # noqa: F401 - issue is a fixture
from tests.conftest import require_or_skip


def require(*tools: str) -> None:
    require_or_skip(all(shutil.which(tool) for tool in tools), f"{', '.join(tools)} (poppler-utils, zbar-tools)")


def run(*command: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, capture_output=True, timeout=120, check=False)


def page_one(pdf: Path, dpi: int) -> Path:
    rendered = run("pdftoppm", "-r", str(dpi), "-png", "-f", "1", "-l", "1", pdf.name, f"page{dpi}", cwd=pdf.parent)
    assert rendered.returncode == 0, rendered.stderr
    [image] = pdf.parent.glob(f"page{dpi}*.png")
    return image


def scan(image: Path) -> str:
    """What zbarimg reads from the picture: the text of its one QR code."""
    scanned = run("zbarimg", "--raw", "-q", "-Sdisable", "-Sqrcode.enable", image.name, cwd=image.parent)
    assert scanned.returncode == 0, f"zbarimg found no QR code in {image.name}: {scanned.stderr!r}"
    return scanned.stdout.decode().strip()


@pytest.fixture
def certificate(issue):  # noqa: F811 - the imported fixture is used here
    return issue()


@pytest.fixture
def pdf_file(certificate, tmp_path) -> Path:
    path = tmp_path / f"{certificate.number}.pdf"
    path.write_bytes(pdf_of(certificate))
    return path


def test_the_qr_code_reads_from_page_one_at_72_dpi(certificate, pdf_file):
    require("pdftoppm", "zbarimg")

    image = page_one(pdf_file, 72)

    # A4 (595 pt) at 72 dpi: a pixel a point, so a module is 3 pixels.
    assert Image.open(image).width in (595, 596)
    assert scan(image) == certificate.qr_token


def test_the_qr_code_reads_from_a_600_pixel_phone_picture(certificate, pdf_file):
    require("pdftoppm", "zbarimg")
    sharp = Image.open(page_one(pdf_file, 200)).convert("L")
    # The page as a phone sends it: 600 pixels wide, a little out of focus, JPEG at quality 70.
    small = sharp.resize((600, round(sharp.height * 600 / sharp.width)), Image.Resampling.LANCZOS)
    blurred = small.filter(ImageFilter.GaussianBlur(0.6))
    buffer = io.BytesIO()
    blurred.save(buffer, "JPEG", quality=70)
    photo = pdf_file.parent / "photo.jpg"
    photo.write_bytes(buffer.getvalue())

    assert scan(photo) == certificate.qr_token


def test_the_qr_code_is_printed_3_pt_a_module(certificate):
    image = qr_image(certificate.qr_token)

    assert image.version <= 11
    # The symbol and its quiet zone at 3 pt (3 pixels at 72 dpi) a module: about 73 mm at version 11.
    assert image.width_pt == (17 + 4 * image.version + 8) * 3
    assert 55 <= (image.width_pt - 8 * 3) * 25.4 / 72 <= 70


def test_the_verification_code_is_printed_and_only_its_hash_is_kept(certificate, pdf_file):
    require("pdftotext")
    text = run("pdftotext", "-f", "1", "-l", "1", pdf_file.name, "-", cwd=pdf_file.parent).stdout.decode()

    # The code follows its label ("Verification code / Код проверки"), on the label's line or the next.
    after = text.split("Verification code", 1)[1]
    printed = re.search(r"[0-9A-Z]{4}(?:-[0-9A-Z]{4}){3}", after).group(0)
    # 16 characters in groups of four, as the inspector types them.
    assert len(printed) == 19 and printed.count("-") == 3
    assert codes.matches(printed, certificate.verification_code_sha256)
    assert certificate.verification_code_sha256 == hashlib.sha256(printed.replace("-", "").encode()).hexdigest()
    # Neither in the QR code's public text nor in the data attached to the PDF.
    normalised = printed.replace("-", "")
    for public in (certificate.qr_token, verifier.canonical_json(certificate.snapshot).decode()):
        assert printed not in public and normalised not in public


def test_each_certificate_has_a_code_of_its_own(issue):  # noqa: F811
    first, second = issue(), issue()

    assert first.verification_code_sha256 and second.verification_code_sha256
    assert first.verification_code_sha256 != second.verification_code_sha256
