"""Public pages: reached without an account, through a secret link (screens layer)."""
