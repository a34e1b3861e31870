"""Loaded as a pytest plugin (-p) before pytest-django reads the settings: tests run with DEBUG
off, as production does, and a key that exists only for tests."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
