"""Signing material: generated for development, loaded from configuration, cached, rotated, exported."""

import multiprocessing
import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID

from certificates import keys, verifier
from certificates.verifier import key_id

from .conftest import make_signing_ca


@pytest.fixture
def fresh(settings, tmp_path):
    """An empty VAR_DIR, development generation allowed."""
    settings.VAR_DIR = tmp_path
    settings.LIMS_GENERATE_DEV_KEYS = True
    settings.LIMS_LAB_CODE = "KZL"
    return tmp_path / "keys"


def test_it_generates_development_material_on_first_use(fresh):
    material = keys.load_signing_material()
    token_key = keys.load_token_key()

    # Private keys are readable by their owner only.
    for name in ("signing-key.pem", "token-key.pem"):
        assert stat.S_IMODE((fresh / name).stat().st_mode) == 0o600
    root = material.chain[-1]
    assert root in keys.trust_roots()  # with the development timestamp authority's root
    assert (fresh / "published" / "roots" / f"{key_id(root.public_key())}.pem").exists()
    assert (fresh / "published" / "token-keys" / f"{token_key.kid}.pem").exists()
    # The root's private key is not kept anywhere.
    assert sorted(p.name for p in fresh.glob("*-key.pem")) == ["signing-key.pem", "token-key.pem", "tsa-key.pem"]

    assert isinstance(root.public_key(), rsa.RSAPublicKey) and root.public_key().key_size == 3072
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert root.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign

    cert = material.certificate
    cert.verify_directly_issued_by(root)
    assert material.key.key_size == 3072
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment
    extended = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    # documentSigning, and emailProtection because poppler's pdfsig refuses documentSigning alone.
    assert set(extended) == {keys.DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION}
    assert material.chain == (root,)

    assert isinstance(token_key.key, Ed25519PrivateKey)
    assert material.kid == key_id(cert.public_key()) and len(material.kid) == 16


def test_it_keeps_what_it_generated(fresh):
    kid = keys.signing_kid()
    token_kid = keys.load_token_key().kid
    keys.reset_cache()
    # A new process (an empty cache) finds the same keys on disk.
    assert keys.signing_kid() == kid
    assert keys.load_token_key().kid == token_kid


def test_it_caches_the_parsed_key(fresh):
    first = keys.load_signing_material()
    assert keys.load_signing_material() is first
    keys.reset_cache()
    again = keys.load_signing_material()
    assert again is not first
    assert again.kid == first.kid


def _generate_and_report(keys_dir) -> str:
    keys._ensure_dev_signing_material(keys_dir, "KZL")
    return x509.load_pem_x509_certificates((keys_dir / "signing-cert.pem").read_bytes())[0].serial_number


def test_processes_starting_together_generate_one_set(tmp_path):
    keys_dir = tmp_path / "keys"
    with multiprocessing.get_context("fork").Pool(4) as pool:
        serials = pool.map(_generate_and_report, [keys_dir] * 4)
    # All four saw the same certificate: one generated it, the others waited for it.
    assert len(set(serials)) == 1
    assert len(list((keys_dir / "published" / "roots").glob("*.pem"))) == 1


def test_it_generates_nothing_in_production_without_configuration(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.DEBUG = False
    settings.LIMS_GENERATE_DEV_KEYS = False

    with pytest.raises(keys.KeyConfigurationError, match="LIMS_SIGNING_P12"):
        keys.load_signing_material()
    with pytest.raises(keys.KeyConfigurationError, match="LIMS_TOKEN_KEY"):
        keys.load_token_key()
    assert not (tmp_path / "keys").exists()


def test_debug_generates_only_when_nothing_is_configured(settings, tmp_path):
    key_file, cert_file, _ = make_signing_ca(tmp_path / "ca", "Configured")
    settings.VAR_DIR = tmp_path
    settings.DEBUG = True
    settings.LIMS_SIGNING_KEY = key_file
    settings.LIMS_SIGNING_CERT = cert_file

    # A half-configured development machine must not silently sign with a generated token key.
    with pytest.raises(keys.KeyConfigurationError, match="LIMS_TOKEN_KEY"):
        keys.load_token_key()

    settings.LIMS_SIGNING_KEY = settings.LIMS_SIGNING_CERT = None
    assert keys.load_token_key().kid


def test_it_loads_a_pem_key_certificate_and_chain(settings, tmp_path):
    key_file, cert_file, root = make_signing_ca(tmp_path / "ca", "Configured")
    leaf_only = tmp_path / "leaf.pem"
    leaf_only.write_bytes(
        cert_file.read_bytes().split(b"-----END CERTIFICATE-----")[0] + b"-----END CERTIFICATE-----\n"
    )
    chain = tmp_path / "chain.pem"
    chain.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    settings.LIMS_SIGNING_KEY, settings.LIMS_SIGNING_CERT, settings.LIMS_SIGNING_CHAIN = key_file, leaf_only, chain

    material = keys.load_signing_material()

    assert material.chain == (root,)
    assert material.certificate.subject.rfc4514_string() == "CN=Configured signer"


def test_it_loads_a_pkcs12_file_with_its_passphrase(settings, tmp_path):
    key_file, cert_file, root = make_signing_ca(tmp_path / "ca", "Bundled")
    key = serialization.load_pem_private_key(key_file.read_bytes(), None)
    cert = x509.load_pem_x509_certificates(cert_file.read_bytes())[0]
    p12 = tmp_path / "lab.p12"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"lab", key, cert, [root], serialization.BestAvailableEncryption(b"s3cret-phrase")
        )
    )
    settings.LIMS_SIGNING_P12 = p12
    settings.LIMS_SIGNING_P12_PASSPHRASE = "s3cret-phrase"

    material = keys.load_signing_material()
    assert material.kid == key_id(cert.public_key())
    assert material.chain == (root,)

    settings.LIMS_SIGNING_P12_PASSPHRASE = "wrong-phrase"
    with pytest.raises(keys.KeyConfigurationError) as failure:
        keys.load_signing_material()
    # The message names the setting, never the passphrase or the key.
    assert "LIMS_SIGNING_P12_PASSPHRASE" in str(failure.value)
    assert "wrong-phrase" not in str(failure.value)


def test_error_messages_never_carry_key_material(settings, tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw")
    )
    key_file = tmp_path / "key.pem"
    key_file.write_bytes(pem)
    _, cert_file, _ = make_signing_ca(tmp_path / "ca", "Other")
    settings.LIMS_SIGNING_KEY, settings.LIMS_SIGNING_CERT = key_file, cert_file
    settings.LIMS_SIGNING_KEY_PASSPHRASE = "not-the-passphrase"

    with pytest.raises(keys.KeyConfigurationError) as failure:
        keys.load_signing_material()

    message = str(failure.value)
    assert "not-the-passphrase" not in message
    assert not any(line in message for line in pem.decode().splitlines()[1:-1])


def test_it_refuses_a_key_that_is_not_rsa(settings, tmp_path):
    # pyHanko would write PDF 2.0 for an EC key, which PDF/A-3 does not allow.
    key = ec.generate_private_key(ec.SECP256R1())
    key_file = tmp_path / "ec.pem"
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    _, cert_file, _ = make_signing_ca(tmp_path / "ca", "Elliptic")
    settings.LIMS_SIGNING_KEY, settings.LIMS_SIGNING_CERT = key_file, cert_file

    with pytest.raises(keys.KeyConfigurationError, match="must be RSA"):
        keys.load_signing_material()


def test_it_refuses_a_key_that_does_not_belong_to_the_certificate(settings, tmp_path):
    key_file, _, _ = make_signing_ca(tmp_path / "one", "One")
    _, cert_file, _ = make_signing_ca(tmp_path / "two", "Two")
    settings.LIMS_SIGNING_KEY, settings.LIMS_SIGNING_CERT = key_file, cert_file

    with pytest.raises(keys.KeyConfigurationError, match="does not belong"):
        keys.load_signing_material()


def test_it_refuses_a_certificate_its_signatures_would_fail_with(settings, tmp_path):
    # pyHanko's validator requires nonRepudiation: such a certificate would make every PDF unverifiable.
    key_file, cert_file, _ = make_signing_ca(tmp_path / "ca", "Careless", non_repudiation=False)
    settings.LIMS_SIGNING_KEY, settings.LIMS_SIGNING_CERT = key_file, cert_file

    with pytest.raises(keys.KeyConfigurationError, match="nonRepudiation"):
        keys.load_signing_material()


def test_it_loads_the_token_key_from_its_setting(settings, tmp_path):
    key = Ed25519PrivateKey.generate()
    key_file = tmp_path / "token.pem"
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    settings.VAR_DIR = tmp_path
    settings.LIMS_TOKEN_KEY = key_file

    token_key = keys.load_token_key()

    assert token_key.kid == key_id(key.public_key())
    # The public side never reads the private key: a key configured but not published is not published.
    assert keys.published_public_keys("token") == {}


def test_a_key_file_replaced_in_place_is_read_again_without_a_restart(settings, tmp_path):
    settings.VAR_DIR, settings.LIMS_GENERATE_DEV_KEYS = tmp_path, True
    first = keys.load_token_key()  # development key, generated
    second = Ed25519PrivateKey.generate()

    written = keys.install_ed25519("token", second)  # what rotate_key does

    assert written == tmp_path / "keys" / "token-key.pem"
    assert keys.load_token_key().kid == key_id(second.public_key()) != first.kid
    assert keys.published_public_keys("token").keys() == {first.kid, key_id(second.public_key())}


def test_retired_keys_stay_published(fresh):
    current = keys.load_token_key()
    current_roots = set(keys.trust_roots())
    retired = Ed25519PrivateKey.generate().public_key()
    (fresh / "published" / "token-keys" / "retired.pem").write_bytes(
        retired.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    _, _, old_root = make_signing_ca(fresh.parent / "old-ca", "Retired")
    (fresh / "published" / "roots" / "retired.pem").write_bytes(old_root.public_bytes(serialization.Encoding.PEM))

    assert keys.published_token_keys().keys() == {current.kid, key_id(retired)}
    assert set(keys.trust_roots()) == current_roots | {old_root}


def test_the_exported_material_is_what_the_offline_verifier_reads(fresh, tmp_path):
    written = keys.export_public_material(tmp_path / "out")

    assert sorted(path.name for path in written) == ["keys.json", "root.pem", "token-keys.json"]
    kit = verifier.load_kit(tmp_path / "out")
    assert kit.trust_roots == keys.trust_roots()
    assert kit.token_keys == keys.published_token_keys()
    assert kit.key_set.public_keys("status") == {keys.load_status_key().kid: keys.load_status_key().key.public_key()}
    assert kit.key_set.public_keys("pdf").keys() == {keys.signing_kid()}
    assert kit.status_list is None
    # Nothing private is exported.
    assert b"PRIVATE" not in b"".join(path.read_bytes() for path in written)
