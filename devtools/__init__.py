"""Development-only management commands (`demo`, `cursor_simulator`).

Installed only when DEBUG is on or KOALR_DEV_COMMANDS=1 (see koalr/settings.py), so production
never loads them. The `demo` command is the one product module allowed to import `simulators`.
"""
