"""Reports: money and percentage formatting, tables, the plan workbook, charts."""
