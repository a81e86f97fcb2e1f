"""XML that comes from outside (FatturaPA invoices, ISO 20022 bank statements), parsed so that
nothing in it is expanded or fetched: no entity resolved, no DTD loaded, no network, no huge tree,
comments and processing instructions dropped; and a document that declares a DOCTYPE is refused
(`HostileXml`), since neither format has one. PEC receipts' daticert.xml is read with the standard
library's ElementTree through defusedxml (bot/escalation/pec_format.py)."""

from __future__ import annotations

from lxml import etree


class HostileXml(ValueError):
    """The document declares a DOCTYPE: refused, not read."""


def parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_untrusted(data: bytes) -> etree._ElementTree:
    """The document's tree. etree.XMLSyntaxError when it is not well-formed XML, HostileXml when
    it declares a DOCTYPE (its entities are never expanded either way)."""
    tree = etree.fromstring(data, parser()).getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise HostileXml("a DOCTYPE declaration")
    return tree
