"""The field-sheet download, the same on every page that offers it (the field page for the
chosen project, the map page for the selected one). The sheet is drawn when asked for, and a
sheet that cannot be drawn is said on the page (app/ui/downloads.py)."""

from __future__ import annotations

import streamlit as st

from app.data.atlas import Atlas
from app.domain.i18n import t
from app.ui.downloads import prepared_download

__all__ = ["field_sheet_button"]


def field_sheet_button(atlas: Atlas, project_id: str, lang: str, *, key: str,
                       asof: str | None = None) -> None:
    """The download of `project_id`'s field sheet (PDF) in `lang`, as of `asof` when the page
    shows a past day (the sheet's footer says so). (Imported lazily: matplotlib is only needed
    once a sheet is asked for.)"""
    from app.sheet import SheetOptions, field_sheet

    options = SheetOptions(lang=lang, asof=asof)
    prepared_download(st.container(), t("sheet.download_field", lang),
                      lambda: field_sheet(atlas, project_id, options).to_bytes("pdf"),
                      file_name=f"changning-field-{project_id}.pdf", mime="application/pdf",
                      key=key, lang=lang, what=t("sheet.what_field", lang),
                      signature=(atlas.data_version, project_id, lang, asof))
