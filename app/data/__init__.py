"""What the atlas shows, loaded and checked: the register, its vocabularies and the layer specs.

May import :mod:`app.errors`, :mod:`app.domain` and :mod:`app.geo`. Reads ``geodata/`` and
``layers/``; writes nothing.
"""
