"""A real CAdES-BES-style CMS SignedData around a FatturaPA file, as a .xml.p7m is: an RSA key
and a self-signed certificate made with `cryptography`, the structure built with asn1crypto
(signed attributes: content type, message digest, signing time; SHA-256 with RSA)."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib

from asn1crypto import algos, cms, core, x509
from cryptography import x509 as cx509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID


@functools.cache
def _signer() -> tuple[rsa.RSAPrivateKey, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = cx509.Name(
        [
            cx509.NameAttribute(NameOID.COMMON_NAME, "Mario Bianchi"),
            cx509.NameAttribute(NameOID.SERIAL_NUMBER, "TINIT-BNCMRA70A01B157X"),
            cx509.NameAttribute(NameOID.COUNTRY_NAME, "IT"),
        ]
    )
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    certificate = (
        cx509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(20260101)
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=3 * 365))
        .sign(key, hashes.SHA256())
    )
    return key, certificate.public_bytes(serialization.Encoding.DER)


def sign_p7m(content: bytes, *, signing_time: dt.datetime, base64_armour: bool = False) -> bytes:
    key, certificate_der = _signer()
    certificate = x509.Certificate.load(certificate_der)
    attributes = cms.CMSAttributes(
        [
            cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
            cms.CMSAttribute(
                {"type": "message_digest", "values": [hashlib.sha256(content).digest()]}
            ),
            cms.CMSAttribute(
                {"type": "signing_time", "values": [cms.Time({"utc_time": signing_time})]}
            ),
        ]
    )
    signature = key.sign(attributes.dump(), padding.PKCS1v15(), hashes.SHA256())
    signer = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": cms.IssuerAndSerialNumber(
                        {"issuer": certificate.issuer, "serial_number": certificate.serial_number}
                    )
                }
            ),
            "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
            "signed_attrs": attributes,
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_rsa"}),
            "signature": signature,
        }
    )
    signed = cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
            "encap_content_info": {"content_type": "data", "content": core.OctetString(content)},
            "certificates": [certificate],
            "signer_infos": [signer],
        }
    )
    der = cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump()
    if not base64_armour:
        return der
    text = base64.encodebytes(der)  # 76-character lines, as PEC clients save them
    return text


def verify_p7m_signature(der: bytes) -> bool:
    """The signature over the signed attributes checks out with the embedded certificate."""
    info = cms.ContentInfo.load(der)
    signed = info["content"]
    signer = signed["signer_infos"][0]
    certificate = cx509.load_der_x509_certificate(signed["certificates"][0].chosen.dump())
    public_key = certificate.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    attributes = signer["signed_attrs"].untag().dump()
    public_key.verify(signer["signature"].native, attributes, padding.PKCS1v15(), hashes.SHA256())
    return True
