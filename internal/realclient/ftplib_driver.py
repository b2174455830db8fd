"""Drive Python's ftplib through a list of steps and report each one.

Reads one JSON object on stdin:

    {"host": "127.0.0.1", "port": 2121, "tls": "none"|"explicit"|"implicit",
     "passive": true, "timeout": 5.0, "user": "u", "password": "p",
     "steps": [{"op": "connect"}, {"op": "login"}, {"op": "retr", "path": "/f"}, ...]}

and prints one JSON object per step, as soon as the step ends:

    {"op": "retr", "ok": true, "reply": "226 Transfer complete", "value": {...}}
    {"op": "retr", "ok": false, "error": "error_temp", "message": "450 File busy"}

Every step runs, whatever the earlier ones gave, so that the transcript
shows what the client does next (a closed connection makes the later steps
fail too). Every socket has the timeout, so no step blocks for ever.
"""

import ftplib
import hashlib
import io
import json
import socket
import ssl
import sys
import time


class ImplicitFTP_TLS(ftplib.FTP_TLS):
    """FTP_TLS for implicit FTPS: TLS from the first byte (ftplib has only explicit)."""

    def connect(self, host="", port=0, timeout=-999, source_address=None):
        self.host, self.port = host, port
        if timeout != -999:
            self.timeout = timeout
        sock = socket.create_connection((host, port), self.timeout)
        self.af = sock.family
        self.sock = self.context.wrap_socket(sock, server_hostname=host)
        self.file = self.sock.makefile("r", encoding=self.encoding)
        self.welcome = self.getresp()
        return self.welcome


def summary(data):
    """What a download gave: its length, its text when short, its hash."""
    out = {"len": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    if len(data) <= 256:
        try:
            out["text"] = data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return out


def run_step(ftp, spec, step, out):
    op = step["op"]
    path = step.get("path", "")
    if op == "connect":
        return ftp.connect(spec["host"], spec["port"], spec["timeout"]), None
    if op == "auth":
        return ftp.auth(), None
    if op == "login":
        # The plain FTP login: AUTH is its own step, so that its reply shows.
        return ftplib.FTP.login(ftp, step.get("user", spec["user"]), step.get("password", spec["password"])), None
    if op == "prot_p":
        return ftp.prot_p(), None
    if op == "cwd":
        return ftp.cwd(path), None
    if op == "pwd":
        d = ftp.pwd()
        return None, d
    if op == "nlst":
        return None, ftp.nlst(*([path] if path else []))
    if op == "list":
        lines = []
        reply = ftp.retrlines("LIST" + (" " + path if path else ""), lines.append)
        # The names only: sizes and dates are the server's business.
        return reply, [l.split(None, 8)[-1] for l in lines if l.strip()]
    if op == "mlsd":
        return None, sorted(name for name, _ in ftp.mlsd(path))
    if op == "size":
        return None, ftp.size(path)
    if op == "retr":
        buf = io.BytesIO()
        try:
            return ftp.retrbinary("RETR " + path, buf.write, rest=step.get("rest") or None), None
        finally:
            # What arrived, even when the transfer failed.
            out["value"] = summary(buf.getvalue())
    if op in ("stor", "appe"):
        data = step.get("data", "").encode("utf-8") * step.get("repeat", 1)
        return ftp.storbinary(op.upper() + " " + path, io.BytesIO(data)), None
    if op == "rename":
        return ftp.rename(path, step["to"]), None
    if op == "dele":
        return ftp.delete(path), None
    if op == "mkd":
        return None, ftp.mkd(path)
    if op == "rmd":
        return ftp.rmd(path), None
    if op == "noop":
        return ftp.voidcmd("NOOP"), None
    if op == "sendcmd":
        return ftp.sendcmd(step["line"]), None
    if op == "quit":
        return ftp.quit(), None
    if op == "close":
        ftp.close()
        return None, None
    if op == "sleep":
        time.sleep(step["seconds"])
        return None, None
    raise ValueError("unknown step " + repr(op))


def main():
    spec = json.load(sys.stdin)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the mock's certificate is self-signed
    tls = spec.get("tls", "none")
    if tls == "implicit":
        ftp = ImplicitFTP_TLS(context=ctx, timeout=spec["timeout"])
    elif tls == "explicit":
        ftp = ftplib.FTP_TLS(context=ctx, timeout=spec["timeout"])
    else:
        ftp = ftplib.FTP(timeout=spec["timeout"])
    ftp.set_pasv(spec.get("passive", True))
    for step in spec["steps"]:
        out = {"op": step["op"]}
        try:
            reply, value = run_step(ftp, spec, step, out)
            out["ok"] = True
            if reply is not None:
                out["reply"] = reply
            if value is not None:
                out["value"] = value
        except Exception as e:  # every failure is part of the transcript
            out["ok"] = False
            cls = type(e)
            out["error"] = cls.__qualname__ if cls.__module__ == "builtins" else cls.__module__ + "." + cls.__qualname__
            out["message"] = str(e)
        print(json.dumps(out), flush=True)
    try:
        ftp.close()
    except Exception:
        pass


if __name__ == "__main__":
    main()
