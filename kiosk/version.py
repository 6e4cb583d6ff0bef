"""The software version, printed on every receipt (the law asks for it) and shown in À propos.
Written here once: pyproject.toml reads it (tool.setuptools.dynamic), and reading it costs nothing
at start (importlib.metadata took a tenth of the register's opening time)."""
VERSION = "0.1.0"
