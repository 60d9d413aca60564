"""The People and Teams pages (owners and admins): the directory, team management by hand,
merging duplicates and the CSV import with its preview."""
