"""A signed FatturaPA (.xml.p7m, CAdES-BES): the XML inside its CMS SignedData, read with
asn1crypto's `cms` module (never by slicing bytes). Both forms are common: DER, and the same DER
in base64 (with or without PEM armour), as some PEC clients and accounting packages save them.

The content's digest is checked against the signature's messageDigest attribute, so a file whose
XML was altered after signing is refused. The signer's certificate is not checked against the
Italian trusted list (that is the SdI's job; the files we import have passed it).
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from asn1crypto import cms

BASE64_ALPHABET = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\r\n\t ")


class SignedFileError(ValueError):
    """The .p7m cannot be read; the message says why, for the import report."""


def signed_content(data: bytes) -> bytes:
    der = _der(data)
    try:
        info = cms.ContentInfo.load(der)
        if info["content_type"].native != "signed_data":
            raise SignedFileError(f"a CMS {info['content_type'].native}, not signed data")
        signed = info["content"]
        content = signed["encap_content_info"]["content"]
        if content.native is None:
            raise SignedFileError("a detached signature: the .p7m holds no invoice")
        xml = content.native if isinstance(content.native, bytes) else content.contents
        _check_digests(signed, xml)
    except SignedFileError:
        raise
    except (ValueError, TypeError, KeyError) as exc:
        raise SignedFileError(f"not a readable CMS signed file ({exc})") from exc
    return bytes(xml)


def _der(data: bytes) -> bytes:
    stripped = data.strip()
    if stripped[:1] == b"\x30":
        return data
    if stripped.startswith(b"-----BEGIN"):
        lines = [line for line in stripped.splitlines() if not line.startswith(b"-----")]
        stripped = b"".join(lines)
    if not stripped or not set(stripped) <= BASE64_ALPHABET:
        raise SignedFileError("neither DER nor base64: not a signed file")
    try:
        return base64.b64decode(b"".join(stripped.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignedFileError(f"broken base64 ({exc})") from exc


def _check_digests(signed: cms.SignedData, content: bytes) -> None:
    for signer in signed["signer_infos"]:
        attributes = signer["signed_attrs"]
        if not attributes:
            continue
        algorithm = signer["digest_algorithm"]["algorithm"].native
        for attribute in attributes:
            if attribute["type"].native != "message_digest":
                continue
            expected = attribute["values"][0].native
            if hashlib.new(algorithm, content).digest() != expected:
                raise SignedFileError("the invoice was changed after it was signed")
