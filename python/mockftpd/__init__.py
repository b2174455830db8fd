"""mockftpd for Python: run the real mockftpd (a scriptable mock FTP
server) from tests, and script it through its admin API.

Standard library only. For pytest, load the plugin with
``pytest -p mockftpd.pytest_plugin`` or ``pytest_plugins =
["mockftpd.pytest_plugin"]`` and use the ``mockftpd`` fixture; elsewhere,
``with MockFTPD(...) as srv:``.
"""

from .server import Files, MockFTPD, MockFTPDError, VerifyError, find_binary

__all__ = ["Files", "MockFTPD", "MockFTPDError", "VerifyError", "find_binary"]
__version__ = "0.1.0"
