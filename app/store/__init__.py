"""The working store: submissions, reviews, the audit trail and saved registers.

:mod:`app.store.sqlite` is the embedded default, :mod:`app.store.postgis` the shared one.
May import :mod:`app.errors`, :mod:`app.domain` and :mod:`app.geo`.
"""
