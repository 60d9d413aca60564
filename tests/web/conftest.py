from tests.people.conftest import lead_user, tree  # noqa: F401  (the seeded team tree and its lead)
