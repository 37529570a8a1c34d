#!/usr/bin/env bash
# make-encrypted-captures.sh - captures of encrypted DNS (DoT, DoH, DoQ) made with real software.
#
# Run as root on Debian bookworm. Needs the Debian packages:
#   iproute2 (ip, ss), nftables (nft), knot-resolver (kresd: plain DNS, DoT, DoH),
#   nsd (the authoritative server kresd asks), knot-dnsutils (kdig: +tls, +https, +https-get),
#   bind9-dnsutils (dig: the plain fallback), curl (DoH POST over HTTP/2),
#   gnutls-bin (gnutls-cli: a DoT client that sends a fatal alert), openssl (certificates,
#   s_client with a wrong ALPN), wireshark-common (dumpcap, editcap, capinfos), tshark (finds the
#   client randoms of a capture, to add the server's key log lines), procps (sysctl),
#   python3 (builds the DNS message curl posts; standard library only)
#   apt-get install iproute2 nftables knot-resolver nsd knot-dnsutils bind9-dnsutils curl \
#           gnutls-bin openssl wireshark-common tshark procps python3
# The DoQ case (doq) needs a Debian trixie root at $DNSMON_TRIXIE_ROOT (default
# /var/cache/dnsmon-matrix/trixie, made by `scripts/matrix --prepare-only trixie`): its kdig 3.4
# (knot-dnsutils) speaks DoQ and its knotd 3.4 (knot) serves it. The script installs those two
# packages in the root when they are missing and runs them there with chroot, after bind-mounting
# /proc, /dev and /tmp (unmounted on exit). Without that root the case is skipped with a message.
#
# Usage: sudo captures/make-encrypted-captures.sh [OUTDIR [CASE...]]
#   OUTDIR defaults to the folder of this script. CASE names the functions below without the
#   "case_" prefix; without any, all of them run. Each case writes OUTDIR/enc-<name>.pcapng (the
#   TLS/QUIC secrets embedded with editcap --inject-secrets) and OUTDIR/enc-<name>-nokeys.pcapng
#   (the same packets without secrets; only when there were secrets to embed).
#
# Topology (private network namespaces, documentation addresses only):
#
#   dnsmon-enc-$$-cli       dnsmon-enc-$$-rtr                       dnsmon-enc-$$-srv
#   cli0 198.51.100.10 --- rtr0 198.51.100.1   rtr1 203.0.113.1 --- srv0 203.0.113.2 .53 .54 .55
#
#   203.0.113.2   nsd, authoritative for example.test (the resolver's only source of answers)
#   203.0.113.53  kresd: plain DNS udp+tcp/53, DoT tcp/853, DoH (HTTP/2) tcp/443;
#                 in the doq case also knotd (trixie): DoQ udp/853, authoritative for example.test
#   203.0.113.54  kresd: plain DNS only; nothing listens on tcp/853 (the kernel answers RST)
#   203.0.113.55  kresd: plain DNS and DoT, but the router drops tcp/853 to it (silence)
#
# The client's interface cli0 is recorded with dumpcap. Every namespace, process and mount is
# removed on exit (trap EXIT), also on failure.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE}
[ $# -gt 0 ] && shift
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

P=dnsmon-enc-$$
NS_CLI=$P-cli
NS_RTR=$P-rtr
NS_SRV=$P-srv
RUN=$(mktemp -d /tmp/dnsmon-enc.XXXXXX)
chmod 755 "$RUN"
TRIXIE=${DNSMON_TRIXIE_ROOT:-/var/cache/dnsmon-matrix/trixie}
MOUNTS=()

CAPFILTER='port 53 or port 853 or port 443 or icmp or (icmp6 and not (ip6[40] >= 133 and ip6[40] <= 137))'

log() { printf '[make-encrypted-captures] %s\n' "$*" >&2; }

cleanup() {
	local rc=$?
	set +e
	if [ "$rc" != 0 ] && [ "$rc" != 130 ]; then
		local f
		for f in "$RUN/client.log" "$RUN/kresd/log" "$RUN/nsd/nsd.log" "$RUN/knot/log"; do
			[ -s "$f" ] && { echo "--- $f (end)" >&2; tail -15 "$f" >&2; }
		done
	fi
	local p
	for p in $(jobs -p); do kill "$p" 2>/dev/null; done
	sleep 0.3
	for p in $(jobs -p); do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	local ns
	for ns in "$NS_CLI" "$NS_RTR" "$NS_SRV"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
	done
	sleep 0.2
	# bind mounts into the trixie root, newest first
	local i
	for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
		umount "${MOUNTS[$i]}" 2>/dev/null || umount -l "${MOUNTS[$i]}" 2>/dev/null
	done
	for ns in "$NS_CLI" "$NS_RTR" "$NS_SRV"; do
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$RUN"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# inns, setup_ns
. "$HERE/netns.sh"

setup_topology() {
	setup_ns "$NS_CLI"; setup_ns "$NS_RTR"; setup_ns "$NS_SRV"
	ip link add cli0 netns "$NS_CLI" address 02:00:00:00:01:10 type veth peer rtr0 netns "$NS_RTR" address 02:00:00:00:01:01
	ip link add srv0 netns "$NS_SRV" address 02:00:00:00:02:02 type veth peer rtr1 netns "$NS_RTR" address 02:00:00:00:02:01
	inns "$NS_RTR" sysctl -qw net.ipv4.ip_forward=1
	inns "$NS_CLI" ip addr add 198.51.100.10/24 dev cli0
	inns "$NS_CLI" ip link set cli0 up
	inns "$NS_CLI" ip route add default via 198.51.100.1
	inns "$NS_RTR" ip addr add 198.51.100.1/24 dev rtr0
	inns "$NS_RTR" ip addr add 203.0.113.1/24 dev rtr1
	inns "$NS_RTR" ip link set rtr0 up
	inns "$NS_RTR" ip link set rtr1 up
	local a
	for a in 2 53 54 55; do inns "$NS_SRV" ip addr add 203.0.113.$a/24 dev srv0; done
	inns "$NS_SRV" ip link set srv0 up
	inns "$NS_SRV" ip route add default via 203.0.113.1
	# the router drops DoT to .55 (nothing comes back: the client's connect times out)
	inns "$NS_RTR" nft -f - <<'NFT'
table inet dnsmon_enc {
	chain forward {
		type filter hook forward priority 0; policy accept;
		ip daddr 203.0.113.55 tcp dport 853 drop
	}
}
NFT
	sleep 1
}

# wait_port NS PROTO ADDR PORT: until something listens there (at most 10 s)
wait_port() {
	local ns=$1 proto=$2 addr=$3 port=$4 i flag=-ltn
	[ "$proto" = udp ] && flag=-lun
	for i in $(seq 100); do
		inns "$ns" ss -H $flag "src $addr:$port" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	echo "nothing listens on $proto $addr:$port in $ns" >&2
	return 1
}

start_nsd() {
	mkdir -p "$RUN/nsd"
	cat >"$RUN/nsd/example.test.zone" <<'ZONE'
$ORIGIN example.test.
$TTL 300
@	SOA	ns1 hostmaster 2024010101 3600 900 604800 60
	NS	ns1
ns1	A	203.0.113.2
www	A	203.0.113.80
v6	A	203.0.113.81
v6	AAAA	2001:db8:2::81
mail	A	203.0.113.82
@	MX	10 mail
@	TXT	"dnsmon encrypted DNS test zone"
ZONE
	cat >"$RUN/nsd/nsd.conf" <<EOF
server:
	ip-address: 203.0.113.2
	port: 53
	username: ""
	chroot: ""
	zonesdir: "$RUN/nsd"
	database: ""
	zonelistfile: "$RUN/nsd/zone.list"
	xfrdfile: "$RUN/nsd/xfrd.state"
	xfrdir: "$RUN/nsd"
	pidfile: "$RUN/nsd/nsd.pid"
	logfile: "$RUN/nsd/nsd.log"
	verbosity: 1
	server-count: 1
remote-control:
	control-enable: no
zone:
	name: example.test
	zonefile: example.test.zone
EOF
	inns "$NS_SRV" nsd -d -c "$RUN/nsd/nsd.conf" >"$RUN/nsd/stdout" 2>&1 &
	wait_port "$NS_SRV" udp 203.0.113.2 53
}

# the servers' certificate: self-signed, CN and subjectAltName dns.example.test, 203.0.113.53
# (P-256, so the handshakes stay small); an unrelated CA for the clients that must reject it;
# a GnuTLS system priority file that disables TLS 1.3 for the clients that get it
make_certs() {
	mkdir -p "$RUN/certs"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
		-subj "/CN=dns.example.test" -addext "subjectAltName=DNS:dns.example.test,IP:203.0.113.53" \
		-keyout "$RUN/certs/server.key" -out "$RUN/certs/server.pem" 2>/dev/null
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
		-subj "/CN=dnsmon unrelated test CA" -keyout "$RUN/certs/other-ca.key" -out "$RUN/certs/other-ca.pem" 2>/dev/null
	chmod 644 "$RUN/certs/"*
	printf '[overrides]\ndisabled-version = tls1.3\n' >"$RUN/certs/gnutls-no-tls13.conf"
}

# kresd: the recursive resolver the client talks to. Everything under example.test. is asked of
# nsd (policy STUB: no recursion, no DNSSEC); other names get SERVFAIL (no root servers reachable).
start_kresd() {
	make_certs
	mkdir -p "$RUN/kresd"
	cat >"$RUN/kresd/config.lua" <<'LUA'
net.listen('203.0.113.53', 53, { kind = 'dns' })
net.listen('203.0.113.53', 853, { kind = 'tls' })
net.listen('203.0.113.53', 443, { kind = 'doh2' })
net.listen('203.0.113.54', 53, { kind = 'dns' })
net.listen('203.0.113.55', 53, { kind = 'dns' })
net.listen('203.0.113.55', 853, { kind = 'tls' })
net.tls('CERTDIR/server.pem', 'CERTDIR/server.key')
trust_anchors.remove('.')
cache.size = 10 * MB
policy.add(policy.suffix(policy.STUB({'203.0.113.2'}), { todname('example.test.') }))
LUA
	sed -i "s|CERTDIR|$RUN/certs|g" "$RUN/kresd/config.lua"
	# kresd (GnuTLS) logs its TLS secrets too: cap_stop adds those of the capture's connections
	(cd "$RUN/kresd" && exec ip netns exec "$NS_SRV" env SSLKEYLOGFILE="$RUN/kresd/keys.txt" \
		kresd -n -c "$RUN/kresd/config.lua" "$RUN/kresd") >"$RUN/kresd/log" 2>&1 &
	wait_port "$NS_SRV" tcp 203.0.113.53 443
	wait_port "$NS_SRV" tcp 203.0.113.55 853
	wait_port "$NS_SRV" udp 203.0.113.54 53
	# warm up: the first answer must not wait for the certificate or the cache
	inns "$NS_CLI" dig +tries=1 +timeout=3 @203.0.113.53 example.test SOA >/dev/null || true
}

CAP_PID=
CAP_NAME=
cap_start() {
	CAP_NAME=$1
	local f="$RUN/cap-$1.pcapng"
	rm -f "$f" "$RUN/keys-$1.txt"
	: >"$RUN/keys-$1.txt"
	log "capture enc-$1"
	# ip execs dumpcap, so $! is dumpcap itself
	ip netns exec "$NS_CLI" dumpcap -q -i cli0 -f "$CAPFILTER" -w "$f" 2>>"$RUN/dumpcap.log" &
	CAP_PID=$!
	local i
	for i in $(seq 50); do [ -s "$f" ] && break; sleep 0.1; done
	sleep 0.5
}
cap_stop() {
	sleep 0.5
	kill -TERM "$CAP_PID"
	wait "$CAP_PID" || true
	local raw="$RUN/cap-$CAP_NAME.pcapng" keys="$RUN/keys-$CAP_NAME.txt"
	local nokeys="$OUT/enc-$CAP_NAME-nokeys.pcapng" keyed="$OUT/enc-$CAP_NAME.pcapng"
	# the raw capture as dumpcap wrote it is the one without secrets
	cp "$raw" "$nokeys"
	# the secrets: the clients' key log, plus the servers' lines for this capture's connections
	# (matched by the client random of its ClientHellos, TLS over TCP and QUIC Initials alike)
	local randoms
	randoms=$(tshark -r "$raw" -Y 'tls.handshake.type == 1' -T fields -e tls.handshake.random 2>/dev/null |
		tr -d ':' | tr 'A-F' 'a-f' | sort -u)
	if [ -n "$randoms" ]; then
		local srvkeys=() f
		for f in "$RUN/kresd/keys.txt" "$RUN/knot/keys.txt"; do [ -s "$f" ] && srvkeys+=("$f"); done
		[ ${#srvkeys[@]} -gt 0 ] && cat "${srvkeys[@]}" |
			awk -v r="$randoms" 'BEGIN { n = split(r, a, "\n"); for (i = 1; i <= n; i++) want[a[i]] = 1 }
				NF == 3 && (tolower($2) in want)' >>"$keys" || true
		awk 'NF == 3 && !seen[$0]++' "$keys" >"$keys.u" && mv "$keys.u" "$keys"
	fi
	if [ -s "$keys" ]; then
		editcap --inject-secrets "tls,$keys" "$raw" "$keyed"
		chmod 644 "$nokeys"
	else
		# nothing to decrypt: one file (a -nokeys twin would be the same bytes)
		log "no secrets were logged for $CAP_NAME: no -nokeys file"
		cp "$raw" "$keyed"
		rm -f "$nokeys"
	fi
	chmod 644 "$keyed"
	log "  $(capinfos -c -M "$keyed" | awk -F: '/Number of packets/ {gsub(/ /,"",$2); print $2}') packets, $(grep -c . "$keys" || true) secret lines"
}

# client programs, all logging their keys to the current capture's key log
KEYS() { echo "$RUN/keys-$CAP_NAME.txt"; }
ckdig() { log "kdig $*"; inns "$NS_CLI" env SSLKEYLOGFILE="$(KEYS)" kdig "$@" >>"$RUN/client.log" 2>&1; }
cdig() { log "dig $*"; inns "$NS_CLI" dig +nocookie "$@" >>"$RUN/client.log" 2>&1; }

# plain_after NAME TYPE SERVER COMMAND...: run COMMAND (a DoT attempt); when it fails, ask SERVER
# the same question over plain UDP at once
plain_after() {
	local name=$1 type=$2 server=$3; shift 3
	local rc=0
	log "$*"
	inns "$NS_CLI" env SSLKEYLOGFILE="$(KEYS)" "$@" </dev/null >>"$RUN/client.log" 2>&1 || rc=$?
	[ "$rc" = 0 ] && return 0
	log "  DoT failed (exit $rc), plain fallback"
	cdig +tries=1 +timeout=2 @"$server" "$name" "$type" || true
}

# what a client with opportunistic/strict DoT and a plain fallback does (Android "automatic"
# private DNS, systemd-resolved DNSOverTLS=opportunistic): try DoT once; when the connection or
# the handshake fails, ask the same server the same question over plain UDP at once
dot_or_plain() {
	local server=$1 name=$2 type=$3; shift 3
	local rc=0
	ckdig +retry=0 "$@" @"$server" "$name" "$type" || rc=$?
	[ "$rc" = 0 ] && return 0
	log "  DoT failed (kdig exit $rc), plain fallback"
	cdig +tries=1 +timeout=2 @"$server" "$name" "$type" || true
}

# a DNS query in wire format (RFC 1035), ID 0 as RFC 8484 recommends, RD=1
dns_query_wire() {
	python3 - "$1" "$2" <<'PY'
import struct, sys
name, qtype = sys.argv[1], {"A": 1, "AAAA": 28, "MX": 15, "TXT": 16}[sys.argv[2]]
q = struct.pack("!HHHHHH", 0, 0x0100, 1, 0, 0, 0)
for label in name.rstrip(".").split("."):
    q += bytes([len(label)]) + label.encode()
q += b"\0" + struct.pack("!HH", qtype, 1)
sys.stdout.buffer.write(q)
PY
}

###########################################################################################
# cases: each writes enc-<name>.pcapng and enc-<name>-nokeys.pcapng

# 1. DoT answered; a second query on a new connection; then two queries on one kept-open
#    connection
case_dot() {
	cap_start dot
	ckdig +tls @203.0.113.53 www.example.test A
	ckdig +tls @203.0.113.53 v6.example.test AAAA
	ckdig +tls +keepopen @203.0.113.53 mail.example.test A example.test MX
	cap_stop
}

# 2. DoH: kdig POST, kdig GET, curl POST over HTTP/2 (application/dns-message)
case_doh() {
	dns_query_wire www.example.test A >"$RUN/query-www-A.bin"
	cap_start doh
	ckdig +https @203.0.113.53 www.example.test A
	ckdig +https-get @203.0.113.53 v6.example.test AAAA
	log "curl --http2 POST https://203.0.113.53/dns-query"
	inns "$NS_CLI" env SSLKEYLOGFILE="$(KEYS)" curl -sS --http2 -k -o "$RUN/curl-answer.bin" \
		-H 'content-type: application/dns-message' -H 'accept: application/dns-message' \
		--data-binary @"$RUN/query-www-A.bin" https://203.0.113.53/dns-query >>"$RUN/client.log" 2>&1
	cap_stop
}

# several DNS messages in one frame: a DoT client (python3's ssl module) that writes two queries
# in one TLS record, and curl sending two DoH POSTs in parallel over one HTTP/2 connection
case_pipelined() {
	cap_start pipelined
	log "python3 DoT client: www.example.test A and v6.example.test AAAA in one write"
	inns "$NS_CLI" python3 - 203.0.113.53 "$(KEYS)" >>"$RUN/client.log" 2>&1 <<'PY'
import socket, ssl, struct, sys

server, keylog = sys.argv[1], sys.argv[2]

def query(qid, name, qtype):
    msg = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        msg += bytes([len(label)]) + label.encode()
    return msg + b"\0" + struct.pack("!HH", qtype, 1)

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.set_alpn_protocols(["dot"])
ctx.keylog_filename = keylog
queries = [query(0x1111, "www.example.test", 1), query(0x2222, "v6.example.test", 28)]
with socket.create_connection((server, 853), timeout=5) as raw:
    with ctx.wrap_socket(raw) as tls:
        tls.sendall(b"".join(struct.pack("!H", len(q)) + q for q in queries))
        buf = b""
        answers = 0
        while answers < len(queries):
            data = tls.recv(65535)
            if not data:
                break
            buf += data
            while len(buf) >= 2 and len(buf) >= 2 + struct.unpack("!H", buf[:2])[0]:
                n = struct.unpack("!H", buf[:2])[0]
                print("answer id 0x%04x, %d bytes" % (struct.unpack("!H", buf[2:4])[0], n))
                buf = buf[2 + n:]
                answers += 1
PY
	dns_query_wire www.example.test A >"$RUN/query-www-A.bin"
	dns_query_wire v6.example.test AAAA >"$RUN/query-v6-AAAA.bin"
	log "curl --http2 --parallel: two DoH POSTs on one connection"
	inns "$NS_CLI" env SSLKEYLOGFILE="$(KEYS)" curl -sS --http2 -k --parallel \
		-H 'content-type: application/dns-message' --data-binary @"$RUN/query-www-A.bin" \
		-o "$RUN/curl-answer1.bin" https://203.0.113.53/dns-query --next \
		-k -H 'content-type: application/dns-message' --data-binary @"$RUN/query-v6-AAAA.bin" \
		-o "$RUN/curl-answer2.bin" https://203.0.113.53/dns-query >>"$RUN/client.log" 2>&1
	cap_stop
}

# 3. DoT to a server where nothing listens on 853 (RST), then plain DNS to the same server
case_dot_refused() {
	cap_start dot-refused
	dot_or_plain 203.0.113.54 www.example.test A +tls
	cap_stop
}

# 4. DoT to a server whose tcp/853 the router drops: kdig gives up after its 2 s timeout, then
#    plain DNS to the same server
case_dot_silent() {
	cap_start dot-silent
	dot_or_plain 203.0.113.55 www.example.test A +tls +timeout=2
	cap_stop
}

# 5. the client rejects the server's certificate (kdig +tls-ca with an unrelated CA). TLS 1.2
#    forced on the client (GnuTLS system priority override): the certificate and the client's
#    alert are in the clear. Then plain DNS to the same server.
case_dot_badcert_tls12() {
	cap_start dot-badcert-tls12
	GNUTLS_SYSTEM_PRIORITY_FILE="$RUN/certs/gnutls-no-tls13.conf" \
		dot_or_plain 203.0.113.53 www.example.test A +tls-ca="$RUN/certs/other-ca.pem" +tls-hostname=dns.example.test
	cap_stop
}
# the same with gnutls-cli, which sends a fatal alert (bad certificate) where kdig only closes
case_dot_badcert_tls12_fatal() {
	cap_start dot-badcert-tls12-fatal
	GNUTLS_SYSTEM_PRIORITY_FILE="$RUN/certs/gnutls-no-tls13.conf" \
		plain_after www.example.test A 203.0.113.53 \
		gnutls-cli --x509cafile="$RUN/certs/other-ca.pem" --alpn=dot -p 853 203.0.113.53
	cap_stop
}
# the same in TLS 1.3: the server's certificate and the client's alert are encrypted
case_dot_badcert_tls13() {
	cap_start dot-badcert-tls13
	dot_or_plain 203.0.113.53 www.example.test A +tls-ca="$RUN/certs/other-ca.pem" +tls-hostname=dns.example.test
	cap_stop
}

# 6. wrong ALPN: a DoT client at the DoH port (kdig offers "dot", kresd's doh2 wants "h2"), and an
#    HTTP/2 client at the DoT port (openssl s_client offering only "h2")
case_wrong_alpn() {
	cap_start wrong-alpn
	ckdig +tls +retry=0 -p 443 @203.0.113.53 www.example.test A || true
	log "openssl s_client -alpn h2 203.0.113.53:853"
	inns "$NS_CLI" timeout 5 openssl s_client -connect 203.0.113.53:853 -alpn h2 \
		-keylogfile "$(KEYS)" -quiet </dev/null >>"$RUN/client.log" 2>&1 || true
	cap_stop
}

###########################################################################################
# DoQ from the trixie root: kdig 3.4 (knot-dnsutils) as the client, knotd 3.4 (knot) as the
# server. dnsdist 1.9.16 of trixie cannot serve DoQ ("addDOQLocal() called but DNS over QUIC
# support is not present!": Debian builds it without quiche), and kresd has no DoQ, so the DoQ
# server is knotd, authoritative for the same example.test zone as nsd.

trixie_ready() {
	[ -e "$TRIXIE/.dnsmon-matrix-root" ] || { log "no trixie root at $TRIXIE: DoQ skipped"; return 1; }
	bind_into_trixie
	if ! chroot "$TRIXIE" sh -c 'command -v kdig && command -v knotd' >/dev/null 2>&1; then
		log "installing knot-dnsutils and knot in $TRIXIE"
		chroot "$TRIXIE" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			knot-dnsutils knot >>"$RUN/trixie-apt.log" 2>&1 ||
			{ log "apt-get in the trixie root failed: $(tail -3 "$RUN/trixie-apt.log")"; return 1; }
	fi
}
# /proc, /dev and /tmp of the host into the root (as scripts/matrix does; /tmp so that $RUN has
# the same path inside); cleanup unmounts them
bind_into_trixie() {
	local d
	for d in proc dev tmp; do
		mountpoint -q "$TRIXIE/$d" && continue
		mount --bind "/$d" "$TRIXIE/$d"
		MOUNTS+=("$TRIXIE/$d")
	done
}
intrixie() { local ns=$1; shift; ip netns exec "$ns" chroot "$TRIXIE" "$@"; }

case_doq() {
	trixie_ready || return 0
	mkdir -p "$RUN/knot"
	cp "$RUN/nsd/example.test.zone" "$RUN/knot/"
	cat >"$RUN/knot/knot.conf" <<EOF
server:
    rundir: "$RUN/knot"
    listen-quic: 203.0.113.53@853
    key-file: "$RUN/certs/server.key"
    cert-file: "$RUN/certs/server.pem"
log:
  - target: stderr
    any: info
database:
    storage: "$RUN/knot"
zone:
  - domain: example.test
    storage: "$RUN/knot"
    file: "example.test.zone"
EOF
	# knotd (GnuTLS) logs the server's QUIC secrets; cap_stop keeps those of this capture
	intrixie "$NS_SRV" env SSLKEYLOGFILE="$RUN/knot/keys.txt" knotd -c "$RUN/knot/knot.conf" \
		>"$RUN/knot/log" 2>&1 &
	wait_port "$NS_SRV" udp 203.0.113.53 853
	cap_start doq
	local q
	for q in "www.example.test A" "v6.example.test AAAA"; do
		log "kdig +quic (trixie) @203.0.113.53 $q"
		# shellcheck disable=SC2086
		intrixie "$NS_CLI" env SSLKEYLOGFILE="$(KEYS)" kdig +quic @203.0.113.53 $q \
			>>"$RUN/client.log" 2>&1 || log "  kdig +quic failed"
	done
	log "kdig +quic +keepopen (trixie): two queries on one connection"
	intrixie "$NS_CLI" env SSLKEYLOGFILE="$(KEYS)" kdig +quic +keepopen @203.0.113.53 \
		mail.example.test A example.test MX >>"$RUN/client.log" 2>&1 || log "  kdig +quic failed"
	cap_stop
}

ALL=(dot doh pipelined dot_refused dot_silent dot_badcert_tls12 dot_badcert_tls12_fatal dot_badcert_tls13 wrong_alpn doq)

main() {
	[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
	local s
	for s in ip nft ss kresd nsd kdig dig curl openssl gnutls-cli dumpcap editcap capinfos tshark python3; do
		command -v "$s" >/dev/null || { echo "missing: $s" >&2; exit 1; }
	done
	local t0=$SECONDS
	setup_topology
	start_nsd
	start_kresd
	local list=("$@")
	[ ${#list[@]} -gt 0 ] || list=("${ALL[@]}")
	for s in "${list[@]}"; do
		"case_${s//-/_}"
	done
	log "done in $((SECONDS - t0)) s: $OUT"
	[ -z "${DNSMON_ENC_DEBUG:-}" ] || { log "client log:"; cat "$RUN/client.log" >&2; }
}

# sourcing this file (for experiments) defines everything without running
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	main "$@"
fi
