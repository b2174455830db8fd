#!/usr/bin/env bash
# Installs the real FTP servers mockftpd's tests compare against: ProFTPD
# (proftpd-basic), vsftpd and pure-ftpd, from Debian packages. The three
# conflict as packages (each provides ftp-server): the first is installed
# with apt-get, the others are unpacked with dpkg-deb -x into
# $MOCKFTPD_FTPD_DIR (default: ${XDG_CACHE_HOME:-$HOME/.cache}/mockftpd/ftpd,
# where the tests look), and the libraries they need are installed.
# Run as root; servers already present are left alone.
set -euo pipefail

dir="${MOCKFTPD_FTPD_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mockftpd/ftpd}"
export DEBIAN_FRONTEND=noninteractive

apt-get update -qq
apt-get install -y -qq openssl >/dev/null # hashes ProFTPD's test password

# install_server PROGRAM PACKAGE DEB...: PROGRAM (relative to / or $dir)
# comes with PACKAGE, or with the DEBs unpacked.
install_server() {
	local prog=$1 pkg=$2
	shift 2
	if [ -x "/$prog" ] || [ -x "$dir/$prog" ]; then
		echo "$pkg: present"
		return
	fi
	if apt-get install -y -qq --no-remove "$pkg" >/dev/null 2>&1; then
		echo "$pkg: installed"
		return
	fi
	local tmp
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download -qq "$@" 2>/dev/null)
	mkdir -p "$dir"
	local deb libs=()
	for deb in "$tmp"/*.deb; do
		dpkg-deb -x "$deb" "$dir"
	done
	for p in "$@"; do
		while read -r lib; do libs+=("$lib"); done < <(apt-cache depends --no-recommends --no-suggests \
			--no-conflicts --no-breaks --no-replaces --no-enhances "$p" |
			awk '$1 ~ /Depends:$/ && $2 ~ /^lib/ {print $2}')
	done
	if [ ${#libs[@]} -gt 0 ]; then
		apt-get install -y -qq --no-remove "${libs[@]}" >/dev/null
	fi
	rm -rf "$tmp"
	echo "$pkg: unpacked into $dir"
}

install_server usr/sbin/proftpd proftpd-basic proftpd-core proftpd-mod-crypto
install_server usr/sbin/vsftpd vsftpd vsftpd
install_server usr/sbin/pure-ftpd pure-ftpd pure-ftpd
