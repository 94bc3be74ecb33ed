"""Reference pages generated from the code, so they cannot drift from it."""
