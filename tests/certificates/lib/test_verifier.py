"""verify_pdf tells a genuine certificate from every way it can be forged, changed or withdrawn."""

from datetime import UTC, datetime, timedelta

import pytest

from certificates import keys, pdf, signing, status_list, verifier

from .conftest import append_update, flip_byte, signed_ranges


def revocation_list(**entries) -> dict:
    """A status list signed by the laboratory, as load_status_list returns it."""
    status_key = keys.load_status_key()
    signed = status_list.sign_status_list(
        issuer="KZL", sequence=1, issued_at=datetime.now(UTC), validity=timedelta(hours=24),
        revoked=entries.get("revoked", []), superseded=entries.get("superseded", []),
        key=status_key.key, kid=status_key.kid,
    )  # fmt: skip
    return verifier.load_status_list(signed, {status_key.kid: status_key.key.public_key()})


@pytest.fixture
def check(lab):
    """verify_pdf with the laboratory's published material and a revocation list naming others."""
    others = revocation_list(
        revoked=[{"number": "KZL-2026-000100", "at": "2026-11-20", "reason": "sample mix-up"}],
        superseded=[{"number": "KZL-2026-000101", "by": "KZL-2026-000150", "at": "2026-11-21"}],
    )

    def check(data: bytes, *, trust_roots=None, revocations=others) -> verifier.Verdict:
        return verifier.verify_pdf(
            data,
            trust_roots=trust_roots or keys.trust_roots(),
            token_keys=keys.published_token_keys(),
            revocations=revocations,
        )

    return check


def test_a_genuine_certificate_is_authentic(genuine, check):
    verdict = check(genuine.pdf)

    assert verdict.status == "authentic", verdict.message
    assert verdict.exit_code == 0
    assert verdict.number == "KZL-2026-000417"
    assert verdict.details["assays"] == "Cu 23.41 %, Au 19.08 g/t, Ag 157.0 g/t, TREO 0.0123 %"
    assert verdict.details["signing key id"] == keys.signing_kid()
    assert verdict.details["status list"].startswith("no. 1, issued ")


def test_a_byte_changed_in_the_content_is_altered(genuine, check):
    start, length, _, _ = signed_ranges(genuine.pdf)

    assert check(flip_byte(genuine.pdf, start + length // 2)).status == "altered"


def test_a_byte_changed_near_the_end_of_the_signed_range_is_altered(genuine, check):
    _, _, start, length = signed_ranges(genuine.pdf)
    reason = genuine.pdf.index(b"(Certificate of analysis)", start)

    # The signature dictionary after the signature value is signed, too...
    verdict = check(flip_byte(genuine.pdf, reason + 5))
    assert verdict.status == "altered"
    assert "signature does not match" in verdict.message
    # ...and a file whose last cross-reference section no longer parses was changed as surely.
    verdict = check(flip_byte(genuine.pdf, start + length - 40))
    assert verdict.status == "altered"
    assert "cannot be read" in verdict.message


def test_a_damaged_signature_value_is_altered(genuine, check):
    _, length, second_start, _ = signed_ranges(genuine.pdf)
    # /Contents is the one part the byte range leaves out: hex of the CMS, then zero padding. The RSA
    # signature value ends the CMS.
    contents = genuine.pdf[length + 1 : second_start - 1]
    offset = length + 1 + len(contents.rstrip(b"0")) - 100
    digit = b"1" if genuine.pdf[offset : offset + 1] == b"0" else b"0"

    verdict = check(genuine.pdf[:offset] + digit + genuine.pdf[offset + 1 :])

    assert verdict.status == "altered"


@pytest.mark.parametrize("change", ["title", "annotation"])
def test_an_update_appended_after_signing_is_altered(genuine, check, change):
    verdict = check(append_update(genuine.pdf, change))

    assert verdict.status == "altered"
    assert "after it was signed" in verdict.message


def test_a_signature_by_another_ca_is_not_ours(signed_by_foreign_ca, check):
    verdict = check(signed_by_foreign_ca)

    assert verdict.status == "not_ours"
    assert "does not chain" in verdict.message


def test_a_token_naming_another_signing_certificate_is_not_ours(signed_by_foreign_ca, foreign_ca, check):
    # Even if the forger's CA were trusted (a public CA both use), the genuine token names the
    # laboratory's signing certificate, not the forger's. (Timestamps aside: the forger's file has
    # none that chain to that CA.)
    verdict = verifier.verify_pdf(
        signed_by_foreign_ca,
        trust_roots=[foreign_ca[2]],
        token_keys=keys.published_token_keys(),
        revocations=None,
        require_timestamp=False,
    )

    assert verdict.status == "not_ours"
    assert "names signing key" in verdict.message


def test_a_token_signed_by_another_key_is_not_ours(token_by_foreign_key, check):
    verdict = check(token_by_foreign_key)

    assert verdict.status == "not_ours"
    assert "not issued by this laboratory" in verdict.message


def test_a_genuine_token_of_another_certificate_is_invalid(pasted_token, check):
    # Nothing changed after signing, but the document does not hold together.
    verdict = check(pasted_token)

    assert verdict.status == "invalid"
    assert verdict.number == "KZL-2026-000418"
    assert "does not belong to this document" in verdict.message


def test_a_revoked_certificate_says_when_and_why(genuine, check):
    revocations = revocation_list(revoked=[{"number": "KZL-2026-000417", "at": "2026-11-25", "reason": "wrong lot"}])

    verdict = check(genuine.pdf, revocations=revocations)

    assert verdict.status == "revoked"
    assert verdict.message == "revoked on 2026-11-25: wrong lot"


def test_a_superseded_certificate_names_its_replacement(genuine, check):
    revocations = revocation_list(
        superseded=[{"number": "KZL-2026-000417", "by": "KZL-2026-000500", "at": "2026-11-26"}]
    )

    verdict = check(genuine.pdf, revocations=revocations)

    assert verdict.status == "superseded"
    assert "KZL-2026-000500" in verdict.message


def test_without_a_revocation_list_it_says_so(genuine, check):
    verdict = check(genuine.pdf, revocations=None)

    assert verdict.status == "authentic"
    assert verdict.details["revocation"] == "not checked"


def test_files_that_are_not_signed_certificates_are_invalid(check):
    assert check(b"GIF89a not a pdf").status == "invalid"

    verdict = check(pdf.render_pdf("<p>x</p>", base_url=None, attachments=[], metadata={}))
    assert verdict.status == "invalid"
    assert "no signature" in verdict.message


def test_a_signed_pdf_without_the_attachments_is_invalid(check):
    unsigned = pdf.render_pdf("<p>A letter, not a certificate.</p>", base_url=None, attachments=[], metadata={})

    verdict = check(signing.sign_pdf(unsigned, reason="r", location="l"))

    assert verdict.status == "invalid"
    assert "attachments" in verdict.message


def test_it_never_falls_back_to_the_system_trust_list(genuine):
    with pytest.raises(ValueError, match="trust root"):
        verifier.verify_pdf(genuine.pdf, trust_roots=[], token_keys={}, revocations=None)
