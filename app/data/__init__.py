"""What the atlas shows, loaded and checked: the register, its vocabularies, the layer specs, and
how the register covers the work report (``coverage``).

May import :mod:`app.errors`, :mod:`app.domain` and :mod:`app.geo`. Reads ``geodata/`` and
``layers/``; writes nothing.
"""
