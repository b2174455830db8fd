"""Per-test isolation, the failure report and loading with -p, run in an
inner pytest session (pytester)."""

INNER = '''
import ftplib
import io

import pytest

ports = []


def connect(srv):
    ftp = ftplib.FTP()
    ftp.connect(srv.host, srv.port, timeout=10)
    ftp.login("demo", "demo")
    return ftp


def test_one_changes_everything(mockftpd):
    ports.append(mockftpd.port)
    mockftpd.rule({"when": {"command": "MKD"}, "reply": "550 No folders"})
    mockftpd.set_state("down")
    mockftpd.files.put("/left-over.txt", "x")
    connect(mockftpd).quit()


def test_two_starts_clean(mockftpd):
    ports.append(mockftpd.port)
    assert mockftpd.journal() == []
    assert not mockftpd.files.exists("/left-over.txt")
    assert mockftpd.get_state() == ""
    ftp = connect(mockftpd)
    ftp.mkd("/d")
    ftp.quit()


@pytest.mark.mockftpd(builtin="codes/452-stor")
def test_three_marker_scenario(mockftpd):
    ports.append(mockftpd.port)
    ftp = connect(mockftpd)
    with pytest.raises(ftplib.error_temp, match="^452"):
        ftp.storbinary("STOR /a", io.BytesIO(b"a"))
    ftp.quit()


@pytest.mark.mockftpd(users={"alice": "pw"})
def test_four_users_get_their_own_server(mockftpd):
    ports.append(mockftpd.port)
    assert mockftpd.journal() == []


def test_five_after_a_marker_scenario(mockftpd):
    ports.append(mockftpd.port)
    ftp = connect(mockftpd)
    ftp.storbinary("STOR /a", io.BytesIO(b"a"))  # codes/452-stor is gone
    ftp.quit()


def test_ports(pytestconfig):
    if pytestconfig.getoption("mockftpd_scope") == "session":
        assert ports[0] == ports[1] == ports[2] == ports[4] != ports[3], ports
'''


def test_function_scope_isolates_tests(pytester):
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest("-p", "mockftpd.pytest_plugin")
    result.assert_outcomes(passed=6)


def test_session_scope_clears_between_tests(pytester):
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest("-p", "mockftpd.pytest_plugin", "--mockftpd-scope", "session")
    result.assert_outcomes(passed=6)


def test_session_scope_from_the_ini_file(pytester):
    pytester.makeini("[pytest]\nmockftpd_scope = session\n")
    pytester.makeconftest('pytest_plugins = ["mockftpd.pytest_plugin"]\n')
    pytester.makepyfile(test_inner=INNER.replace(
        'pytestconfig.getoption("mockftpd_scope") == "session"', 'pytestconfig.getini("mockftpd_scope") == "session"'))
    result = pytester.runpytest()
    result.assert_outcomes(passed=6)


def test_a_failure_shows_the_journal_and_the_log(pytester):
    pytester.makepyfile(test_failing='''
import ftplib
import io


def test_upload(mockftpd):
    mockftpd.rule({"name": "disk full", "when": {"command": "STOR"}, "reply": "452 Insufficient storage space"})
    ftp = ftplib.FTP()
    ftp.connect(mockftpd.host, mockftpd.port, timeout=10)
    ftp.login("demo", "demo")
    ftp.storbinary("STOR /a.csv", io.BytesIO(b"a"))


def test_verify(mockftpd):
    mockftpd.scenario({"expect": [{"name": "deletes the file", "command": "DELE", "times": 1}]})
    mockftpd.verify()
''')
    result = pytester.runpytest("-p", "mockftpd.pytest_plugin")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines([
        "*mockftpd ftp://127.0.0.1:* journal (last 50)*",
        "#1 s1 <connect> * -> 220 *",
        "#* s1 STOR /a.csv -> 452 Insufficient storage space   [[]rule: disk full[]]*",
        "*mockftpd ftp://127.0.0.1:* log (last 20 lines)*",
        '*"msg":"mockftpd listening"*',
    ])
    result.stdout.fnmatch_lines(["*VerifyError*", "*deletes the file*"])


def test_bad_marker_is_a_usage_error(pytester):
    pytester.makepyfile(test_bad='''
import pytest

@pytest.mark.mockftpd("busy-file")
def test_x(mockftpd):
    pass
''')
    result = pytester.runpytest("-p", "mockftpd.pytest_plugin")
    result.stdout.fnmatch_lines(["*keyword arguments only*"])


def test_attach_to_a_running_server(pytester, monkeypatch):
    from mockftpd import MockFTPD

    with MockFTPD() as running:
        monkeypatch.setenv("MOCKFTPD_ADMIN_URL", running.admin_url)
        monkeypatch.setenv("MOCKFTPD_ADMIN_TOKEN", running.token)
        pytester.makepyfile(test_inner=INNER)
        result = pytester.runpytest("-p", "mockftpd.pytest_plugin")
        result.assert_outcomes(passed=5, skipped=1)
        result.stdout.no_fnmatch_line("*Error*")
        # Every test used the running server, and left it clear.
        assert running.running
        assert running.get_scenario()["name"] == "mockftpd"
        assert running.journal() == []
