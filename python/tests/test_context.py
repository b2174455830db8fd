"""MockFTPD without pytest's fixtures: the context manager and errors."""

import ftplib
import io
import os

import pytest

import mockftpd
from mockftpd import MockFTPD, MockFTPDError


def test_context_manager():
    with MockFTPD(builtin="codes/452-stor") as srv:
        assert srv.running
        ftp = srv.ftp()  # a logged-in ftplib.FTP
        with pytest.raises(ftplib.error_temp, match="^452 "):
            ftp.storbinary("STOR /a", io.BytesIO(b"a"))
        ftp.quit()
        assert srv.get_scenario()["name"] == "452-stor"
        proc_log = srv.log()
    assert not srv.running
    assert '"msg":"mockftpd listening"' in proc_log
    with pytest.raises(MockFTPDError, match="not started"):
        srv.journal()


def test_start_and_stop_by_hand():
    srv = MockFTPD(scenario="version: 1\nrules:\n  - when: {command: NOOP}\n    reply: 299 scripted\n").start()
    try:
        ftp = srv.ftp("alice", "any")
        assert ftp.sendcmd("NOOP") == "299 scripted"
        ftp.quit()
    finally:
        srv.stop()
    srv.stop()  # twice is fine


def test_a_server_that_cannot_start_says_why():
    with pytest.raises(MockFTPDError, match=r'(?s)exited with 2; its log:.*unknown TLS mode "bogus"'):
        MockFTPD(args=["-tls", "bogus"]).start()


def test_scenario_and_builtin_exclude_each_other():
    with pytest.raises(ValueError):
        MockFTPD(scenario={}, builtin="busy-file")


def test_find_binary(monkeypatch, tmp_path):
    assert os.access(mockftpd.find_binary(), os.X_OK)
    monkeypatch.setenv("MOCKFTPD_BIN", str(tmp_path / "missing"))
    with pytest.raises(MockFTPDError, match="MOCKFTPD_BIN .* is not an executable file"):
        mockftpd.find_binary()


def test_attach():
    with MockFTPD() as running:
        other = MockFTPD.attach(running.admin_url, running.token)
        assert (other.host, other.port) == (running.host, running.port)
        other.rule({"when": {"command": "NOOP"}, "reply": "299 through attach"})
        ftp = running.ftp()
        assert ftp.sendcmd("NOOP") == "299 through attach"
        ftp.quit()
        assert [e["command"] for e in other.journal(command="NOOP")] == ["NOOP"]
        other.stop()
        assert running.running  # attach never stops the server
        with pytest.raises(MockFTPDError, match="401"):
            MockFTPD.attach(running.admin_url, "wrong-token").journal()
