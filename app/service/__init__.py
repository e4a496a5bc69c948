"""What users are shown: the data of :mod:`app.data` and the changes in :mod:`app.store`, combined.

* :mod:`app.service.atlas` -- :func:`~app.service.atlas.shown_atlas`, the one function that
  builds the atlas the app shows and every CLI command reads (the built-in register or a saved
  one, accepted field corrections applied).
* :mod:`app.service.atlas_cache` -- :data:`~app.service.atlas_cache.ATLASES`, the process's one
  cache of shown atlases (keyed on curated data, store revision, register and day), with the
  living fold kept up to date revision by revision; the pages and the OGC API read through it.
* :mod:`app.service.history` -- the living register's change log out: one row per change
  (:func:`~app.service.history.history_frame`) as CSV or GeoJSON, for the change-log page and
  ``python -m app history``.
* :mod:`app.service.supervision` -- each project's progress against its report action on a day
  (the ``progress`` and ``days_since_update`` every shown atlas carries), and the rows of a
  supervision report.
* :mod:`app.service.compare` -- what changed between two days, one row per change, for
  ``python -m app diff`` and the map page's ``compare=``.

* :mod:`app.service.living` -- seeding the store's register; planners' edits, added and
  removed projects, under the review rule (the planner page and the OGC API).

May import everything up to :mod:`app.io` and :mod:`app.store`. Never imports streamlit.
"""

from app.service.atlas import BUILT_IN, ShownAtlas, register_atlas, shown_atlas

__all__ = ["BUILT_IN", "ShownAtlas", "register_atlas", "shown_atlas"]
