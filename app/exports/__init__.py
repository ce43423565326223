"""Data in and out: list exports, imports, full dumps and backups (issue 6)."""
