"""The central server's tables (one module per feature), engine and migrations.

Importing the package registers every table module on `Base.metadata`: foreign keys name
tables of other modules ("service_points.id"), and SQLAlchemy resolves them through the
metadata at flush time, so all of them must be loaded whichever one a caller imports.
"""
from sync.server.db import admin, directory, kiosks, parcels  # noqa: F401
