#!/bin/sh
# install-deps.sh - install the Debian 12 packages inkan builds and tests with.
# Idempotent: asks dpkg what is missing and installs only that (apt-get, as root).
set -eu

# libgmime-3.0-dev: addresses and dates of inbound mail (src/core/inbound/msgcheck.c).
# libc-ares-dev: the stub resolver backend (src/dns/resolver_cares.c).
# dnsperf: bench/ measures the DNS server's own ceiling with it.
# libxml2-dev: the DMARC report parser (SAX push parser); libarchive-dev:
# .xml.gz and .zip report containers; libxml2-utils: xmllint; python3-xmltodict:
# the peer of bench/reports (parsedmarc parses with it).
# libspf2-dev: bench/spf drives libspf2 (the library behind spfquery) in-process
# from its own in-memory zone, the peer of the CPU-cost benchmark.
# nodejs: runs bench/verify's peer, postalsys mailauth (npm, installed by
# bench/verify/run.sh from its package-lock.json; Debian's nodejs wants the
# npm package beside it, NodeSource's build carries npm itself).
# sqlite3 zip unzip jq file python3-yaml: tools the integration tests call
# (on the stock image today, listed so a bare Debian 12 gets them too).
# libmilter-dev: `inkan milter` (src/milter/) speaks the milter protocol with it;
# postfix swaks: tests/cli/milter-postfix.sh runs a private Postfix on loopback
# and sends to it with swaks (debconf preseeded below: no system mailer set up).
# opendmarc: bench/milter runs it beside opendkim as the peer of `inkan milter`.
PKGS="meson ninja-build pkg-config gcc clang make
libssl-dev libunbound-dev libpsl-dev publicsuffix libyaml-dev libcmocka-dev
libsqlite3-dev libjansson-dev libevent-dev openssl
knot knot-dnsutils python3 python3-spf python3-dkim python3-dnspython
opendkim-tools opendkim python3-nacl spfquery
libspf2-dev libc-ares-dev dnsperf libgmime-3.0-dev
libxml2-dev libxml2-utils libarchive-dev python3-xmltodict nodejs
sqlite3 zip unzip jq file python3-yaml
libmilter-dev postfix swaks opendmarc
libmicrohttpd-dev chromium
libcurl4-openssl-dev dovecot-imapd"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing packages:$missing" >&2
    echo "install-deps: run as root (or: sudo apt-get install$missing)" >&2
    exit 1
fi

echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# Keep package postinst scripts from starting daemons (knot) on the host.
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
# libmicrohttpd-dev: the HTTP server of `inkan serve` (src/http).
# libcurl4-openssl-dev: the IMAP source of `inkan report import` (src/reports/imap.c);
# dovecot-imapd: tests/cli/report-imap.sh runs a private Dovecot on loopback.
# chromium: the headless browser tests/browser drives with playwright-core (npm,
# from tests/browser/package-lock.json) against the dashboard of `inkan serve`.
# postfix: configure no system mailer (the tests run their own with postfix -c).
echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections 2>/dev/null || true
apt-get update -qq || true
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
