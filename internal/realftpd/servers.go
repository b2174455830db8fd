package realftpd

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// vsftpd serves anonymous FTP with uploads (its local users need a PAM
// service in /etc/pam.d), in the foreground (background=NO), without its
// seccomp sandbox (which the test machines' kernels may refuse).
// Anonymous sessions run as "daemon", whose home exists: vsftpd changes
// into it before anon_root.
func (s *Server) vsftpd(in installation, port int) (*exec.Cmd, error) {
	s.User, s.Password = "anonymous", "tester@example.com"
	s.BadUser, s.BadPassword = "bob", "secret" // "530 This FTP server is anonymous only."
	empty := filepath.Join(s.dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		return nil, err
	}
	conf := []string{
		"listen=YES",
		"listen_ipv6=NO",
		"listen_address=127.0.0.1",
		"listen_port=" + strconv.Itoa(port),
		"background=NO",
		"seccomp_sandbox=NO",
		"anonymous_enable=YES",
		"local_enable=NO",
		"anon_root=" + s.Root,
		"ftp_username=daemon",
		"write_enable=YES",
		"anon_upload_enable=YES",
		"anon_mkdir_write_enable=YES",
		"anon_other_write_enable=YES",
		"anon_umask=022",
		"pasv_enable=YES",
		"pasv_address=127.0.0.1",
		"pasv_min_port=" + strconv.Itoa(s.PassiveMin),
		"pasv_max_port=" + strconv.Itoa(s.PassiveMax),
		"port_enable=YES",
		"connect_from_port_20=NO",
		"secure_chroot_dir=" + empty,
		"xferlog_enable=NO",
		"dirmessage_enable=NO",
		"tcp_wrappers=NO",
		"vsftpd_log_file=" + s.logFile,
	}
	if s.TLS != TLSNone {
		conf = append(conf,
			"ssl_enable=YES",
			"allow_anon_ssl=YES",
			"force_anon_logins_ssl=NO",
			"force_anon_data_ssl=NO",
			"rsa_cert_file="+filepath.Join(s.dir, "cert.pem"),
			"rsa_private_key_file="+filepath.Join(s.dir, "key.pem"),
			"ssl_ciphers=HIGH", // 3.0.3's default, DES-CBC3-SHA, is gone from OpenSSL 3
		)
		if s.TLS == TLSImplicit {
			conf = append(conf, "implicit_ssl=YES")
		}
	}
	p, err := s.writeConf("vsftpd.conf", conf, 0o600)
	if err != nil {
		return nil, err
	}
	return exec.Command(in.progs[0], p), nil
}

// proftpd runs standalone in the foreground (-n) with a virtual user from
// an AuthUserFile (uid nobody), chrooted into the tree (DefaultRoot ~).
func (s *Server) proftpd(in installation, port int, opts Options) (*exec.Cmd, error) {
	hash, err := cryptPassword(s.Password)
	if err != nil {
		return nil, err
	}
	users, err := s.writeConf("ftpd.passwd", []string{fmt.Sprintf("%s:%s:65534:65534::%s:/bin/false", s.User, hash, s.Root)}, 0o600)
	if err != nil {
		return nil, err
	}
	groups, err := s.writeConf("ftpd.group", []string{"nogroup:x:65534:"}, 0o600)
	if err != nil {
		return nil, err
	}
	conf := []string{
		"ServerType standalone",
		"ServerName \"mockftpd test\"",
		"DefaultServer on",
		"Port " + strconv.Itoa(port),
		"DefaultAddress 127.0.0.1",
		"SocketBindTight on",
		"UseIPv6 off",
		"PidFile " + filepath.Join(s.dir, "proftpd.pid"),
		"ScoreboardFile " + filepath.Join(s.dir, "proftpd.scoreboard"),
		"DelayTable " + filepath.Join(s.dir, "proftpd.delay"),
		"WtmpLog off",
		"UseReverseDNS off",
		"RequireValidShell off",
		"AuthOrder mod_auth_file.c",
		"AuthUserFile " + users,
		"AuthGroupFile " + groups,
		"DefaultRoot ~",
		"Umask 022",
		"AllowOverwrite on",
		"PassivePorts " + strconv.Itoa(s.PassiveMin) + " " + strconv.Itoa(s.PassiveMax),
		"TransferLog none",
	}
	if opts.AllowStoreRestart {
		conf = append(conf, "AllowStoreRestart on")
	}
	if in.root != "/" {
		conf = append(conf, "<IfModule mod_dso.c>", "ModulePath "+filepath.Join(in.root, "usr/lib/proftpd"), "</IfModule>")
	}
	if s.TLS != TLSNone {
		conf = append(conf,
			"<IfModule mod_dso.c>", "LoadModule mod_tls.c", "</IfModule>",
			"TLSEngine on",
			"TLSLog "+filepath.Join(s.dir, "tls.log"),
			"TLSProtocol TLSv1.2 TLSv1.3",
			"TLSECCertificateFile "+filepath.Join(s.dir, "cert.pem"),
			"TLSECCertificateKeyFile "+filepath.Join(s.dir, "key.pem"),
			"TLSVerifyClient off",
			"TLSRequired off",
		)
		if s.TLS == TLSImplicit {
			conf = append(conf, "TLSOptions UseImplicitSSL")
		}
	}
	p, err := s.writeConf("proftpd.conf", conf, 0o600)
	if err != nil {
		return nil, err
	}
	return exec.Command(in.progs[0], "-n", "-c", p), nil
}

// pureFTPd runs in the foreground (no -B) with a virtual user from a
// PureDB file made by pure-pw (uid nobody), everyone chrooted (-A).
func (s *Server) pureFTPd(in installation, port int) (*exec.Cmd, error) {
	// the user is written with a cheap MD5-crypt hash: pure-pw's default,
	// argon2id, costs seconds of CPU at every login
	hash, err := cryptPassword(s.Password)
	if err != nil {
		return nil, err
	}
	passwd, err := s.writeConf("pureftpd.passwd", []string{fmt.Sprintf("%s:%s:65534:65534::%s/./::::::::::::", s.User, hash, s.Root)}, 0o600)
	if err != nil {
		return nil, err
	}
	pdb := filepath.Join(s.dir, "pureftpd.pdb")
	if out, err := exec.Command(in.progs[1], "mkdb", pdb, "-f", passwd).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("pure-pw mkdb: %v: %s", err, out)
	}
	args := []string{
		"-S", "127.0.0.1," + strconv.Itoa(port),
		"-l", "puredb:" + pdb,
		"-E", // no anonymous logins
		"-A", // chroot everyone
		"-H", // no reverse DNS
		"-p", strconv.Itoa(s.PassiveMin) + ":" + strconv.Itoa(s.PassiveMax),
		"-P", "127.0.0.1",
		"-g", filepath.Join(s.dir, "pure-ftpd.pid"),
	}
	if s.TLS == TLSExplicit {
		args = append(args, "-Y", "1", "-2", filepath.Join(s.dir, "cert.pem")+","+filepath.Join(s.dir, "key.pem"))
	}
	return exec.Command(in.progs[0], args...), nil
}

// cryptPassword hashes a password for ProFTPD's and pure-ftpd's user
// files (MD5-crypt, which glibc's crypt reads) with openssl.
func cryptPassword(pw string) (string, error) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		return "", fmt.Errorf("openssl is needed to hash the test user's password (apt-get install openssl): %w", err)
	}
	out, err := exec.Command(openssl, "passwd", "-1", pw).Output()
	if err != nil {
		return "", fmt.Errorf("openssl passwd: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}
