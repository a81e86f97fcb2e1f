"""FatturaPA XML -> a validated lxml tree, or the problems: hostile XML refused, then the
official schema (FatturaPA 1.2.2 with the W3C xmldsig schema it imports, shipped byte for byte in
bot/importers/fatturapa/schema/, see docs/fatturapa.md for their source).

Hostile XML is never expanded: a document with a DOCTYPE (the carrier of entity definitions,
billion laughs and external entities, XXE) is refused before and after parsing, and the parser
itself resolves no entity, loads no DTD and opens no network connection.
"""

from __future__ import annotations

import functools
from pathlib import Path

from lxml import etree

from bot.importers.report import Problem
from bot.safe_xml import HostileXml, parse_untrusted

SCHEMA_DIR = Path(__file__).parent / "schema"
SCHEMA_FILE = SCHEMA_DIR / "Schema_del_file_xml_FatturaPA_v1.2.2.xsd"
NAMESPACE = "http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2"
SIMPLIFIED_NAMESPACE = "http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.0"
FORMATS = ("FPR12", "FPA12")
MAX_SCHEMA_ERRORS = 20  # per file: the first ones locate the fault


@functools.cache
def _schema() -> etree.XMLSchema:
    # Our own files: the xmldsig schema's internal entity (&dsig;) is expanded, nothing is
    # fetched from the network.
    parser = etree.XMLParser(no_network=True, load_dtd=False)
    return etree.XMLSchema(etree.parse(str(SCHEMA_FILE), parser))


def parse_invoice(
    name: str, data: bytes, problems: list[Problem], notes: list[str] | None = None
) -> etree._Element | None:
    """The FatturaElettronica root, checked against the schema; None and problems if not.

    An SdI message (the metadata file, a delivery receipt, a rejection...) that SdI exports
    carry beside the invoices is not an invoice: None, and a line in `notes`."""
    if b"<!DOCTYPE" in data[:4096].upper() or b"<!ENTITY" in data.upper():
        problems.append(Problem(name, 0, "", "a DOCTYPE or ENTITY declaration: refused, not read"))
        return None
    try:
        tree = parse_untrusted(data)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or 0
        problems.append(Problem(name, line, "", f"not well-formed XML: {exc.msg}"))
        return None
    except HostileXml as exc:
        problems.append(Problem(name, 0, "", f"{exc}: refused, not read"))
        return None
    root = tree.getroot()
    namespace = etree.QName(root).namespace or ""
    if "/messaggi/" in namespace and notes is not None:
        notes.append(
            f"{name}: an SdI message ({etree.QName(root).localname}), not an invoice: skipped"
        )
        return None
    if namespace == SIMPLIFIED_NAMESPACE:
        problems.append(
            Problem(
                name,
                root.sourceline or 0,
                etree.QName(root).localname,
                "a simplified invoice (FSM10): only FatturaPA 1.2 (FPR12, FPA12) is imported",
            )
        )
        return None
    schema = _schema()
    if not schema.validate(tree):
        for error in list(schema.error_log)[:MAX_SCHEMA_ERRORS]:
            problems.append(Problem(name, error.line, _path(error.path), _message(error.message)))
        return None
    return root


def _path(path: str | None) -> str:
    """lxml's XPath of the faulty element, without namespace prefixes: the spec's own names."""
    if not path:
        return ""
    return "/".join(part.split(":", 1)[-1] for part in path.split("/"))


def _message(message: str) -> str:
    """lxml's schema message without its Clark-notation noise."""
    return message.replace("{" + NAMESPACE + "}", "")
