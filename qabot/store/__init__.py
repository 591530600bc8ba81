"""The persisted index: cache files, per-file parts, and lazy tables over saved arrays."""
