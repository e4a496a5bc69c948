"""One module a page, each with a ``render()`` that :mod:`app.ui.frame` hands to ``st.Page``."""
