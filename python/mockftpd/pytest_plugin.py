"""pytest plugin: a real mockftpd server for each test.

Load it with ``pytest -p mockftpd.pytest_plugin`` or, in a conftest.py,
``pytest_plugins = ["mockftpd.pytest_plugin"]`` (installing the package
loads it by itself). Fixtures:

- ``mockftpd``: a started ``mockftpd.MockFTPD`` (host, port, url, rule(),
  scenario(), builtin(), files, journal(), verify(), reset()...). By
  default every test gets a server of its own; with ``--mockftpd-scope
  session`` (or ``mockftpd_scope = session`` in the ini file) the tests
  share one, cleared before each test (scenario, rules, state, journal and
  files back to the start).
- ``mockftpd_factory``: starts more servers, ``mockftpd_factory(**options)``.
- ``mockftpd_binary``: the path of the binary used.

With ``--mockftpd-admin-url URL`` (or ``$MOCKFTPD_ADMIN_URL``) no process
is started: the tests share the mockftpd already running there (a Docker
container, say), cleared before each test, with the token from
``$MOCKFTPD_ADMIN_TOKEN``; ``$MOCKFTPD_FTP_ADDR`` (``host:port``) says
where clients reach its FTP port when that is not the admin URL's host and
the port the server listens on. Tests that need a server of their own are
skipped then.

A test's options come from ``@pytest.mark.mockftpd(...)``: ``scenario=``
(dict or YAML text), ``builtin=`` (a built-in scenario's name), ``users=``,
``args=``, ``env=``. A test with users, args or env always gets a server of
its own. When a test fails, its report shows each server's journal and
the end of its log.
"""

import os

import pytest

from .server import MockFTPD, find_binary

_SCOPES = ("function", "session")
_SHAREABLE = ("scenario", "builtin")
_servers_key = pytest.StashKey()


def pytest_addoption(parser):
    group = parser.getgroup("mockftpd", "mockftpd (mock FTP server)")
    group.addoption(
        "--mockftpd-bin", dest="mockftpd_bin", default=None,
        help="mockftpd binary (default: $MOCKFTPD_BIN, then mockftpd on the PATH, then built from the checkout)",
    )
    group.addoption(
        "--mockftpd-scope", dest="mockftpd_scope", default=None, choices=_SCOPES,
        help="function: a server per test (the default); session: one server, cleared before each test",
    )
    group.addoption(
        "--mockftpd-admin-url", dest="mockftpd_admin_url", default=None,
        help="drive the mockftpd already running with its admin API at this URL (default: $MOCKFTPD_ADMIN_URL) "
             "instead of starting one; its token comes from $MOCKFTPD_ADMIN_TOKEN",
    )
    parser.addini("mockftpd_scope", "function or session (see --mockftpd-scope)", default="function")
    parser.addini("mockftpd_bin", "mockftpd binary (see --mockftpd-bin)", default="")


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "mockftpd(scenario=None, builtin=None, users=None, args=(), env=None): options of the test's "
        "mockftpd server; users, args or env give the test a server of its own",
    )


def _attach_url(config):
    return config.getoption("mockftpd_admin_url") or os.environ.get("MOCKFTPD_ADMIN_URL") or None


def _scope(config):
    if _attach_url(config):
        return "session"
    scope = config.getoption("mockftpd_scope") or config.getini("mockftpd_scope") or "function"
    if scope not in _SCOPES:
        raise pytest.UsageError("mockftpd_scope = %r: want function or session" % scope)
    return scope


def _track(request, server):
    request.node.stash.setdefault(_servers_key, []).append(server)


@pytest.fixture(scope="session")
def mockftpd_binary(pytestconfig):
    """The mockftpd binary the fixtures run (found or built once)."""
    return find_binary(pytestconfig.getoption("mockftpd_bin") or pytestconfig.getini("mockftpd_bin") or None)


@pytest.fixture(scope="session")
def _mockftpd_shared(request):
    url = _attach_url(request.config)
    if url:
        host, _, port = os.environ.get("MOCKFTPD_FTP_ADDR", "").rpartition(":")
        server = MockFTPD.attach(url, os.environ.get("MOCKFTPD_ADMIN_TOKEN"), host or None, port or None)
        yield server
        server.clear()
        return
    with MockFTPD(binary=request.getfixturevalue("mockftpd_binary")) as server:
        yield server


@pytest.fixture
def mockftpd(request):
    """A running mockftpd for this test (see the module's doc)."""
    marker = request.node.get_closest_marker("mockftpd")
    options = dict(marker.kwargs) if marker else {}
    if marker and marker.args:
        raise pytest.UsageError("@pytest.mark.mockftpd takes keyword arguments only")
    own = any(k not in _SHAREABLE for k in options)
    if own and _attach_url(request.config):
        pytest.skip("needs a mockftpd of its own (%s), not the one at %s" % (
            ", ".join(sorted(k for k in options if k not in _SHAREABLE)), _attach_url(request.config)))
    if _scope(request.config) == "session" and not own:
        server = request.getfixturevalue("_mockftpd_shared")
        server.clear()
        if options.get("builtin") is not None:
            server.builtin(options["builtin"])
        elif options.get("scenario") is not None:
            server.scenario(options["scenario"])
        _track(request, server)
        yield server
        return
    with MockFTPD(binary=request.getfixturevalue("mockftpd_binary"), **options) as server:
        _track(request, server)
        yield server


@pytest.fixture
def mockftpd_factory(request, mockftpd_binary):
    """Starts more servers: ``mockftpd_factory(**options)`` takes the
    options of MockFTPD and returns it started; all stop after the test."""
    started = []

    def start(**options):
        options.setdefault("binary", mockftpd_binary)
        server = MockFTPD(**options).start()
        started.append(server)
        _track(request, server)
        return server

    yield start
    for server in started:
        server.stop()


def _describe(entry):
    line = "#%s s%s %s%s -> %s" % (
        entry.get("seq"), entry.get("session"), entry.get("command"),
        " " + entry["arg"] if entry.get("arg") else "",
        " | ".join(entry.get("replies") or []) or "(no reply)",
    )
    if entry.get("rule"):
        line += "   [rule: %s]" % entry["rule"]
    transfer = entry.get("transfer")
    if transfer:
        line += "   [%s in=%s out=%s %s]" % (transfer.get("mode"), transfer.get("bytes_in"),
                                            transfer.get("bytes_out"), transfer.get("end"))
    return line


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    for server in item.stash.get(_servers_key, []):
        if not server.running:
            report.sections.append(("mockftpd %s" % server, "(not running)\n" + server.log(20)))
            continue
        try:
            entries = server.journal(limit=50)
            journal = "\n".join(_describe(e) for e in entries) or "(empty)"
        except Exception as err:  # the report must not fail
            journal = "(journal unavailable: %s)" % err
        report.sections.append(("mockftpd %s journal (last 50)" % server.url, journal))
        report.sections.append(("mockftpd %s log (last 20 lines)" % server.url, server.log(20)))
