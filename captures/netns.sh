# captures/netns.sh — what the capture scripts share for their network
# namespaces (sourced, never run): run a command in one, and make one with
# loopback up, no ICMP rate limit (every error the kernel would send is sent)
# and no IPv6 duplicate address detection or router solicitations (nothing
# on the wire the case did not ask for).

inns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

setup_ns() {
	local ns=$1
	ip netns add "$ns"
	inns "$ns" ip link set lo up
	inns "$ns" sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
	inns "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
	inns "$ns" sysctl -qw net.ipv6.conf.all.router_solicitations=0 net.ipv6.conf.default.router_solicitations=0
}
