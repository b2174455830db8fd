"""One scripted FTP session with Python's ftplib, for mockftpd's tests.

Usage: python3 ftplib_session.py '{"host": ..., "port": ..., ...}'

Prints one JSON array per line: [">", command line], ["<", reply line] as
they cross the control connection, and ["=", "name", value] for what the
client got (listings, downloaded bytes, errors).
"""
import ftplib
import io
import json
import sys

cfg = json.loads(sys.argv[1])


def out(*item):
    print(json.dumps(item), flush=True)


def logged(base):
    class Logged(base):
        def putline(self, line):
            out(">", line)
            super().putline(line)

        def getline(self):
            line = super().getline()
            out("<", line)
            return line

    return Logged


def step(name, fn):
    """Runs one step; an FTP error is a result, not a failure."""
    try:
        value = fn()
    except ftplib.all_errors as e:
        out("=", name, "error: " + str(e))
        return None
    if value is not None:
        out("=", name, value)
    return value


class ResumingFTP_TLS(ftplib.FTP_TLS):
    """FTP_TLS whose data connections resume the control connection's TLS
    session, as vsftpd and ProFTPD require (plain ftplib does not)."""

    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            conn = self.context.wrap_socket(conn, server_hostname=self.host, session=self.sock.session)
        return conn, size


def connect():
    base = ftplib.FTP
    if cfg["tls"]:
        base = ftplib.FTP_TLS if cfg["no_tls_resume"] else ResumingFTP_TLS
    cls = logged(base)
    ftp = cls(timeout=10)
    ftp.connect(cfg["host"], cfg["port"])
    return ftp


def retr(ftp, cmd, rest=None):
    buf = io.BytesIO()
    ftp.retrbinary(cmd, buf.write, rest=rest)
    return buf.getvalue().decode("latin-1")


def lines(ftp, cmd):
    got = []
    ftp.retrlines(cmd, got.append)
    return got


def main():
    ftp = connect()
    d, f = cfg["dir"], cfg["file"]
    ftp.login(cfg["user"], cfg["password"])
    if cfg["tls"]:
        ftp.prot_p()
    ftp.set_pasv(not cfg["active"])
    feat = step("FEAT", lambda: ftp.sendcmd("FEAT"))
    step("SYST", lambda: ftp.sendcmd("SYST"))
    step("PWD", lambda: ftp.pwd())
    step("CWD", lambda: ftp.cwd(d))
    step("LIST", lambda: lines(ftp, "LIST"))
    step("NLST", lambda: ftp.nlst())
    if feat and "MLSD" in feat.upper():
        step("MLSD", lambda: [n for n, _ in ftp.mlsd()])
    step("TYPE I", lambda: ftp.voidcmd("TYPE I"))  # SIZE in ASCII mode is refused by some
    step("SIZE", lambda: ftp.sendcmd("SIZE " + f))
    step("MDTM", lambda: ftp.sendcmd("MDTM " + f))
    step("RETR", lambda: retr(ftp, "RETR " + f))
    step("STOR", lambda: ftp.storbinary("STOR up.txt", io.BytesIO(b"first line\n")))
    step("APPE", lambda: ftp.storbinary("APPE up.txt", io.BytesIO(b"second line\n")))
    step("REST+RETR", lambda: retr(ftp, "RETR up.txt", rest=6))
    step("RNFR/RNTO", lambda: ftp.rename("up.txt", "renamed.txt"))
    step("MKD", lambda: ftp.mkd("newdir"))
    step("RMD", lambda: ftp.rmd("newdir"))
    step("LIST after", lambda: lines(ftp, "LIST"))
    step("DELE", lambda: ftp.delete("renamed.txt"))
    step("RETR missing", lambda: retr(ftp, "RETR missing.txt"))
    step("QUIT", lambda: ftp.quit())

    bad = connect()
    step("bad login", lambda: bad.login(cfg["bad_user"], cfg["bad_password"]))
    try:
        bad.close()
    except ftplib.all_errors:
        pass


main()
