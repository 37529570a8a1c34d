#!/usr/bin/env bash
# make-captures.sh - produce the real-kernel test captures for dnsmon.
#
# Run as root on Debian (bookworm or later). Needs the Debian packages:
#   iproute2 (ip, tc), nftables (nft), dnsmasq-base (dnsmasq), bind9-dnsutils (dig),
#   wireshark-common (dumpcap), libc-bin (getent), procps (sysctl), python3 (one IPv6 mDNS query
#   and captures/responder.py, standard library only)
# Usage: sudo captures/make-captures.sh [OUTDIR [SCENARIO...]]
#   OUTDIR defaults to the folder of this script. SCENARIO names the functions below without
#   the "scn_" prefix; without any, all of them run.
#
# Topology (all in private network namespaces, documentation addresses only):
#
#   dnsmon-$$-cli          dnsmon-$$-rtr                       dnsmon-$$-srv
#   cli0 198.51.100.10 --- rtr0 198.51.100.1   rtr1 203.0.113.1 --- srv0 203.0.113.2 .3 .5 .6 .7
#        2001:db8:1::10     2001:db8:1::1      2001:db8:2::1         2001:db8:2::2 ::3 ::5 ::6
#
#   203.0.113.2 / 2001:db8:2::2  dnsmasq "main": local zone example.test, no upstream
#   203.0.113.3 / 2001:db8:2::3  host exists, nothing listens on 53 (ICMP port unreachable)
#   203.0.113.5 / 2001:db8:2::5  dnsmasq, but the router drops its DNS traffic silently
#   203.0.113.6 / 2001:db8:2::6  dnsmasq, but the router rejects with admin-prohibited
#   203.0.113.7                  dnsmasq validating DNSSEC (root trust anchor), upstream 203.0.113.2:
#                                the unsigned local zone cannot be proven insecure -> SERVFAIL
#   203.0.113.99 / 2001:db8:2::99 nobody holds it: router's ARP / ND fails -> host unreachable
#   203.0.113.8 .10 .11-.15      captures/responder.py (started by the scenarios that need it):
#                                .8 answers from .10 (wrong source); .11-.14 answer UDP with TC=1,
#                                .11 answers over TCP, nothing listens on tcp/53 of .12, the router
#                                drops tcp/53 to .13 and rejects it to .14; .15 AXFR over TCP and
#                                errors with Extended DNS Errors over UDP
#   203.0.113.16                 dnsmasq forwarder to 192.0.2.53 (unreachable route), scenario ede
#
# The client's interface cli0 is recorded with dumpcap. Every namespace and process is removed on
# exit (trap EXIT), also on failure.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE}
[ $# -gt 0 ] && shift
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

P=dnsmon-$$
NS_CLI=$P-cli
NS_RTR=$P-rtr
NS_SRV=$P-srv
RUN=$(mktemp -d /tmp/dnsmon-captures.XXXXXX)
PIDS=()

CAPFILTER='udp port 53 or tcp port 53 or udp port 5353 or icmp or (icmp6 and not (ip6[40] >= 133 and ip6[40] <= 137))'
DIG_OPTS=(+tries=3 +timeout=1 +nocookie +noedns)

log() { printf '[make-captures] %s\n' "$*" >&2; }

cleanup() {
	local rc=$?
	set +e
	# our own background jobs (dumpcap, dnsmasq, dig), then whatever still runs in our namespaces
	local p
	for p in $(jobs -p); do
		kill "$p" 2>/dev/null
	done
	sleep 0.3
	for p in $(jobs -p); do
		kill -9 "$p" 2>/dev/null
	done
	wait 2>/dev/null
	for ns in "$NS_CLI" "$NS_RTR" "$NS_SRV"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$RUN" "/etc/netns/$NS_CLI"
	rmdir /etc/netns 2>/dev/null
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
	inns "$NS_RTR" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	# client
	inns "$NS_CLI" ip addr add 198.51.100.10/24 dev cli0
	inns "$NS_CLI" ip addr add 2001:db8:1::10/64 dev cli0 nodad
	inns "$NS_CLI" ip link set cli0 up
	inns "$NS_CLI" ip route add default via 198.51.100.1
	inns "$NS_CLI" ip -6 route add default via 2001:db8:1::1
	inns "$NS_CLI" ip route add 224.0.0.0/4 dev cli0
	# router
	inns "$NS_RTR" ip addr add 198.51.100.1/24 dev rtr0
	inns "$NS_RTR" ip addr add 2001:db8:1::1/64 dev rtr0 nodad
	inns "$NS_RTR" ip addr add 203.0.113.1/24 dev rtr1
	inns "$NS_RTR" ip addr add 2001:db8:2::1/64 dev rtr1 nodad
	inns "$NS_RTR" ip link set rtr0 up
	inns "$NS_RTR" ip link set rtr1 up
	# server host
	local a
	for a in 2 3 5 6 7 8 10 11 12 13 14 15 16; do inns "$NS_SRV" ip addr add 203.0.113.$a/24 dev srv0; done
	for a in 2 3 5 6; do inns "$NS_SRV" ip addr add 2001:db8:2::$a/64 dev srv0 nodad; done
	inns "$NS_SRV" ip link set srv0 up
	inns "$NS_SRV" ip route add default via 203.0.113.1
	inns "$NS_SRV" ip -6 route add default via 2001:db8:2::1
	sleep 1
}

# start_dnsmasq NAME ADDR... -- EXTRA-OPTIONS...: a dnsmasq in the server namespace bound to ADDRs
start_dnsmasq() {
	local name=$1; shift
	local listen=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do listen+=(--listen-address="$1"); shift; done
	[ $# -gt 0 ] && shift
	ip netns exec "$NS_SRV" dnsmasq --keep-in-foreground --conf-file=/dev/null --pid-file= \
		--bind-interfaces --except-interface=lo "${listen[@]}" --port=53 \
		--no-hosts --no-negcache \
		--log-queries=extra --log-facility="$RUN/dnsmasq-$name.log" "$@" &
	PIDS+=($!)
}


start_servers() {
	# main: local zone example.test (NXDOMAIN for unknown names in it, NODATA for a missing
	# type), no upstream at all (REFUSED for every other name)
	start_dnsmasq main 203.0.113.2 2001:db8:2::2 203.0.113.5 2001:db8:2::5 203.0.113.6 2001:db8:2::6 -- \
		--no-resolv --local=/example.test/ \
		--host-record=www.example.test,203.0.113.80 \
		--host-record=v6.example.test,203.0.113.81,2001:db8:2::81
	# validating forwarder: its upstream (main) answers unsigned data and REFUSED for the DS
	# queries, so the answer can't be validated against the root trust anchor -> SERVFAIL
	start_dnsmasq validator 203.0.113.7 -- --no-resolv --server=203.0.113.2 --dnssec \
		--trust-anchor=.,20326,8,2,E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D
	sleep 1
}

firewall() {
	inns "$NS_RTR" nft -f - <<'NFT'
table inet dnsmon {
	chain forward {
		type filter hook forward priority 0; policy accept;
		ip daddr 203.0.113.5 meta l4proto { udp, tcp } th dport 53 drop
		ip6 daddr 2001:db8:2::5 meta l4proto { udp, tcp } th dport 53 drop
		ip daddr 203.0.113.6 meta l4proto { udp, tcp } th dport 53 reject with icmp type admin-prohibited
		ip6 daddr 2001:db8:2::6 meta l4proto { udp, tcp } th dport 53 reject with icmpv6 type admin-prohibited
		ip daddr 203.0.113.13 tcp dport 53 drop
		ip daddr 203.0.113.14 tcp dport 53 reject with icmp type admin-prohibited
	}
}
NFT
}

# the client's glibc stub resolver (getent): one nameserver, 3 attempts, 1 s timeout
use_resolver() {
	mkdir -p "/etc/netns/$NS_CLI"
	printf 'nameserver %s\noptions attempts:3 timeout:1\n' "$1" >"/etc/netns/$NS_CLI/resolv.conf"
}
# use_resolvers "OPTIONS" SERVER...: several nameservers (tried in order), given options
use_resolvers() {
	local opts=$1; shift
	mkdir -p "/etc/netns/$NS_CLI"
	{ printf 'nameserver %s\n' "$@"; printf 'options %s\n' "$opts"; } >"/etc/netns/$NS_CLI/resolv.conf"
}

DIG=(dig +tries=3 +timeout=1 +nocookie)
qdig() { log "dig $*"; inns "$NS_CLI" "${DIG[@]}" "$@" >>"$RUN/dig.log" 2>&1 || true; }
qgetent() { log "getent ahostsv4 $1 (resolv.conf: $(head -1 "/etc/netns/$NS_CLI/resolv.conf"))";
	inns "$NS_CLI" getent ahostsv4 "$1" >>"$RUN/dig.log" 2>&1 || true; }
# qgetent_db DATABASE NAME: getent ahosts (A and AAAA in parallel) or ahostsv4, whatever resolv.conf
# says; never longer than 20 s (glibc's TCP connect has no timeout of its own)
qgetent_db() { log "getent $1 $2 (resolv.conf: $(tr '\n' ' ' <"/etc/netns/$NS_CLI/resolv.conf"))";
	inns "$NS_CLI" timeout 20 getent "$1" "$2" >>"$RUN/dig.log" 2>&1 || true; }

# captures/responder.py in the server namespace (once; stopped on exit with everything else)
RESP_PID=
start_responder() {
	[ -n "$RESP_PID" ] && return
	ip netns exec "$NS_SRV" python3 -u "$HERE/responder.py" >"$RUN/responder.log" 2>&1 &
	RESP_PID=$!
	PIDS+=("$RESP_PID")
	local i
	for i in $(seq 50); do grep -q ready "$RUN/responder.log" 2>/dev/null && return; sleep 0.1; done
	echo "responder did not start: $(cat "$RUN/responder.log")" >&2
	exit 1
}

CAP_PID=
cap_start() {
	local f="$OUT/$1.pcapng"
	rm -f "$f"
	log "capture $f"
	# ip execs dumpcap, so $! is dumpcap itself
	ip netns exec "$NS_CLI" dumpcap -q -i cli0 -f "$CAPFILTER" -w "$f" 2>>"$RUN/dumpcap.log" &
	CAP_PID=$!
	PIDS+=("$CAP_PID")
	local i
	for i in $(seq 50); do [ -s "$f" ] && break; sleep 0.1; done
	sleep 0.5
}
cap_stop() {
	# (SIGINT is ignored by background jobs of a script; dumpcap ends cleanly on SIGTERM too)
	kill -TERM "$CAP_PID"
	wait "$CAP_PID" || true
}

# slow link: a token bucket of 400 bit/s on the server's egress (sch_netem is not available on
# every kernel; sch_tbf is). A fresh bucket holds 400 bytes; a 392-byte filler datagram to the
# router's discard port (not on the client's link) empties it, so the next ~90-byte DNS response
# waits about 1.7 s, and every further one queues about 1.8-2 s behind the previous.
slow_link_on() {
	inns "$NS_SRV" tc qdisc add dev srv0 root tbf rate 400bit burst 400 limit 3000
	inns "$NS_SRV" bash -c 'printf "%0350d" 0 >/dev/udp/203.0.113.1/9'
}
slow_link_off() {
	inns "$NS_SRV" tc qdisc del dev srv0 root
}

###########################################################################################
# scenarios: each writes one capture

scn_healthy() {
	cap_start healthy
	qdig @203.0.113.2 www.example.test A
	qdig +tcp @203.0.113.2 www.example.test A
	qdig @203.0.113.2 www.example.test AAAA      # NODATA: only an A record exists
	sleep 1
	cap_stop
}

scn_port_unreachable() {
	cap_start port-unreachable
	qdig @203.0.113.3 yummyrecipesforme.com A    # host is up, nothing listens on udp/53
	use_resolver 203.0.113.3
	qgetent yummyrecipesforme.com.
	sleep 1
	cap_stop
}

scn_firewall_drop() {
	cap_start firewall-drop
	use_resolver 203.0.113.5
	qgetent www.example.test.                    # glibc: same socket, same ID for every attempt
	qdig @203.0.113.5 www.example.test A         # dig: same ID, new socket for every attempt
	sleep 7
	# a last, answered lookup: a capture has no "end" frame of its own, and "unanswered" needs a
	# frame at least 5 s after the last attempt (else the query is only "incomplete")
	qdig @203.0.113.2 www.example.test A
	sleep 0.5
	cap_stop
}

scn_firewall_reject() {
	cap_start firewall-reject
	qdig @203.0.113.6 www.example.test A
	sleep 1
	cap_stop
}

scn_host_unreachable() {
	cap_start host-unreachable
	qdig @203.0.113.99 www.example.test A        # nobody holds .99: the router's ARP fails
	sleep 1
	cap_stop
}

scn_rcodes() {
	cap_start rcodes
	qdig @203.0.113.2 nosuch.example.test A      # NXDOMAIN (local zone)
	qdig @203.0.113.2 www.example.org A          # REFUSED (no upstream)
	qdig @203.0.113.7 www.example.test A         # SERVFAIL (DNSSEC validation impossible)
	sleep 1
	cap_stop
}

scn_ipv6() {
	cap_start ipv6
	qdig @2001:db8:2::2 v6.example.test AAAA
	qdig +tries=2 @2001:db8:2::3 v6.example.test AAAA    # port unreachable from the server
	qdig +tries=2 @2001:db8:2::6 v6.example.test AAAA    # admin prohibited from the router
	qdig +tries=2 @2001:db8:2::99 v6.example.test AAAA   # address unreachable from the router
	sleep 3                                              # (after ~3 s of failed ND)
	cap_stop
}

scn_slow() {
	cap_start slow-server
	slow_link_on
	use_resolver 203.0.113.2
	qgetent www.example.test.    # retransmits on the same socket, takes the late answer
	sleep 5                      # the answer to the retransmission bounces meanwhile
	slow_link_off
	slow_link_on
	qdig @203.0.113.2 v6.example.test A    # new socket per try: every late answer bounces
	sleep 6
	cap_stop
	slow_link_off
}

scn_incomplete() {
	cap_start incomplete
	qdig @203.0.113.2 www.example.test A
	log "dig @203.0.113.5 (dropped), capture stops 1 s later"
	inns "$NS_CLI" dig +tries=1 +timeout=5 +nocookie @203.0.113.5 v6.example.test A >>"$RUN/dig.log" 2>&1 &
	local dpid=$!
	PIDS+=("$dpid")
	sleep 1
	cap_stop
	wait "$dpid" || true
}

scn_mdns() {
	cap_start mdns
	qdig +tries=2 -p 5353 @224.0.0.251 printer.local A
	log "mDNS query to [ff02::fb]:5353"
	inns "$NS_CLI" python3 -c '
import socket, struct
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", 5353))
q = struct.pack("!6H", 0, 0, 1, 0, 0, 0) + b"\x07printer\x05local\x00" + struct.pack("!2H", 28, 1)
s.sendto(q, ("ff02::fb", 5353, 0, socket.if_nametoindex("cli0")))
'
	qdig @203.0.113.2 www.example.test A
	sleep 1
	cap_stop
}

# a multi-homed server answering from another address than the query went to: the responder
# receives on 203.0.113.8 and answers from 203.0.113.10; the client's connected UDP socket discards
# the answer and its kernel sends ICMP port unreachable back to 203.0.113.10
scn_wrong_source() {
	start_responder
	cap_start wrong-source
	use_resolver 203.0.113.8
	qgetent www.example.test.                    # glibc: 3 attempts on one socket, 1 s apart
	qdig +tries=2 @203.0.113.8 alt.example.test A    # dig: one socket per try
	sleep 1
	cap_stop
}

# DNS over TCP refused or silent: no TCP listener (RST), the router rejects tcp/53 (ICMP
# admin-prohibited quoting the SYN), the router drops tcp/53 (SYN retransmissions, nothing back)
scn_tcp_refused() {
	cap_start tcp-refused
	qdig +tcp +tries=2 @203.0.113.3 www.example.test A      # nothing listens on tcp/53: RST
	use_resolvers "use-vc attempts:1 timeout:1" 203.0.113.3
	qgetent_db ahostsv4 www.example.test.                  # glibc over TCP (use-vc): RST
	qdig +tcp +tries=2 @203.0.113.6 www.example.test A      # router: admin-prohibited
	qdig +tcp +tries=1 +timeout=4 @203.0.113.5 www.example.test A   # router drops: SYNs at 0, 1, 3 s
	sleep 6                                                # the dropped attempt is unanswered, not incomplete
	qdig +tcp @203.0.113.2 www.example.test A              # a working TCP query: SYN-ACK, query, answer
	sleep 0.5
	cap_stop
}

# truncated UDP answers (TC=1, no answer records) and the client's retry over TCP: TCP works
# (.11), is reset (.12, nothing listens), is dropped (.13) or rejected (.14) by the router
scn_tc_fallback() {
	start_responder
	cap_start tc-fallback
	qdig @203.0.113.11 tcpok.example.test A                 # TCP retry answered
	use_resolvers "attempts:1 timeout:1" 203.0.113.11
	qgetent_db ahostsv4 tcpok-glibc.example.test.          # the same with glibc
	qdig +tries=1 @203.0.113.12 tcpreset.example.test A     # TCP retry reset
	qdig +tries=1 @203.0.113.14 tcpreject.example.test A    # TCP retry: ICMP admin-prohibited
	qdig +tries=1 +timeout=3 @203.0.113.13 tcpdrop.example.test A   # TCP retry: SYNs dropped
	sleep 6
	qdig @203.0.113.2 www.example.test A
	sleep 0.5
	cap_stop
}

# lookups as the user feels them: glibc with several nameservers fails over; A and AAAA in
# parallel are two lookups; NXDOMAIN is definitive; a gap longer than lookup_window starts anew
scn_lookups() {
	cap_start lookups
	use_resolvers "attempts:2 timeout:1" 203.0.113.3 203.0.113.2
	qgetent_db ahostsv4 www.example.test.          # .3 port unreachable, .2 answers: recovered
	use_resolvers "attempts:2 timeout:1" 203.0.113.5 203.0.113.2
	qgetent_db ahostsv4 v6.example.test.           # .5 dropped (1 s), .2 answers: recovered
	use_resolvers "attempts:2 timeout:1" 203.0.113.2
	qgetent_db ahosts v6.example.test.             # A and AAAA in parallel: two lookups
	use_resolvers "attempts:2 timeout:1" 203.0.113.3 203.0.113.5
	qgetent_db ahostsv4 www.example.test.          # fails on both servers: failed
	use_resolvers "attempts:2 timeout:1" 203.0.113.3 203.0.113.2
	qgetent_db ahostsv4 nosuch.example.test.       # .3 port unreachable, .2 NXDOMAIN: recovered
	use_resolvers "attempts:2 timeout:1" 203.0.113.2
	qgetent_db ahostsv4 nosuch.example.test.       # again: NXDOMAIN ended the last lookup
	sleep 6
	qgetent_db ahostsv4 www.example.test.          # > 5 s after the failed one: a new lookup
	sleep 0.5
	cap_stop
}

# a zone transfer answered in three DNS messages over one TCP connection
scn_axfr() {
	start_responder
	cap_start axfr
	qdig @203.0.113.15 example.test AXFR
	sleep 0.5
	cap_stop
}

# SERVFAIL, REFUSED and NOTIMP carrying Extended DNS Errors (RFC 8914): three from dnsmasq, three
# with extra text from the responder
scn_ede() {
	start_responder
	# a forwarder whose upstream cannot be reached at all (an "unreachable" route in the server's
	# own table: sendto fails at once), so it answers REFUSED right away
	inns "$NS_SRV" ip route add unreachable 192.0.2.53/32
	start_dnsmasq forwarder 203.0.113.16 -- --no-resolv --server=192.0.2.53
	local fwd=$!
	sleep 1
	cap_start ede
	qdig +tries=1 @203.0.113.2 www.example.org A      # REFUSED, EDE 14 Not Ready (no upstream)
	qdig +tries=1 @203.0.113.7 www.example.test A     # SERVFAIL, EDE 6 DNSSEC Bogus
	qdig +tries=1 @203.0.113.16 www.example.net A     # forwarder, upstream unreachable
	qdig +tries=1 @203.0.113.15 noauth.example.test A
	qdig +tries=1 @203.0.113.15 blocked.example.test A
	qdig +tries=1 @203.0.113.15 notimp.example.test A
	sleep 0.5
	cap_stop
	kill "$fwd" 2>/dev/null; wait "$fwd" 2>/dev/null || true
	inns "$NS_SRV" ip route del unreachable 192.0.2.53/32
}

ALL=(healthy port_unreachable firewall_drop firewall_reject host_unreachable rcodes ipv6 slow incomplete mdns
	wrong_source tcp_refused tc_fallback lookups axfr ede)

main() {
	[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
	local s
	for s in ip tc nft dnsmasq dig dumpcap getent python3; do
		command -v "$s" >/dev/null || { echo "missing: $s" >&2; exit 1; }
	done
	setup_topology
	start_servers
	firewall
	local list=("$@")
	[ ${#list[@]} -gt 0 ] || list=("${ALL[@]}")
	for s in "${list[@]}"; do
		"scn_$s"
	done
	chmod 644 "$OUT"/*.pcapng
	log "done: $OUT"
}

# sourcing this file (for experiments) defines everything without running
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	main "$@"
fi
