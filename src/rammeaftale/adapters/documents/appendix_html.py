"""The tariff appendix (takstbilag) as a standalone, printable HTML document (CLI ``--format html``).

One file, no scripts, no external resources: the CSS is inline and a Content-Security-Policy forbids
anything else. Every value is escaped by Jinja2's autoescape. The web UI has its own page; this is
the file a user downloads, mails or prints.
"""

from __future__ import annotations

from jinja2 import Environment, StrictUndefined

from rammeaftale.adapters.documents.appendix_rows import (
    APPENDIX_COLUMNS,
    ColumnKind,
    appendix_table,
    document_title,
    format_cell,
    title_lines,
)
from rammeaftale.domain.appendix import TariffAppendix

HTML_MEDIA_TYPE = "text/html; charset=utf-8"

_TEMPLATE = """\
<!DOCTYPE html>
<html lang="da">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>{{ title }}</title>
<style>
  @page { size: A4 landscape; margin: 10mm; }
  body { font-family: Arial, Helvetica, sans-serif; font-size: 10pt; color: #111; margin: 1.5rem; }
  .agreement { font-size: 14pt; font-weight: bold; margin: 0; }
  h1 { font-size: 13pt; margin: 0.4rem 0 0.2rem; }
  .meta { margin: 0.1rem 0; }
  .warning { margin: 0.3rem 0; font-weight: bold; color: #a00000; }
  table { border-collapse: collapse; width: 100%; margin-top: 1rem; font-size: 8.5pt; }
  thead { display: table-header-group; }
  th { background: #d9d9d9; text-align: left; vertical-align: bottom; }
  th, td { border: 1px solid #b4b4b4; padding: 0.2rem 0.35rem; }
  tbody tr:nth-child(even) { background: #f4f4f4; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  .num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
  .empty { font-style: italic; }
  @media print {
    body { margin: 0; font-size: 9pt; }
    table { font-size: 7.5pt; }
    th { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  }
</style>
</head>
<body>
<header>
{%- for line in lines %}
{%- if line.role == "title" %}
<p class="agreement">{{ line.text }}</p>
{%- elif line.role == "heading" %}
<h1>{{ line.text }}</h1>
{%- elif line.role == "warning" %}
<p class="warning" role="note">{{ line.text }}</p>
{%- else %}
<p class="meta">{{ line.text }}</p>
{%- endif %}
{%- endfor %}
</header>
<main>
<table>
<thead>
<tr>{% for header, numeric in headers %}<th scope="col"{% if numeric %} class="num"{% endif %}>{{ header }}</th>{% endfor %}</tr>
</thead>
<tbody>
{%- for row in rows %}
<tr>{% for text, numeric in row %}<td{% if numeric %} class="num"{% endif %}>{{ text }}</td>{% endfor %}</tr>
{%- else %}
<tr><td class="empty" colspan="{{ headers | length }}">Bilaget indeholder ingen takster.</td></tr>
{%- endfor %}
</tbody>
</table>
</main>
</body>
</html>
"""

_ENVIRONMENT = Environment(autoescape=True, undefined=StrictUndefined, keep_trailing_newline=True)
_COMPILED = _ENVIRONMENT.from_string(_TEMPLATE)


def render_appendix_html(appendix: TariffAppendix) -> str:
    """The appendix as a complete HTML document (UTF-8 text)."""
    headers, rows = appendix_table(appendix)
    numeric = [column.kind is not ColumnKind.TEXT for column in APPENDIX_COLUMNS]
    kinds = [column.kind for column in APPENDIX_COLUMNS]
    formatted = (
        [(format_cell(value, kind), is_number) for value, kind, is_number in zip(cells, kinds, numeric, strict=True)]
        for cells in rows
    )
    return _COMPILED.render(
        title=document_title(appendix),
        lines=title_lines(appendix),
        headers=list(zip(headers, numeric, strict=True)),
        rows=formatted,
    )
