"""The test suite (a regular package: an installed distribution that ships a top-level
``tests`` package, as pygeoapi's wheel does, must not shadow it)."""
