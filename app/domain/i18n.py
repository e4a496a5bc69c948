"""UI strings in Chinese (default) and English. Plain data; no streamlit here.

>>> t("projects", "en"), t("projects", "zh")
('Projects', '项目')
>>> t("no-such-key", "en")
'no-such-key'
>>> field_label("pos_source", "en")
'Position source'
"""

from __future__ import annotations

__all__ = ["FIELD_LABELS", "STRINGS", "field_label", "t"]

STRINGS: dict[str, tuple[str, str]] = {
    "app_title": ("长宁城市更新地图", "Changning Urban Renewal Atlas"),
    "app_subtitle": ("长宁区2025年城市更新与公共空间项目(依据区政府工作报告“2025年主要任务”)",
                     "Changning District's 2025 renewal and public-space projects (district work report, 2025 tasks)"),
    "map_page": ("地图", "Map"),
    "about_page": ("数据与说明", "Data & method"),
    "field_page": ("现场核查", "Field check"),
    "review_page": ("审核", "Review"),
    "import_page": ("导入项目表", "Import a register"),
    "language": ("语言 / Language", "语言 / Language"),
    "basemap": ("底图", "Basemap"),
    "tianditu_needs_key": ("天地图需要配置密钥(TIANDITU_KEY),已改用无底图。",
                           "Tianditu needs a key (TIANDITU_KEY); showing no basemap instead."),
    "filters": ("筛选", "Filters"),
    "search": ("搜索(名称、别名、拼音)", "Search (names, aliases, pinyin)"),
    "layer": ("图层", "Layer"),
    "ref_layers": ("参考图层", "Reference layers"),
    "reference_layers": ("参考图层", "Reference layers"),
    "category": ("类别", "Category"),
    "status": ("状态", "Status"),
    "action": ("2025年行动", "2025 action"),
    "subdistrict": ("街道/镇", "Sub-district"),
    "report_section": ("报告章节", "Report section"),
    "precision": ("定位精度", "Position precision"),
    "reset": ("清除筛选", "Clear filters"),
    "projects": ("项目", "Projects"),
    "shown": ("显示", "shown"),
    "count_line": ("共 {n} 个项目符合筛选:地图上 {located} 个,未定位 {unlocated} 个",
                   "{n} projects match: {located} on the map, {unlocated} unlocated"),
    "empty": ("没有项目符合当前筛选条件。", "No project matches the current filters."),
    "unlocated": ("未定位项目", "Unlocated projects"),
    "unlocated_help": ("这些项目没有可靠的位置来源,只列出,不在地图上绘制。",
                       "These projects have no supported position: listed here, never drawn."),
    "unknown": ("未知", "unknown"),
    "legend": ("图例", "Legend"),
    "table": ("项目列表", "Project table"),
    "table_help": ("选择一行以在地图上定位该项目。", "Select a row to focus the map on it."),
    "summary": ("统计", "Summary"),
    "by_layer": ("按图层", "By layer"),
    "by_status": ("按状态", "By status"),
    "share": ("分享当前视图", "Share this view"),
    "share_help": ("浏览器地址栏中的链接即可重现当前视图。", "The address in your browser's bar reproduces this view."),
    "url_notice": ("链接中的部分参数无效,已忽略:", "Some link parameters were invalid and ignored:"),
    "card": ("项目卡片", "Project card"),
    "fullscreen": ("全屏", "Full screen"),
    "exit_fullscreen": ("退出全屏", "Exit full screen"),
    "download": ("下载当前筛选结果", "Download the current selection"),
    "export_crs": ("坐标系", "Coordinates"),
    "export_wgs84": ("WGS-84(标准,默认)", "WGS-84 (standard, default)"),
    "export_gcj02": ("GCJ-02(用于高德等平台,文件名含 -gcj02)", "GCJ-02 (for AMap-based tools; file name says -gcj02)"),
    "data_version": ("数据版本", "Data version"),
    "focus": ("地图已定位到:", "Map focused on:"),
}

FIELD_LABELS: dict[str, tuple[str, str]] = {
    "id": ("编号", "ID"),
    "name": ("名称", "Name"),
    "name_zh": ("中文名称", "Name (zh)"),
    "name_en": ("英文名称", "Name (en)"),
    "name_other": ("其他语言名称", "Other name"),
    "layer": ("图层", "Layer"),
    "category": ("类别", "Category"),
    "status": ("状态", "Status"),
    "action": ("2025年行动", "2025 action"),
    "target_year": ("目标年份", "Target year"),
    "subdistrict": ("街道/镇", "Sub-district"),
    "address": ("地址", "Address"),
    "precision": ("定位精度", "Precision"),
    "pos_confidence": ("位置可信度", "Position confidence"),
    "pos_method": ("定位方法", "Position method"),
    "pos_source": ("位置来源", "Position source"),
    "position_note": ("定位说明", "Position note"),
    "report_ref": ("报告出处", "Report reference"),
    "description": ("说明", "Description"),
    "line": ("线路", "Line"),
    "source": ("来源", "Source"),
    "method": ("方法", "Method"),
    "confidence": ("可信度", "Confidence"),
    "note": ("备注", "Note"),
}


def t(key: str, lang: str) -> str:
    """The UI string `key` in 'zh' or 'en' (the key itself when unknown)."""
    zh, en = STRINGS.get(key, (key, key))
    return en if lang == "en" else zh


def field_label(name: str, lang: str) -> str:
    """Display label of a data field."""
    zh, en = FIELD_LABELS.get(name, (name, name))
    return en if lang == "en" else zh
