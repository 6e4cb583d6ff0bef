"""The software version, printed on every receipt (the law asks for it) and shown in À propos."""
from importlib.metadata import PackageNotFoundError, version

try:
    VERSION = version("comptoir")
except PackageNotFoundError:  # running from a source tree that was never installed
    VERSION = "dev"
