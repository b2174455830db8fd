"""The mockftpd fixture against the real binary, with ftplib sessions."""

import ftplib
import io
import socket
import ssl

import pytest

from mockftpd import MockFTPDError, VerifyError


def connect(srv, user="demo", password="demo"):
    ftp = ftplib.FTP()
    ftp.connect(srv.host, srv.port, timeout=10)
    ftp.login(user, password)
    return ftp


def download(ftp, path):
    out = io.BytesIO()
    ftp.retrbinary("RETR " + path, out.write)
    return out.getvalue()


def test_free_loopback_ports_and_a_clean_journal(mockftpd):
    assert mockftpd.host == "127.0.0.1"
    assert mockftpd.port > 0
    assert mockftpd.url == "ftp://127.0.0.1:%d/" % mockftpd.port
    assert mockftpd.admin_url.startswith("http://127.0.0.1:")
    # Readiness came from the admin API: no FTP session was opened.
    assert mockftpd.journal() == []
    with socket.create_connection((mockftpd.host, mockftpd.port), timeout=10) as s:
        assert s.recv(100).startswith(b"220 ")


def test_452_on_stor_from_a_rule(mockftpd):
    added = mockftpd.rule({"name": "disk full", "when": {"command": "STOR"}, "reply": "452 Insufficient storage space"})
    assert added["rules"] == 1
    ftp = connect(mockftpd)
    with pytest.raises(ftplib.error_temp, match=r"^452 Insufficient storage space"):
        ftp.storbinary("STOR /report.csv", io.BytesIO(b"a,b\n"))
    ftp.voidcmd("NOOP")  # the session goes on
    ftp.quit()
    assert not mockftpd.files.exists("/report.csv")
    (entry,) = mockftpd.journal(command="STOR")
    assert entry["codes"] == [452]
    assert entry["rule"] == "disk full"
    assert entry["arg"] == "/report.csv"


def test_530_on_login_from_yaml_rule_text(mockftpd):
    mockftpd.rule("when: {command: PASS, user: bob}\nreply: 530 Not logged in\nthen: close\n")
    ftp = ftplib.FTP()
    ftp.connect(mockftpd.host, mockftpd.port, timeout=10)
    with pytest.raises(ftplib.error_perm, match=r"^530 Not logged in"):
        ftp.login("bob", "secret")
    with pytest.raises((EOFError, OSError)):  # the server hung up
        ftp.voidcmd("NOOP")
    ftp.close()
    connect(mockftpd, "alice", "secret").quit()  # others log in


def test_421_and_close(mockftpd):
    mockftpd.rule({"when": {"command": "PWD"}, "reply": "421 Service not available, closing control connection",
                   "then": "close"})
    ftp = connect(mockftpd)
    with pytest.raises(ftplib.error_temp, match=r"^421 "):
        ftp.pwd()
    with pytest.raises((EOFError, OSError)):
        ftp.voidcmd("NOOP")
    ftp.close()
    assert [e["codes"] for e in mockftpd.journal(command="PWD")] == [[421]]


def test_data_fault_cuts_a_download(mockftpd):
    mockftpd.files.put("/pub/big.bin", bytes(range(256)) * 4096)  # 1 MiB
    mockftpd.rule({"when": {"command": "RETR"}, "times": 1,
                   "data": {"after": "64KiB", "end": "reset", "reply": "426 Connection closed; transfer aborted."}})
    ftp = connect(mockftpd)
    got = io.BytesIO()
    with pytest.raises((ftplib.error_temp, OSError)):
        ftp.retrbinary("RETR /pub/big.bin", got.write)
    assert len(got.getvalue()) <= 64 * 1024
    ftp.close()
    ftp = connect(mockftpd)
    assert download(ftp, "/pub/big.bin") == bytes(range(256)) * 4096  # times: 1
    ftp.quit()
    (cut, whole) = mockftpd.journal(command="RETR")
    assert cut["codes"][-1] == 426 and cut["transfer"]["end"] == "reset"
    assert whole["codes"][-1] == 226 and whole["transfer"]["bytes_out"] == 1 << 20


def test_files_put_get_list(mockftpd):
    mockftpd.files.put("/pub/readme.txt", "hello\n")
    mockftpd.files.put("/pub/data.bin", io.BytesIO(b"\x00\xff"))
    mockftpd.files.put("/incoming/.keep", b"")  # its folder is made
    ftp = connect(mockftpd)
    assert download(ftp, "/pub/readme.txt") == b"hello\n"
    ftp.storbinary("STOR /incoming/report.csv", io.BytesIO(b"a,b\n"))
    ftp.quit()
    assert mockftpd.files.get("/incoming/report.csv") == b"a,b\n"
    assert mockftpd.files.get_text("/pub/readme.txt") == "hello\n"
    assert sorted(e["name"] for e in mockftpd.files.list("/pub")) == ["data.bin", "readme.txt"]
    assert [e["name"] for e in mockftpd.files.list("/") if e["dir"]] == ["incoming", "pub"]
    assert mockftpd.files.exists("/incoming/report.csv")
    assert not mockftpd.files.exists("/nowhere/x")
    with pytest.raises(FileNotFoundError):
        mockftpd.files.get("/nope.txt")
    with pytest.raises(IsADirectoryError):
        mockftpd.files.get("/pub")


def test_scenario_dict_expectations_and_verify(mockftpd):
    mockftpd.scenario({
        "name": "uploads twice",
        "files": [{"path": "/pub/seed.txt", "content": "seeded\n"}],
        "rules": [{"name": "second upload fails", "when": {"command": "STOR", "nth": 2}, "reply": "452 Disk full"}],
        "expect": [{"name": "uploads twice", "command": "STOR", "times": 2}],
    })
    assert mockftpd.files.get("/pub/seed.txt") == b"seeded\n"  # seeded at once (reset)
    ftp = connect(mockftpd)
    ftp.storbinary("STOR /a.csv", io.BytesIO(b"1"))
    with pytest.raises(VerifyError, match="uploads twice") as failed:
        mockftpd.verify()
    assert isinstance(failed.value, AssertionError)  # pytest reports it as a failure
    assert failed.value.report["ok"] is False
    with pytest.raises(ftplib.error_temp, match="^452 Disk full"):
        ftp.storbinary("STOR /b.csv", io.BytesIO(b"2"))
    ftp.quit()
    report = mockftpd.verify()
    assert report["ok"] is True
    assert mockftpd.get_scenario()["name"] == "uploads twice"


def test_scenario_yaml_text_and_state(mockftpd):
    mockftpd.scenario("""
version: 1
name: outage
rules:
  - when: {command: '*', state: down}
    reply: 421 Down for maintenance
    then: close
""")
    ftp = connect(mockftpd)
    ftp.voidcmd("NOOP")
    assert mockftpd.get_state() == ""
    mockftpd.set_state("down")
    with pytest.raises(ftplib.error_temp, match="^421 Down for maintenance"):
        ftp.voidcmd("NOOP")
    ftp.close()


def test_builtin_scenario(mockftpd):
    mockftpd.builtin("busy-file")
    ftp = connect(mockftpd)
    for _ in range(2):
        with pytest.raises(ftplib.error_temp, match="^450 File busy"):
            download(ftp, "/data/export.csv")
    assert download(ftp, "/data/export.csv").startswith(b"id,name\n")
    ftp.quit()
    with pytest.raises(MockFTPDError, match=r'did you mean "busy-file"'):
        mockftpd.builtin("busy-fil")


def test_reset_keeps_the_scenario(mockftpd):
    mockftpd.scenario({"files": [{"path": "/f.txt", "content": "v1"}],
                       "rules": [{"when": {"command": "MKD"}, "reply": "550 No"}]})
    ftp = connect(mockftpd)
    ftp.storbinary("STOR /f.txt", io.BytesIO(b"changed"))
    ftp.quit()
    assert mockftpd.files.get("/f.txt") == b"changed"
    mockftpd.reset()
    assert mockftpd.journal() == []
    assert mockftpd.files.get("/f.txt") == b"v1"
    ftp = connect(mockftpd)
    with pytest.raises(ftplib.error_perm, match="^550 No"):
        ftp.mkd("/d")
    ftp.quit()
    mockftpd.clear_rules()
    ftp = connect(mockftpd)
    ftp.mkd("/d")
    ftp.quit()


def test_bad_rule_gets_a_located_error(mockftpd):
    with pytest.raises(MockFTPDError) as err:
        mockftpd.rule("whne: {command: STOR}\nreply: 452 x\n")
    assert err.value.status == 400
    assert "<rule>:1:1" in str(err.value) and "whne" in str(err.value)


def test_wait_command(mockftpd):
    ftp = connect(mockftpd)
    ftp.storbinary("STOR /x.bin", io.BytesIO(b"x" * 1000))
    entry = mockftpd.wait_command("STOR", "/x.bin", timeout=5)
    assert entry["transfer"]["bytes_in"] == 1000
    ftp.quit()
    with pytest.raises(TimeoutError):
        mockftpd.wait_command("DELE", timeout=0.2)


@pytest.mark.mockftpd(args=["-tls", "explicit"])  # plain FTP by default
def test_explicit_tls(mockftpd):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the server's certificate is self-signed
    ftp = ftplib.FTP_TLS(context=ctx)
    ftp.connect(mockftpd.host, mockftpd.port, timeout=10)
    ftp.login("demo", "demo")
    ftp.prot_p()
    ftp.storbinary("STOR /secret.txt", io.BytesIO(b"over TLS"))
    assert download(ftp, "/secret.txt") == b"over TLS"
    ftp.quit()
    assert mockftpd.journal(command="STOR")[0]["transfer"]["tls"] is True


@pytest.mark.mockftpd(builtin="codes/452-stor")
def test_marker_builtin(mockftpd):
    ftp = connect(mockftpd)
    with pytest.raises(ftplib.error_temp, match="^452 "):
        ftp.storbinary("STOR /a", io.BytesIO(b"a"))
    ftp.storbinary("STOR /a", io.BytesIO(b"a"))  # times: 1
    ftp.quit()


@pytest.mark.mockftpd(users={"alice": "secret"}, scenario={"rules": [{"when": {"command": "SYST"}, "reply": "215 MOCK"}]})
def test_marker_users_and_scenario(mockftpd):
    ftp = ftplib.FTP()
    ftp.connect(mockftpd.host, mockftpd.port, timeout=10)
    with pytest.raises(ftplib.error_perm, match="^530"):
        ftp.login("anonymous", "x@")
    ftp.close()
    ftp = connect(mockftpd, "alice", "secret")
    assert ftp.sendcmd("SYST") == "215 MOCK"
    ftp.quit()


def test_factory_gives_independent_servers(mockftpd, mockftpd_factory):
    other = mockftpd_factory(builtin="codes/452-stor")
    assert other.port != mockftpd.port
    a, b = connect(mockftpd), connect(other)
    a.storbinary("STOR /a", io.BytesIO(b"a"))
    with pytest.raises(ftplib.error_temp, match="^452"):
        b.storbinary("STOR /a", io.BytesIO(b"a"))
    a.quit()
    b.quit()
    assert mockftpd.files.exists("/a") and not other.files.exists("/a")
