"""Alembic migrations of the library database, run by `library.migrate` at start-up."""
