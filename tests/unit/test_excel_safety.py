"""Upload safety of the XLSX adapter: hostile files are refused with a Danish message and nothing else."""

from __future__ import annotations

import contextlib
import io
import json
import random
import zipfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rammeaftale.adapters.excel.reader import read_template
from rammeaftale.adapters.excel.safety import MAX_UPLOAD_BYTES, MB, UnsafeUpload, check_xlsx_upload
from rammeaftale.adapters.excel.template import write_template

FIXTURE = Path(__file__).parents[1] / "fixtures" / "fjordgaarden-2026.json"
FILENAME = "indberetning.xlsx"

CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    b"</Types>"
)
MACRO_CONTENT_TYPES = CONTENT_TYPES.replace(
    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
)
WORKBOOK = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets/></workbook>'
)
BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + b"".join(
        f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'.encode() for i in range(1, 10)
    )
    + b']>\n<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">&lol9;</workbook>'
)
XXE_SHEET = (
    b'<?xml version="1.0"?>\n<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row></sheetData></worksheet>'
)


def fjordgaarden() -> dict[str, object]:
    data = json.loads(FIXTURE.read_text(encoding="utf-8"), parse_float=Decimal)
    assert isinstance(data, dict)
    return data


def make_zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def minimal_xlsx(**extra: bytes) -> dict[str, bytes]:
    return {"[Content_Types].xml": CONTENT_TYPES, "xl/workbook.xml": WORKBOOK, **extra}


def zip_bomb(megabytes: int = 60) -> bytes:
    """60 MB of zeros, compressed to a few kB; written in 1 MB chunks so memory stays low."""
    buffer = io.BytesIO()
    chunk = bytes(MB)
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in minimal_xlsx().items():
            archive.writestr(name, data)
        with archive.open("xl/media/zeros.bin", "w", force_zip64=True) as member:
            for _ in range(megabytes):
                member.write(chunk)
    return buffer.getvalue()


def too_many_members() -> bytes:
    members = minimal_xlsx()
    members.update({f"xl/media/p{i}.bin": b"" for i in range(10_001)})
    return make_zip(members, compression=zipfile.ZIP_STORED)


def encrypted_flag() -> bytes:
    """A zip whose central directory marks the workbook as encrypted (general purpose bit 0)."""
    raw = bytearray(make_zip(minimal_xlsx()))
    start = raw.find(b"PK\x01\x02")
    while start != -1:
        raw[start + 8] |= 0x01
        start = raw.find(b"PK\x01\x02", start + 4)
    return bytes(raw)


def template_bytes() -> bytes:
    return write_template(fjordgaarden())


def with_symlink(raw: bytes, name: str = "xl/media/image1.png", target: str = "/etc/passwd") -> bytes:
    """``raw`` plus a member stored as ``zip --symlinks`` stores one: Unix mode 0o120777, the target as its data."""
    buffer = io.BytesIO(raw)
    with zipfile.ZipFile(buffer, "a") as archive:
        info = zipfile.ZipInfo(name, (2026, 1, 1, 0, 0, 0))
        info.create_system = 3  # Unix
        info.external_attr = 0o120777 << 16
        archive.writestr(info, target)
    return buffer.getvalue()


HOSTILE: dict[str, tuple[Callable[[], bytes], str]] = {
    "empty file": (lambda: b"", "tom"),
    "oversized file": (lambda: b"PK\x03\x04" + bytes(MAX_UPLOAD_BYTES), "højst fylde 5 MB"),
    "CSV renamed to .xlsx": (lambda: "tilbud;takst\nFjordgården;2070,25\n".encode(), "ikke en Excel-fil"),
    "random bytes": (lambda: b"\x01" + random.Random(7).randbytes(4096), "ikke en Excel-fil"),
    "PDF renamed to .xlsx": (lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "PDF"),
    "OLE header (legacy .xls or encrypted workbook)": (
        lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2048),
        "krypteret eller gammelt Excel-format",
    ),
    "zip with vbaProject.bin": (lambda: make_zip(minimal_xlsx(**{"xl/vbaProject.bin": b"\x00" * 64})), "makroer"),
    "xlsm content type": (
        lambda: make_zip({**minimal_xlsx(), "[Content_Types].xml": MACRO_CONTENT_TYPES}),
        "makroer",
    ),
    "zip bomb of 60 MB zeros": (zip_bomb, "zip-bombe"),
    "one member compressed over 100:1": (
        lambda: make_zip(minimal_xlsx(**{"xl/media/zeros.bin": bytes(2 * MB)})),
        "zip-bombe",
    ),
    "more than 10 000 members": (too_many_members, "over 10.000 dele"),
    "billion laughs in xl/workbook.xml": (
        lambda: make_zip({**minimal_xlsx(), "xl/workbook.xml": BILLION_LAUGHS}),
        "DTD, entiteter eller eksterne referencer",
    ),
    "external entity (XXE) in a sheet": (
        lambda: make_zip(minimal_xlsx(**{"xl/worksheets/sheet1.xml": XXE_SHEET})),
        "DTD, entiteter eller eksterne referencer",
    ),
    "member named ../../evil": (lambda: make_zip(minimal_xlsx(**{"../../evil": b"x"})), "ugyldigt navn"),
    "member with an absolute path": (lambda: make_zip(minimal_xlsx(**{"/etc/cron.d/evil": b"x"})), "ugyldigt navn"),
    "truncated xlsx": (lambda: template_bytes()[:5000], "beskadiget"),
    "zip without xl/workbook.xml": (lambda: make_zip({"[Content_Types].xml": CONTENT_TYPES}), "xl/workbook.xml"),
    "malformed XML part": (lambda: make_zip(minimal_xlsx(**{"xl/styles.xml": b"<styleSheet><a></b>"})), "ugyldig XML"),
    "encrypted zip member": (encrypted_flag, "krypteret"),
    "member that is a symlink": (lambda: with_symlink(make_zip(minimal_xlsx())), "symbolsk link"),
}


@pytest.mark.parametrize("case", list(HOSTILE), ids=list(HOSTILE))
def test_a_hostile_upload_is_refused_with_a_danish_message_and_nothing_else(case: str) -> None:
    build, expected = HOSTILE[case]
    raw = build()
    with pytest.raises(UnsafeUpload) as refused:
        check_xlsx_upload(raw, FILENAME)
    assert expected in refused.value.message_da
    assert str(refused.value) == refused.value.message_da
    assert FILENAME in refused.value.message_da


@pytest.mark.parametrize("case", list(HOSTILE), ids=list(HOSTILE))
def test_read_template_refuses_the_same_hostile_upload(case: str) -> None:
    build, _ = HOSTILE[case]
    with pytest.raises(UnsafeUpload):
        read_template(build(), FILENAME)


def test_a_macro_workbook_is_refused_by_its_xlsm_file_name_too() -> None:
    with pytest.raises(UnsafeUpload, match="makroer"):
        check_xlsx_upload(template_bytes(), "indberetning.xlsm")


def test_v5_2_5_a_member_that_is_a_unix_symlink_is_refused_even_inside_the_valid_template() -> None:
    raw = with_symlink(template_bytes(), "xl/worksheets/sheet9.xml", "../../../../etc/passwd")
    with pytest.raises(UnsafeUpload) as refused:
        check_xlsx_upload(raw, FILENAME)
    assert refused.value.message_da == (
        f"Filen '{FILENAME}' indeholder en del, der er en genvej (symbolsk link) til en anden fil "
        "('xl/worksheets/sheet9.xml'), og afvises. Gem filen i Excel som 'Excel-projektmappe (*.xlsx)' uden "
        "adgangskode, og prøv igen."
    )
    with pytest.raises(UnsafeUpload, match="symbolsk link"):
        read_template(raw, FILENAME)


def test_members_with_ordinary_unix_or_windows_attributes_are_not_taken_for_symlinks() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in minimal_xlsx().items():
            info = zipfile.ZipInfo(name)
            info.create_system = 0 if name.endswith("workbook.xml") else 3
            info.external_attr = 0x20 if info.create_system == 0 else 0o100644 << 16  # archive bit; rw-r--r--
            archive.writestr(info, data)
    check_xlsx_upload(buffer.getvalue(), FILENAME)


def test_unsafe_upload_is_a_value_error_for_callers_that_map_it_to_http_400() -> None:
    assert issubclass(UnsafeUpload, ValueError)


def test_the_template_from_rammeaftale_passes_the_upload_check() -> None:
    check_xlsx_upload(template_bytes(), FILENAME)


def test_a_plain_workbook_from_another_tool_passes_the_upload_check() -> None:
    from openpyxl import Workbook

    buffer = io.BytesIO()
    Workbook().save(buffer)
    check_xlsx_upload(buffer.getvalue(), "andet.xlsx")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_give_unsafe_upload_or_pass_never_another_exception(raw: bytes) -> None:
    with contextlib.suppress(UnsafeUpload):
        check_xlsx_upload(raw, FILENAME)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)), min_size=1, max_size=8))
def test_a_damaged_template_gives_unsafe_upload_or_a_reading_never_another_exception(
    damage: list[tuple[int, int]],
) -> None:
    raw = bytearray(TEMPLATE)
    for position, byte in damage:
        raw[position % len(raw)] = byte
    with contextlib.suppress(UnsafeUpload):
        read_template(bytes(raw), FILENAME)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["xl/worksheets/sheet1.xml", "xl/worksheets/sheet3.xml", "xl/styles.xml", "xl/workbook.xml"]),
    st.lists(st.tuples(st.integers(min_value=0), st.sampled_from(list(b"<>/=\"' ax19-.&;"))), min_size=1, max_size=6),
)
def test_damaged_xml_inside_a_valid_zip_gives_unsafe_upload_or_a_reading_never_another_exception(
    part: str, damage: list[tuple[int, int]]
) -> None:
    with zipfile.ZipFile(io.BytesIO(TEMPLATE)) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    xml = bytearray(members[part])
    for position, byte in damage:
        xml[position % len(xml)] = byte
    members[part] = bytes(xml)
    with contextlib.suppress(UnsafeUpload):
        read_template(make_zip(members), FILENAME)


TEMPLATE = template_bytes()
