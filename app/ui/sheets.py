"""The field-sheet download button, the same on every page that offers it (the field page for
the chosen project, the map page for the selected one). The sheet is drawn when clicked."""

from __future__ import annotations

import streamlit as st

from app.data.atlas import Atlas
from app.domain.i18n import t

__all__ = ["field_sheet_button"]


def field_sheet_button(atlas: Atlas, project_id: str, lang: str, *, key: str,
                       asof: str | None = None) -> None:
    """A download button for `project_id`'s field sheet (PDF) in `lang`, as of `asof` when the
    page shows a past day (the sheet's footer says so). (Imported lazily: matplotlib is only
    needed once a sheet is asked for.)"""
    from app.sheet import SheetOptions, field_sheet

    options = SheetOptions(lang=lang, asof=asof)
    st.download_button(t("sheet.download_field", lang),
                       lambda: field_sheet(atlas, project_id, options).to_bytes("pdf"),
                       file_name=f"changning-field-{project_id}.pdf", mime="application/pdf",
                       key=key, on_click="ignore", width="stretch")
