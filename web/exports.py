"""CSV exports of the per-member tables, built from the same columns as the pages."""

import csv

from django.http import HttpResponse

from .templatetags.analytics_format import cell_text


def csv_response(filename: str, columns, rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow([label for _, label, _ in columns])
    for row in rows:
        writer.writerow([_neutralise(cell_text(row, column, for_csv=True)) for column in columns])
    return response


def _neutralise(text: str) -> str:
    """Stop spreadsheet formula injection through names or emails ("=HYPERLINK(…)")."""
    if text and text[0] in "=+-@\t\r" and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
