"""Implementation of the Cursor simulator; import it from `integrations.cursor.simulator`."""
