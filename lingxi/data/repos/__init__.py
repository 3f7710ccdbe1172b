"""Repositories: keyword-only query and command functions per context; the only place for SQL."""
