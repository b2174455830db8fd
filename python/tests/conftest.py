# The plugin, as a user's conftest.py loads it (python/ is on sys.path
# through pyproject.toml's pythonpath).
pytest_plugins = ["mockftpd.pytest_plugin"]
