"""Reads an XLSX workbook with openpyxl, an implementation independent of the one that wrote it,
and prints its sheets as JSON: {sheet name: {"rows": [[cell, ...], ...], "frozen": "A2",
"filter": "A1:R9"}}. Used by the FSMA 204 end-to-end test (tests/tests/demo.rs)."""

import json
import sys

import openpyxl

book = openpyxl.load_workbook(sys.argv[1], read_only=False)
out = {}
for sheet in book.worksheets:
    out[sheet.title] = {
        "rows": [list(row) for row in sheet.iter_rows(values_only=True)],
        "frozen": sheet.freeze_panes,
        "filter": sheet.auto_filter.ref,
    }
json.dump(out, sys.stdout, default=str)
