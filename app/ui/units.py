"""Projects by loaded outline unit (sub-district, planning unit, parcel): the table the about
page shows for the whole register and the map page's summary for the current selection."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.data.atlas import Atlas
from app.data.boundaries import BOUNDARY_KINDS, straddling, unit_summary
from app.domain.i18n import t

__all__ = ["loaded_kinds", "units_table"]


def loaded_kinds(atlas: Atlas) -> list[str]:
    """The outline kinds loaded from boundary files, in :data:`BOUNDARY_KINDS` order."""
    return [k for k in BOUNDARY_KINDS
            if any(p.kind == k and p.id.startswith("boundary-") for p in atlas.places.values())]


def units_table(atlas: Atlas, projects: pd.DataFrame, kind: str, lang: str) -> None:
    """One kind's units: code, area, how many of `projects` have a part inside and their summed
    shares, under a line saying how many straddle two or more units."""
    summary = unit_summary(projects, atlas.places.values(), kind)
    st.caption(t("about.units_kind", lang).format(
        kind=t(f"about.kind_{kind}", lang), n=len(summary),
        straddling=straddling(projects, kind)))
    st.dataframe(summary.rename(columns={
        "name": t("about.unit_name", lang), "code": t("about.unit_code", lang),
        "area_km2": t("about.unit_area", lang), "projects": t("about.unit_projects", lang),
        "share_sum": t("about.unit_shares", lang)}), hide_index=True, width="stretch")
