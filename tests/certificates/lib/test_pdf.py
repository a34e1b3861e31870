"""Rendering: PDF/A-3b with the data attached, metadata in agreement, no network, a QR that fits."""

import base64
import io
import socket

import PIL.Image
import pytest
import segno
from PIL import Image
from pyhanko.pdf_utils.reader import PdfFileReader

from certificates import keys, pdf, tokens
from certificates.verifier import SNAPSHOT_ATTACHMENT, TOKEN_ATTACHMENT, canonical_json
from tests.conftest import require_or_skip

from .conftest import run, tool


def png() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (4, 4), "navy").save(output, "PNG")
    return output.getvalue()


def render(html: str, base_url: str | None = None, **metadata) -> bytes:
    return pdf.render_pdf(html, base_url=base_url, attachments=[], metadata=metadata or {"title": "Test"})


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test."""
    attempts = []

    def refuse(self, address):
        attempts.append(address)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


def test_a_certificate_renders_as_pdf_a_3b(genuine):
    reader = PdfFileReader(io.BytesIO(genuine.pdf))

    assert genuine.pdf.startswith(b"%PDF-1.7")
    assert len(reader.root["/Pages"]["/Kids"]) == 2
    xmp = reader.root["/Metadata"].data
    assert b'pdfaid:part="3"' in xmp and b'pdfaid:conformance="B"' in xmp
    assert reader.root["/OutputIntents"][0]["/S"] == "/GTS_PDFA1"


def test_the_snapshot_and_token_are_attached_as_pdf_a_3_requires(genuine):
    reader = PdfFileReader(io.BytesIO(genuine.pdf))
    specs = [reader.root["/AF"][i] for i in range(len(reader.root["/AF"]))]

    # Each attachment is listed once in /AF, with its relationship, type and dates.
    found = {str(spec["/UF"]): spec for spec in specs}
    assert sorted(found) == [TOKEN_ATTACHMENT, SNAPSHOT_ATTACHMENT]
    snapshot, token = found[SNAPSHOT_ATTACHMENT], found[TOKEN_ATTACHMENT]
    assert snapshot["/AFRelationship"] == "/Data" and token["/AFRelationship"] == "/Supplement"
    assert snapshot["/EF"]["/F"]["/Subtype"] == "/application/json"
    assert token["/EF"]["/F"]["/Subtype"] == "/text/plain"
    assert str(snapshot["/EF"]["/F"]["/Params"]["/ModDate"]) == "D:20261123100000Z"
    # The snapshot is attached as the exact bytes its hash is taken of.
    assert snapshot["/EF"]["/F"].data == canonical_json(genuine.snapshot)
    assert token["/EF"]["/F"].data == genuine.token.encode()


def test_metadata_is_the_same_in_info_and_xmp(genuine):
    reader = PdfFileReader(io.BytesIO(genuine.pdf))
    info = reader.trailer["/Info"]
    xmp = reader.root["/Metadata"].data.decode()

    assert str(info["/Title"]) == "Certificate of Analysis KZL-2026-000417"
    assert f'<rdf:li xml:lang="x-default">{info["/Title"]}</rdf:li>' in xmp
    assert f"<rdf:li>{info['/Author']}</rdf:li>" in xmp
    assert f"<pdf:Keywords>{info['/Keywords']}</pdf:Keywords>" in xmp
    assert str(info["/CreationDate"]) == "D:20261123100000+00'00"
    assert "<xmp:CreateDate>2026-11-23T10:00:00+00:00</xmp:CreateDate>" in xmp


def test_network_urls_stop_the_rendering_without_a_connection(no_network):
    html = '<html><body><img src="http://192.0.2.1/logo.png"><p>x</p></body></html>'

    # An ordinary exception (WeasyPrint's own derives from BaseException).
    with pytest.raises(pdf.RenderError, match=r"192\.0\.2\.1"):
        render(html)
    assert no_network == []


def test_a_missing_local_file_stops_the_rendering(tmp_path):
    html = '<html><head><link rel="stylesheet" href="missing.css"></head><body>x</body></html>'

    with pytest.raises(pdf.RenderError, match=r"missing\.css"):
        render(html, base_url=tmp_path.as_uri() + "/")


def test_local_files_and_data_urls_are_used(tmp_path, no_network):
    (tmp_path / "logo.png").write_bytes(png())
    (tmp_path / "style.css").write_text("body { color: #123456 }")
    data_url = "data:image/png;base64," + base64.b64encode(png()).decode()
    html = f'<html><head><link rel="stylesheet" href="style.css"></head><body><img src="logo.png"><img src="{data_url}"></body></html>'

    document = render(html, base_url=tmp_path.as_uri() + "/")

    assert document.count(b"/Subtype /Image") == 2


def test_unknown_metadata_is_refused():
    with pytest.raises(ValueError, match="unknown PDF metadata"):
        render("<p>x</p>", titel="typo")


def test_the_qr_code_is_a_sharp_png_at_ecc_m_printed_3_pt_a_module(genuine):
    image = pdf.qr_image(genuine.token)

    assert image.data_uri.startswith("data:image/png;base64,")
    png = PIL.Image.open(io.BytesIO(base64.b64decode(image.data_uri.split(",", 1)[1])))
    qr = segno.make_qr(genuine.token, error="m", boost_error=False)
    modules = qr.symbol_size(border=4)[0]
    # Four pixels per module with the quiet zone of four; the page enlarges it without blurring.
    assert png.size == (modules * 4,) * 2
    assert image.version == qr.version <= 11
    # 3 pt a module: 3 pixels at 72 dpi.
    assert image.width_pt == modules * 3


def test_the_printed_qr_code_scans_and_verifies(genuine, tmp_path, lab):
    require_or_skip(tool("pdftoppm") and tool("zbarimg"), "pdftoppm and zbarimg (poppler-utils, zbar-tools)")
    (tmp_path / "certificate.pdf").write_bytes(genuine.pdf)

    # 150 dpi, as an office scanner or a phone photo of the printed page.
    rendered = run("pdftoppm", "-r", "150", "-f", "1", "-l", "1", "-png", "certificate.pdf", "page", cwd=tmp_path)
    assert rendered.returncode == 0, rendered.stderr
    [page] = tmp_path.glob("page*.png")
    scanned = run("zbarimg", "--raw", "-q", page.name, cwd=tmp_path)

    assert scanned.returncode == 0, scanned.stderr
    assert scanned.stdout.strip() == genuine.token
    claims = tokens.decode_token(scanned.stdout, keys.published_token_keys())
    assert claims["n"] == "KZL-2026-000417"
