"""Files in and out: exports, imports, and the one atomic writer.

Writing: :mod:`~app.io.export` (what to export, names, ``export_bytes``) over
:mod:`~app.io.prepare` and one writer per format (:mod:`~app.io.geojson`, :mod:`~app.io.gpkg`,
:mod:`~app.io.kml`, :mod:`~app.io.csvfile`, the app's one CSV writer); :mod:`~app.io.naming`
for output names and :mod:`~app.io.atomic` for every file written to disk.

Reading: :mod:`~app.io.importer` (placing rows, the result) over :mod:`~app.io.readers`
(CSV, Excel, GeoJSON, GeoPackage), :mod:`~app.io.charset` (text encodings),
:mod:`~app.io.limits` (bounds on hostile input), :mod:`~app.io.sandbox` (every parse of an
untrusted file in a worker process, under time, CPU and memory limits),
:mod:`~app.io.gpkg_check` (GeoPackage views and triggers refused before opening),
:mod:`~app.io.mapping` (columns to fields),
:mod:`~app.io.report` (the per-row report) and :mod:`~app.io.crs_guess` (GCJ-02 taken for
WGS-84); :mod:`~app.io.boundary_file` (one project's boundary from an uploaded GeoJSON,
GeoPackage, KML or zipped Shapefile).

May import everything up to :mod:`app.data`. Never imports streamlit or a store backend.
"""
