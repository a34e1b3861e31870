"""The printable sample label, whose QR code a scanner must read back as the sample code."""

import base64
import re
import shutil
import subprocess

from django.urls import reverse

from tests.conftest import require_or_skip, sealed_split


def test_the_label_names_the_sample_and_its_seal(client, lot, sampler):
    sample = sealed_split(lot, sampler)
    client.force_login(sampler)

    page = client.get(reverse("sample_label", kwargs={"code": sample.code}))

    assert page.status_code == 200
    html = page.content.decode()
    for text in (sample.code, lot.lot_number, "Laboratory", sample.seal_number):
        assert text in html
    # Label-sized when printed, with no outside assets.
    assert "lims/label.css" in html
    assert "http://" not in html and "https://" not in html


def test_the_qr_code_reads_back_as_the_sample_code(client, lot, sampler, tmp_path):
    require_or_skip(shutil.which("zbarimg") is not None, "zbarimg not installed")
    sample = sealed_split(lot, sampler)
    client.force_login(sampler)
    html = client.get(reverse("sample_label", kwargs={"code": sample.code})).content.decode()

    (data,) = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    image = tmp_path / "label.png"
    image.write_bytes(base64.b64decode(data))
    decoded = subprocess.run(["zbarimg", "--raw", "-q", str(image)], capture_output=True, text=True, check=True)

    assert decoded.stdout.strip() == sample.code
