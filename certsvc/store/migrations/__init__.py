"""Alembic migrations, shipped inside the package so `certsvc db upgrade` works when installed."""
