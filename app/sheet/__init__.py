"""Map sheets and field sheets: printable PNG/PDF made from the atlas itself, on the server.

Owns: paper and options (``paper``), the font (``fonts``), drawing layers in UTM 51N
(``drawing``), placing things on paper (``page``), the words printed (``words``), QR codes
(``qr``), the two sheets (``map_sheet``, ``field_sheet``) and their files (``output``); the
supervision report as an Excel workbook or an A4 PDF (``supervision``, over
:mod:`app.service.supervision`).
May import: errors, domain, geo, data, io (atomic writes, names, sources), map (layer
styles, legend, card fields) and service (the supervision report's rows and changes). Rendering uses matplotlib without pyplot: no global state.
"""

from app.sheet.field_sheet import field_sheet
from app.sheet.map_sheet import map_sheet, permalink
from app.sheet.output import SHEET_FORMATS, Sheet, output_format
from app.sheet.paper import SheetOptions, parse_bbox

__all__ = ["SHEET_FORMATS", "Sheet", "SheetOptions", "field_sheet", "map_sheet", "output_format",
           "parse_bbox", "permalink"]
