"""Write a "zip bomb" PDF: about 1 MB on disk, with a Flate stream that inflates to 1 GiB.

    python tests/certificates/bomb_pdf.py OUT.pdf objstm|generic

objstm: the catalog sits in an object stream full of blanks, so any reader opening the file must
inflate it (the path an uploaded file takes through the verifier). generic: an ordinary stream
(object 3) of zeros that is read only when asked for.
"""

import sys
import zlib

INFLATED = 1024**3


def _deflate(head: bytes, filler: bytes) -> bytes:
    compressor = zlib.compressobj(9)
    out = [compressor.compress(head)]
    chunk = filler * (16 * 1024 * 1024)
    for _ in range((INFLATED - len(head)) // len(chunk)):
        out.append(compressor.compress(chunk))
    out.append(compressor.flush())
    return b"".join(out)


def _stream(number: int, extra: bytes, data: bytes) -> bytes:
    return b"%d 0 obj\n<<%s /Length %d /Filter /FlateDecode>>\nstream\n%s\nendstream\nendobj\n" % (
        number, extra, len(data), data,
    )  # fmt: skip


def build(kind: str) -> bytes:
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    offsets[2] = len(out)
    out += b"2 0 obj\n<</Type /Pages /Kids [] /Count 0>>\nendobj\n"
    catalog = b"<</Type /Catalog /Pages 2 0 R /AcroForm <</Fields []>>>>"
    if kind == "objstm":
        head = b"1 0 " + catalog
        offsets[3] = len(out)
        out += _stream(3, b"/Type /ObjStm /N 1 /First 4", _deflate(head, b" "))
        entries = {1: (2, 3, 0), 2: (1, offsets[2], 0), 3: (1, offsets[3], 0)}
    else:
        offsets[1] = len(out)
        out += b"1 0 obj\n" + catalog + b"\nendobj\n"
        offsets[3] = len(out)
        out += _stream(3, b"", _deflate(b"", b"\0"))
        entries = {1: (1, offsets[1], 0), 2: (1, offsets[2], 0), 3: (1, offsets[3], 0)}
    xref_at = len(out)
    entries[4] = (1, xref_at, 0)
    rows = b"\x00\x00\x00\x00\x00\xff" + b"".join(
        bytes([kind_]) + field.to_bytes(4, "big") + gen.to_bytes(1, "big")
        for kind_, field, gen in (entries[n] for n in (1, 2, 3, 4))
    )
    out += b"4 0 obj\n<</Type /XRef /Size 5 /W [1 4 1] /Root 1 0 R /Length %d>>\nstream\n%s\nendstream\nendobj\n" % (
        len(rows), rows,
    )  # fmt: skip
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


if __name__ == "__main__":
    with open(sys.argv[1], "wb") as handle:
        handle.write(build(sys.argv[2]))
