"""The one place Sweedle's version is written (pyproject reads it from here too)."""

VERSION = "0.1.0"
