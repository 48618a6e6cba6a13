"""Checks an uploaded XLSX file before any parser touches it.

An upload is refused with ``UnsafeUpload`` (a Danish message for the operator) when it is empty or too
big, not an XLSX workbook at all (CSV, PDF, legacy .xls, an encrypted workbook), carries macros, is a
zip bomb, holds far more cell data than the template needs, links to other files or programs (external
links, DDE), embeds other archives or OLE objects (nested zip bombs are never unpacked, but refused), has
a member that is a symbolic link (ASVS V5.2.5; nothing is ever extracted, but such a file is no workbook), or
holds XML with a DTD, entities or external references. The cheap checks of the zip directory run before
any XML is read, so a refused file costs milliseconds. Whatever the bytes are, no other exception leaves
``check_xlsx_upload``.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from typing import IO

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, ParseError

MB = 1024 * 1024
MAX_UPLOAD_BYTES = 5 * MB
MAX_UNCOMPRESSED_BYTES = 50 * MB
MAX_MEMBER_RATIO = 100
RATIO_CHECK_FROM_BYTES = 1 * MB
MAX_MEMBERS = 10_000
MAX_XML_DEPTH = 1_000
# Worksheets + shared strings: the template has about 40 kB, one resaved by Excel a little more. openpyxl
# keeps every cell in memory and needs up to 2 s a MB, so the limit keeps any accepted file well under 5 s.
MAX_CELL_XML_BYTES = 1 * MB
READ_CHUNK_BYTES = 64 * 1024

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"
PDF_MAGIC = b"%PDF"
CONTENT_TYPES = "[Content_Types].xml"
WORKBOOK_PART = "xl/workbook.xml"
MACRO_CONTENT_TYPE = "application/vnd.ms-excel.sheet.macroenabled"
MACRO_SHEET_CONTENT_TYPE = "application/vnd.ms-excel.macrosheet"
MACRO_EXTENSIONS = (".xlsm", ".xltm", ".xlam", ".xlsb")
EXTERNAL_LINK_PARTS = ("xl/externallinks/",)
EMBEDDED_MAGIC = (ZIP_MAGIC, OLE_MAGIC)
# The Unix mode of a member sits in the upper 16 bits of its external attributes (``zip --symlinks``).
UNIX_FILE_TYPE_MASK = 0o170000
UNIX_SYMLINK = 0o120000

SAVE_AS_XLSX = "Gem filen i Excel som 'Excel-projektmappe (*.xlsx)' uden adgangskode, og prøv igen."
_DRIVE_PATH = re.compile(r"^[A-Za-z]:")


class UnsafeUpload(ValueError):
    """An upload that is refused before parsing; ``message_da`` tells the operator why."""

    def __init__(self, message_da: str) -> None:
        super().__init__(message_da)
        self.message_da = message_da


def check_xlsx_upload(raw: bytes, filename: str) -> None:
    """Refuse anything but a plain, macro-free, reasonably sized XLSX workbook (raises ``UnsafeUpload``)."""
    try:
        _check(raw, filename)
    except UnsafeUpload:
        raise
    except Exception as exc:  # any parser or zip failure on hostile bytes is a refusal, never a crash
        raise UnsafeUpload(f"Filen '{filename}' kunne ikke kontrolleres og afvises. {SAVE_AS_XLSX}") from exc


def _check(raw: bytes, filename: str) -> None:
    _check_size(raw, filename)
    _check_magic(raw, filename)
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise UnsafeUpload(f"Filen '{filename}' er beskadiget eller ikke en gyldig .xlsx-fil. {SAVE_AS_XLSX}") from exc
    with archive:
        members = archive.infolist()
        _check_members(members, filename)
        names = {m.filename for m in members}
        if CONTENT_TYPES not in names or WORKBOOK_PART not in names:
            raise UnsafeUpload(
                f"Filen '{filename}' er ikke en Excel-projektmappe (xl/workbook.xml mangler). {SAVE_AS_XLSX}"
            )
        _check_macros(archive, members, filename)
        _check_cell_data(members, filename)
        _check_links_and_embeddings(archive, members, filename)
        for member in members:
            if _is_xml(member.filename):
                _check_xml(archive, member, filename)


def _check_size(raw: bytes, filename: str) -> None:
    if not isinstance(raw, (bytes, bytearray)):
        raise UnsafeUpload(f"Filen '{filename}' kunne ikke modtages som en fil.")
    if len(raw) == 0:
        raise UnsafeUpload(f"Filen '{filename}' er tom.")
    if len(raw) > MAX_UPLOAD_BYTES:
        size_mb = f"{len(raw) / MB:.1f}".replace(".", ",")
        raise UnsafeUpload(f"Filen '{filename}' fylder {size_mb} MB; den må højst fylde 5 MB.")


def _check_magic(raw: bytes, filename: str) -> None:
    head = bytes(raw[:8])
    if head.startswith(OLE_MAGIC):
        raise UnsafeUpload(
            f"Filen '{filename}' er krypteret eller gammelt Excel-format (.xls). Fjern adgangskoden og "
            "gem filen som 'Excel-projektmappe (*.xlsx)'."
        )
    if head.startswith(PDF_MAGIC):
        raise UnsafeUpload(f"Filen '{filename}' er en PDF-fil, ikke et Excel-skema. {SAVE_AS_XLSX}")
    if not head.startswith(ZIP_MAGIC):
        raise UnsafeUpload(
            f"Filen '{filename}' er ikke en Excel-fil (.xlsx); den ligner tekst, CSV eller et andet format. "
            f"{SAVE_AS_XLSX}"
        )


def _check_members(members: list[zipfile.ZipInfo], filename: str) -> None:
    if len(members) > MAX_MEMBERS:
        raise UnsafeUpload(f"Filen '{filename}' indeholder over {MAX_MEMBERS:,} dele og afvises.".replace(",", "."))
    seen: set[str] = set()
    total = 0
    for member in members:
        _check_member_name(member.filename, filename)
        if member.filename in seen:
            raise UnsafeUpload(f"Filen '{filename}' indeholder den samme del to gange og afvises.")
        seen.add(member.filename)
        if is_symlink(member):
            raise UnsafeUpload(
                f"Filen '{filename}' indeholder en del, der er en genvej (symbolsk link) til en anden fil "
                f"('{member.filename[:80]}'), og afvises. {SAVE_AS_XLSX}"
            )
        if member.flag_bits & 0x1:
            raise UnsafeUpload(f"Filen '{filename}' er krypteret eller beskyttet med adgangskode. {SAVE_AS_XLSX}")
        total += member.file_size
        if total > MAX_UNCOMPRESSED_BYTES:
            raise UnsafeUpload(
                f"Filen '{filename}' fylder over 50 MB, når den pakkes ud (mulig zip-bombe), og afvises."
            )
        if member.file_size > RATIO_CHECK_FROM_BYTES and (
            member.compress_size == 0 or member.file_size / member.compress_size > MAX_MEMBER_RATIO
        ):
            raise UnsafeUpload(
                f"Filen '{filename}' er pakket usædvanligt kraftigt (mulig zip-bombe) og afvises: "
                f"delen '{member.filename}' fylder over 100 gange mere udpakket."
            )


def is_symlink(member: zipfile.ZipInfo) -> bool:
    """Whether the member's external attributes mark a Unix symbolic link (whatever system made the zip)."""
    return ((member.external_attr >> 16) & UNIX_FILE_TYPE_MASK) == UNIX_SYMLINK


def _check_member_name(name: str, filename: str) -> None:
    parts = re.split(r"[/\\]", name)
    if name.startswith(("/", "\\")) or _DRIVE_PATH.match(name) or ".." in parts or "\x00" in name:
        raise UnsafeUpload(f"Filen '{filename}' indeholder en del med et ugyldigt navn ('{name[:80]}') og afvises.")


def _check_macros(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], filename: str) -> None:
    message = (
        f"Filen '{filename}' indeholder makroer (VBA) og afvises. Gem den som 'Excel-projektmappe (*.xlsx)' uden "
        "makroer, og prøv igen."
    )
    if filename.lower().endswith(MACRO_EXTENSIONS):
        raise UnsafeUpload(message)
    for member in members:
        lowered = member.filename.lower()
        if lowered.endswith("vbaproject.bin") or "/macrosheets/" in lowered:
            raise UnsafeUpload(message)
    content_types = archive.getinfo(CONTENT_TYPES)
    with archive.open(content_types) as stream:
        text = stream.read(MAX_UNCOMPRESSED_BYTES).decode("utf-8", errors="replace").lower()
    if MACRO_CONTENT_TYPE in text or MACRO_SHEET_CONTENT_TYPE in text:
        raise UnsafeUpload(message)


def _is_cell_data(name: str) -> bool:
    lowered = name.lower()
    return lowered.startswith("xl/worksheets/") or lowered == "xl/sharedstrings.xml"


def _check_cell_data(members: list[zipfile.ZipInfo], filename: str) -> None:
    """openpyxl keeps every cell in memory: refuse sheet data far beyond what the template needs."""
    if sum(m.file_size for m in members if _is_cell_data(m.filename)) > MAX_CELL_XML_BYTES:
        raise UnsafeUpload(
            f"Filen '{filename}' indeholder langt flere celler, end et takstberegningsskema har brug for, og "
            "afvises. Brug skemaet fra Rammeaftale uden ekstra ark."
        )


def _check_links_and_embeddings(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], filename: str) -> None:
    """External links (to other files or via DDE to programs) and embedded archives or OLE objects are refused."""
    for member in members:
        if member.filename.lower().startswith(EXTERNAL_LINK_PARTS):
            raise UnsafeUpload(
                f"Filen '{filename}' indeholder kæder til andre filer eller programmer (eksterne kæder eller DDE) "
                f"og afvises. {SAVE_AS_XLSX}"
            )
        if _is_xml(member.filename) or member.file_size < len(ZIP_MAGIC):
            continue
        with archive.open(member) as stream:
            head = stream.read(len(ZIP_MAGIC))
        if head.startswith(EMBEDDED_MAGIC):
            raise UnsafeUpload(
                f"Filen '{filename}' indeholder en indlejret fil eller et objekt ('{member.filename[:80]}') og "
                f"afvises. {SAVE_AS_XLSX}"
            )


def _is_xml(name: str) -> bool:
    return name.lower().endswith((".xml", ".rels"))


class _DepthGuard:
    """A parser target that builds no tree (memory stays flat) and refuses absurd nesting."""

    def __init__(self) -> None:
        self.depth = 0

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        self.depth += 1
        if self.depth > MAX_XML_DEPTH:
            raise ValueError("XML nested too deeply")

    def end(self, tag: str) -> None:
        self.depth -= 1

    def close(self) -> None:
        return None


def _check_xml(archive: zipfile.ZipFile, member: zipfile.ZipInfo, filename: str) -> None:
    """Stream one XML part through defusedxml; refuse DTDs, entities, external references and bad XML."""
    parser = DefusedXMLParser(target=_DepthGuard(), forbid_dtd=True, forbid_entities=True, forbid_external=True)
    try:
        with archive.open(member) as stream:
            for chunk in _chunks(stream, member.file_size):
                parser.feed(chunk)
        parser.close()
    except DefusedXmlException as exc:
        raise UnsafeUpload(
            f"Filen '{filename}' indeholder XML med DTD, entiteter eller eksterne referencer "
            f"('{member.filename}') og afvises af sikkerhedshensyn."
        ) from exc
    except (ParseError, ValueError, LookupError, zipfile.BadZipFile, OSError, EOFError) as exc:
        raise UnsafeUpload(
            f"Filen '{filename}' indeholder ugyldig XML ('{member.filename}') og kan ikke læses. {SAVE_AS_XLSX}"
        ) from exc


def _chunks(stream: IO[bytes], limit: int) -> Iterator[bytes]:
    """Read at most ``limit`` bytes (the declared size, already within the zip-bomb budget)."""
    left = limit
    while left > 0:
        chunk = stream.read(min(READ_CHUNK_BYTES, left))
        if not chunk:
            return
        left -= len(chunk)
        yield chunk
