"""Start the real mockftpd binary and drive it through its admin API.

Standard library only. ``MockFTPD`` starts ``mockftpd`` on free loopback
ports (FTP and the admin API, with a random admin token), waits until the
admin API's ``/api/ready`` answers (the FTP port is never touched, so
session numbers and the journal start clean) and stops it again::

    with MockFTPD(builtin="codes/452-stor") as srv:
        ftp = ftplib.FTP()
        ftp.connect(srv.host, srv.port)
        ...
        assert srv.journal(command="STOR")[0]["codes"][-1] == 452
"""

import atexit
import collections
import ftplib
import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

__all__ = [
    "MockFTPD",
    "MockFTPDError",
    "VerifyError",
    "Files",
    "find_binary",
]

HOST = "127.0.0.1"
MODULE = "github.com/mockftpd/mockftpd"


class MockFTPDError(Exception):
    """mockftpd could not be found, built, started, or refused a request.

    For a refused request, ``status`` is the HTTP status and ``body`` the
    admin API's answer (a dict when it was JSON).
    """

    def __init__(self, message, status=None, body=None):
        super().__init__(message)
        self.status = status
        self.body = body


class VerifyError(AssertionError):
    """The scenario's expectations are not met: ``str()`` is the report,
    ``report`` the admin API's answer (a dict)."""

    def __init__(self, report):
        super().__init__(report.get("text") or report.get("error") or json.dumps(report, indent=2))
        self.report = report


# ---------------------------------------------------------------- binary

_build_lock = threading.Lock()
_built = None


def _checkout():
    """The repository this package sits in (python/mockftpd/ -> ../..), or None."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    try:
        with open(os.path.join(root, "go.mod"), encoding="utf-8") as f:
            if f.readline().split() == ["module", MODULE]:
                return root
    except OSError:
        pass
    return None


def find_binary(binary=None):
    """Returns the path of the mockftpd binary to run: ``binary`` when
    given, else ``$MOCKFTPD_BIN``, else ``mockftpd`` on the PATH, else one
    built once per process with ``go build`` from the checkout this package
    belongs to."""
    global _built
    for candidate, origin in ((binary, "binary="), (os.environ.get("MOCKFTPD_BIN"), "MOCKFTPD_BIN")):
        if candidate:
            path = shutil.which(candidate) or candidate
            if not (os.path.isfile(path) and os.access(path, os.X_OK)):
                raise MockFTPDError("%s %r is not an executable file" % (origin, candidate))
            return os.path.abspath(path)
    on_path = shutil.which("mockftpd")
    if on_path:
        return on_path
    root = _checkout()
    go = shutil.which("go")
    if root is None or go is None:
        raise MockFTPDError(
            "no mockftpd binary: set MOCKFTPD_BIN to one, put mockftpd on the PATH "
            "(go install github.com/mockftpd/mockftpd/cmd/mockftpd@latest), or install Go 1.26 "
            "to build it from a checkout of the repository"
        )
    with _build_lock:
        if _built is None:
            out = tempfile.mkdtemp(prefix="mockftpd-bin-")
            atexit.register(shutil.rmtree, out, True)
            exe = os.path.join(out, "mockftpd.exe" if os.name == "nt" else "mockftpd")
            proc = subprocess.run(
                [go, "build", "-o", exe, "./cmd/mockftpd"],
                cwd=root,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                universal_newlines=True,
            )
            if proc.returncode != 0:
                raise MockFTPDError("go build ./cmd/mockftpd in %s failed:\n%s" % (root, proc.stdout))
            _built = exe
        return _built


# ------------------------------------------------------------ the server


class Files:
    """The served filesystem, through the admin API: seed files before the
    client runs, read what it uploaded. Paths are the client's view
    (``/incoming/report.csv``)."""

    def __init__(self, server):
        self._srv = server

    @staticmethod
    def _route(path):
        return "/api/files/" + urllib.parse.quote(path.lstrip("/"), safe="/")

    def put(self, path, data):
        """Writes a file (its folders are made). ``data`` is bytes, str
        (written as UTF-8) or a binary file object."""
        if hasattr(data, "read"):
            data = data.read()
        if isinstance(data, str):
            data = data.encode("utf-8")
        return self._srv._call("PUT", self._route(path), data, "application/octet-stream", ok=(200, 201))

    def put_local(self, path, local_path):
        """Writes a file with the content of the host file ``local_path``."""
        with open(local_path, "rb") as f:
            return self.put(path, f)

    def get(self, path):
        """Returns a file's bytes; FileNotFoundError when there is none,
        IsADirectoryError for a folder."""
        try:
            body = self._srv._call("GET", self._route(path))
        except MockFTPDError as err:
            if err.status == 404:
                raise FileNotFoundError(path) from None
            raise
        if not isinstance(body, bytes):
            raise IsADirectoryError(path)
        return body

    def get_text(self, path, encoding="utf-8"):
        """Returns a file's content as text."""
        return self.get(path).decode(encoding)

    def list(self, path="/"):
        """Returns a folder's entries: dicts with name, path, dir, size,
        mode and modtime."""
        try:
            body = self._srv._call("GET", self._route(path.rstrip("/") + "/"))
        except MockFTPDError as err:
            if err.status == 404:
                raise FileNotFoundError(path) from None
            raise
        if not isinstance(body, dict):
            raise NotADirectoryError(path)
        return body["entries"]

    def exists(self, path):
        """Reports whether a file or folder exists."""
        parent, _, name = path.rstrip("/").rpartition("/")
        if not name:
            return True
        try:
            return any(e["name"] == name for e in self.list(parent or "/"))
        except (FileNotFoundError, NotADirectoryError):
            return False


class MockFTPD:
    """A mockftpd process on free loopback ports, driven through its admin
    API. Use it as a context manager, or call start() and stop().

    Options (all optional):

    - ``binary``: the mockftpd executable (default: see find_binary).
    - ``scenario``: a scenario as a dict or as YAML/JSON text, put in force
      at start (and by clear()).
    - ``builtin``: a built-in scenario's name (``"busy-file"``,
      ``"codes/452-stor"``) instead.
    - ``users``: accounts as a dict ``{"alice": "secret"}`` or a list of
      ``(name, password)``; without any, every login works.
    - ``args``: more command-line flags, e.g. ``["-tls", "explicit"]``.
    - ``env``: more environment variables for the process.
    - ``startup_timeout``: seconds to wait for readiness (default 30).
    """

    def __init__(self, binary=None, scenario=None, builtin=None, users=None, args=(), env=None, startup_timeout=30.0):
        if scenario is not None and builtin is not None:
            raise ValueError("give scenario= or builtin=, not both")
        self._binary = binary
        self._initial = (scenario, builtin)
        self._users = list(users.items()) if isinstance(users, dict) else list(users or ())
        self._args = list(args)
        self._env = dict(env or {})
        self._startup_timeout = startup_timeout
        self._proc = None
        self._reader = None
        self._log = collections.deque(maxlen=2000)
        self._admin_addr = None
        self._admin_seen = threading.Event()
        self.token = secrets.token_hex(16)
        self.host = HOST
        self.port = None
        self.binary = None
        self.files = Files(self)
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: no proxy
        self._attached = False

    @classmethod
    def attach(cls, admin_url, token=None, host=None, port=None):
        """Drives a mockftpd that is already running (a Docker container,
        a shared CI service) through its admin API at ``admin_url``
        (``http://127.0.0.1:8021``), with its ``token``. ``host`` and
        ``port`` are where clients reach its FTP port: by default the admin
        URL's host and the port the server listens on. stop() leaves that
        server running; clear() and reset() act on it."""
        parsed = urllib.parse.urlsplit(admin_url)
        if parsed.scheme != "http" or not parsed.netloc:
            raise MockFTPDError("admin URL %r: want http://HOST:PORT" % admin_url)
        srv = cls()
        srv.token = token or ""
        srv._admin_addr = parsed.netloc
        srv._attached = True
        ready = srv._call("GET", "/api/ready")
        srv.host = host or parsed.hostname
        srv.port = int(port or ready["ftp"].rpartition(":")[2])
        return srv

    # ---------------------------------------------------------- lifecycle

    def start(self):
        """Starts the process and waits until it is ready."""
        if self._proc is not None or self._attached:
            raise MockFTPDError("already started")
        self.binary = find_binary(self._binary)
        cmd = [self.binary, "-listen", HOST + ":0", "-admin", HOST + ":0", "-log-format", "json",
               "-reload=false", "-shutdown-grace", "2s"]
        for name, password in self._users:
            cmd += ["-user", "%s:%s" % (name, password)]
        cmd += self._args
        env = {k: v for k, v in os.environ.items() if not k.startswith("MOCKFTPD_")}
        env.update(self._env)
        env["MOCKFTPD_ADMIN_TOKEN"] = self.token
        self._proc = subprocess.Popen(
            cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            universal_newlines=True, encoding="utf-8", errors="replace",
        )
        self._reader = threading.Thread(target=self._read_log, name="mockftpd-log", daemon=True)
        self._reader.start()
        try:
            self._wait_ready()
            if self._initial != (None, None):
                self.clear()
        except BaseException:
            self.stop()
            raise
        return self

    def _read_log(self):
        for line in self._proc.stderr:
            line = line.rstrip("\n")
            self._log.append(line)
            if self._admin_addr is None:
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                if isinstance(rec, dict) and "admin" in str(rec.get("msg", "")).lower() and rec.get("addr"):
                    self._admin_addr = rec["addr"]
                    self._admin_seen.set()
        self._admin_seen.set()  # the process ended

    def _wait_ready(self):
        deadline = time.monotonic() + self._startup_timeout
        if not self._admin_seen.wait(self._startup_timeout) or self._admin_addr is None:
            try:
                self._fail_start("exited with %s" % self._proc.wait(2))
            except subprocess.TimeoutExpired:
                self._fail_start("did not say where its admin API listens")
        last = None
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                self._fail_start("exited with %s" % self._proc.returncode)
            try:
                ready = self._call("GET", "/api/ready", timeout=2)
                self.port = int(ready["ftp"].rpartition(":")[2])
                return
            except (MockFTPDError, OSError) as err:
                last = err
            time.sleep(0.05)
        self._fail_start("was not ready within %ss (%s)" % (self._startup_timeout, last))

    def _fail_start(self, why):
        if self._reader is not None:
            self._reader.join(1)
        raise MockFTPDError("mockftpd (%s) %s; its log:\n%s" % (self.binary, why, self.log(40)))

    def stop(self):
        """Stops the process (SIGTERM, then SIGKILL after 10 s); a server
        reached with attach() is left running."""
        if self._attached:
            self._attached, self._admin_addr = False, None
            return
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if self._reader is not None:
            self._reader.join(5)
        if proc.stderr is not None:
            proc.stderr.close()
        self._admin_addr = None

    close = stop

    def __enter__(self):
        return self if self._attached else self.start()

    def __exit__(self, *exc):
        self.stop()

    def __repr__(self):
        return "<MockFTPD %s>" % (self.url if self.port else "not started")

    @property
    def running(self):
        """Whether the process is running."""
        if self._attached:
            return True
        return self._proc is not None and self._proc.poll() is None

    # ------------------------------------------------------ where it is

    @property
    def url(self):
        """``ftp://127.0.0.1:PORT/``"""
        return "ftp://%s:%d/" % (self.host, self.port)

    @property
    def admin_url(self):
        """The admin API's base URL (its routes are under /api/)."""
        return "http://%s" % self._admin_addr

    def log(self, lines=None):
        """The process's log (JSON lines), the last ``lines`` of it."""
        got = list(self._log)
        return "\n".join(got[-lines:] if lines else got)

    def ftp(self, user="anonymous", password="mockftpd@", timeout=10):
        """Returns an ftplib.FTP connected and logged in (close it)."""
        client = ftplib.FTP()
        client.connect(self.host, self.port, timeout=timeout)
        try:
            client.login(user, password)
        except BaseException:
            client.close()
            raise
        return client

    # --------------------------------------------------------- scripting

    def rule(self, rule):
        """Adds one rule in front of the others: a dict in the scenario
        format (one item of ``rules:``) or YAML text. Returns the admin
        API's answer (``{"added": label, "rules": count}``)."""
        return self._call("POST", "/api/rules", *_body(rule), ok=(201,))

    def clear_rules(self):
        """Removes every rule: commands reach the real server."""
        return self._call("DELETE", "/api/rules", b"", "application/json")

    def scenario(self, scenario, reset=True):
        """Puts a scenario in force: a dict (``version: 1`` is added when
        missing) or YAML/JSON text. With ``reset`` (the default) the server
        is reset too, so its files are seeded at once."""
        if isinstance(scenario, dict) and "version" not in scenario:
            scenario = dict(scenario, version=1)
        query = "?reset=true" if reset else ""
        return self._call("PUT", "/api/scenario" + query, *_body(scenario))

    def builtin(self, name, reset=True):
        """Puts one of the built-in scenarios in force (``mockftpd
        scenarios`` lists them): ``"busy-file"``, ``"codes/452-stor"``.
        Their text comes from the local binary (see find_binary), also for
        a server reached with attach()."""
        return self.scenario(self.builtin_text(name), reset=reset)

    def builtin_text(self, name):
        """Returns a built-in scenario's YAML text."""
        if name.startswith("builtin:"):
            name = name[len("builtin:"):]
        proc = subprocess.run([self.binary or find_binary(self._binary), "scenarios", "show", name],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
        if proc.returncode != 0:
            raise MockFTPDError(proc.stderr.strip() or "mockftpd scenarios show %s failed" % name)
        return proc.stdout

    def get_scenario(self):
        """Returns the scenario in force, rules added by rule() included,
        as a dict."""
        return self._call("GET", "/api/scenario", accept="application/json")

    def get_state(self):
        """Returns the scenario state ("" is the start state)."""
        return self._call("GET", "/api/state")["state"]

    def set_state(self, state):
        """Moves the scenario to a named state (rules match it with state:)."""
        return self._call("PUT", "/api/state", *_body({"state": state}))

    def reset(self):
        """Resets counters, state, session numbering, the journal and
        recorded uploads, and the in-memory files back to the scenario's.
        The scenario and its rules stay."""
        return self._call("POST", "/api/reset", b"", "application/json")

    def clear(self):
        """Back to how start() left the server: the scenario given to the
        constructor (or none), no added rules, an empty journal, the
        scenario's files only."""
        scenario, builtin = self._initial
        if builtin is not None:
            return self.builtin(builtin)
        return self.scenario(scenario if scenario is not None else {"name": "mockftpd"})

    # --------------------------------------------------------- checking

    def journal(self, command=None, session=None, since=None, unmatched=None, limit=None):
        """Returns the journal's entries (dicts: session, seq, time, user,
        command, arg, replies, codes, rule, transfer), oldest first,
        filtered as GET /api/journal does. ``command`` is a verb or a list."""
        query = {}
        if command is not None:
            query["command"] = command if isinstance(command, str) else ",".join(command)
        for key, value in (("session", session), ("since", since), ("limit", limit)):
            if value is not None:
                query[key] = str(value)
        if unmatched is not None:
            query["unmatched"] = "true" if unmatched else "false"
        path = "/api/journal" + ("?" + urllib.parse.urlencode(query) if query else "")
        return self._call("GET", path)["entries"]

    def wait_command(self, command, arg=None, timeout=5.0):
        """Waits until the journal has a finished ``command`` (with ``arg``
        when given) and returns its entry; TimeoutError after ``timeout``
        seconds."""
        deadline = time.monotonic() + timeout
        while True:
            for entry in self.journal(command=command):
                if entry.get("done") and (arg is None or entry.get("arg") == arg):
                    return entry
            if time.monotonic() >= deadline:
                raise TimeoutError("no %s%s in the journal after %ss" % (command, " " + arg if arg else "", timeout))
            time.sleep(0.02)

    def verify(self):
        """Checks the scenario's expectations against the journal: returns
        the report (a dict) when all are met, raises VerifyError (an
        AssertionError, so pytest shows the report) when one is not."""
        report = self._call("GET", "/api/verify", ok=(200, 409))
        if not report.get("ok", False):
            raise VerifyError(report)
        return report

    # ---------------------------------------------------------- the API

    def _call(self, method, path, data=None, content_type=None, accept=None, ok=(200,), timeout=30):
        """Sends one request to the admin API; returns the answer, parsed
        when it is JSON, else bytes. A status not in ok raises
        MockFTPDError."""
        if self._admin_addr is None:
            raise MockFTPDError("mockftpd is not started")
        req = urllib.request.Request(self.admin_url + path, data=data, method=method)
        if self.token:
            req.add_header("Authorization", "Bearer " + self.token)
        if content_type:
            req.add_header("Content-Type", content_type)
        if accept:
            req.add_header("Accept", accept)
        try:
            with self._opener.open(req, timeout=timeout) as resp:
                status, ctype, body = resp.status, resp.headers.get("Content-Type", ""), resp.read()
        except urllib.error.HTTPError as err:
            status, ctype, body = err.code, err.headers.get("Content-Type", ""), err.read()
        decoded = body
        if ctype.startswith("application/json"):
            try:
                decoded = json.loads(body.decode("utf-8"))
            except ValueError:
                pass
        if status not in ok:
            why = decoded.get("error") if isinstance(decoded, dict) else body.decode("utf-8", "replace")[:500]
            raise MockFTPDError("%s %s: %d %s" % (method, path, status, why), status, decoded)
        return decoded


def _body(value):
    """(bytes, content type) of a scenario or rule: a dict as JSON, text
    as YAML (JSON is YAML too)."""
    if isinstance(value, (dict, list)):
        return json.dumps(value).encode("utf-8"), "application/json"
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    if isinstance(value, str):
        return value.encode("utf-8"), "application/yaml"
    raise TypeError("want a dict or YAML text, got %s" % type(value).__name__)
