"""Alembic revisions of the back-office database (driven by backoffice.migrate)."""
