"""Registry entries (split into one module per area as the registry grows)."""
