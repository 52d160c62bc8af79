"""What the officer does in Excel: write a name in 认领人 on an item's row of the claim form
(认领单) that ``sgbus sheet out`` wrote, and save it. ``openpyxl`` only stands in for Excel.

    python examples/fill_claim_form.py 认领单.xlsx EVENT_ID 王五

Exits 1 when the item is not on the form (not received yet, or claimed already).
"""

from __future__ import annotations

import sys

from openpyxl import load_workbook


def main() -> None:
    """Find the item's row by its 事件编号 and write the officer's name in 认领人."""
    path, event_id, officer = sys.argv[1:4]
    book = load_workbook(path)
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    id_column, name_column = header.index("事件编号"), header.index("认领人")
    for row in sheet.iter_rows(min_row=2):
        if row[id_column].value == event_id:
            row[name_column].value = officer
            book.save(path)
            print(f"row {row[0].row}: 认领人 {officer}")
            return
    sys.exit(f"{event_id} is not on the form")


if __name__ == "__main__":
    main()
