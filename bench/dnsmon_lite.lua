-- dnsmon_lite.lua — the core of dnsmon's matching as a user would script it
-- in Lua: a post-dissector that reads Wireshark's fields, matches DNS
-- queries to responses by (transport, client, client port, server, server
-- port, DNS ID), counts retransmissions of an unanswered query, and links
-- ICMP/ICMPv6 errors to the query they quote (by the quoted key, or by the
-- quoted 5-tuple when the quote is too short to hold the DNS ID).
--
-- It exists for bench/run, as the yardstick "what would a Lua script cost":
--   tshark -X lua_script:bench/dnsmon_lite.lua -r FILE ...
-- (tshark ignores Lua scripts when run as root; bench/run runs it as nobody.)
--
-- SPDX-License-Identifier: GPL-2.0-or-later

local p = Proto("dnsmonlite", "DNS transaction monitor (Lua sketch)")

local pf_txn = ProtoField.uint32("dnsmonlite.txn", "Transaction")
local pf_outcome = ProtoField.string("dnsmonlite.outcome", "Outcome")
local pf_attempt = ProtoField.uint32("dnsmonlite.attempt", "Attempt")
local pf_query_in = ProtoField.framenum("dnsmonlite.query_in", "Query in", base.NONE, frametype.REQUEST)
local pf_response_in = ProtoField.framenum("dnsmonlite.response_in", "Response in", base.NONE,
                                           frametype.RESPONSE)
local pf_icmp_in = ProtoField.framenum("dnsmonlite.icmp_in", "ICMP error in")
local pf_rtt = ProtoField.double("dnsmonlite.rtt", "Response time (s)")
local pf_name = ProtoField.string("dnsmonlite.qname", "Name")
p.fields = { pf_txn, pf_outcome, pf_attempt, pf_query_in, pf_response_in, pf_icmp_in, pf_rtt, pf_name }

local f_ip_src = Field.new("ip.src")
local f_ip_dst = Field.new("ip.dst")
local f_ip6_src = Field.new("ipv6.src")
local f_ip6_dst = Field.new("ipv6.dst")
local f_udp_sport = Field.new("udp.srcport")
local f_udp_dport = Field.new("udp.dstport")
local f_tcp_sport = Field.new("tcp.srcport")
local f_tcp_dport = Field.new("tcp.dstport")
local f_dns_id = Field.new("dns.id")
local f_dns_resp = Field.new("dns.flags.response")
local f_dns_rcode = Field.new("dns.flags.rcode")
local f_dns_name = Field.new("dns.qry.name")
local f_icmp_type = Field.new("icmp.type")
local f_icmp6_type = Field.new("icmpv6.type")

local RCODES = { [0] = "answered", [2] = "servfail", [3] = "nxdomain", [5] = "refused" }
local WINDOW = 5.0

local txns, by_key, by_flow, frames

function p.init()
    txns = {}       -- number -> { name, first, first_ts, last_ts, attempts, response, icmp, outcome }
    by_key = {}     -- "t|client|cport|server|sport|id" -> newest transaction number
    by_flow = {}    -- "t|client|cport|server|sport" -> newest transaction number
    frames = {}     -- frame number -> { txn, role, attempt }
end

-- Addresses and ports of the outermost (first) or innermost (last) header.
local function pick(list, last)
    local n = #list
    if n == 0 then return nil end
    return tostring(last and list[n].value or list[1].value)
end

-- Endpoints of the outermost (inner = false) or innermost (the ICMP quote)
-- IP and transport headers; `six` picks the IPv6 fields.
local function endpoints(inner, six)
    local src, dst
    if six then
        src, dst = pick({ f_ip6_src() }, inner), pick({ f_ip6_dst() }, inner)
    else
        src, dst = pick({ f_ip_src() }, inner), pick({ f_ip_dst() }, inner)
    end
    local t, sp, dp = "udp", pick({ f_udp_sport() }, inner), pick({ f_udp_dport() }, inner)
    if not sp then
        t, sp, dp = "tcp", pick({ f_tcp_sport() }, inner), pick({ f_tcp_dport() }, inner)
    end
    return t, src, sp, dst, dp
end

-- true/false for an ICMP (error or not) frame, and whether it is ICMPv6;
-- nil for anything else.
local function is_icmp_error()
    local t4 = { f_icmp_type() }
    if #t4 > 0 then
        local t = t4[1].value
        return t == 3 or t == 4 or t == 11 or t == 12, false
    end
    local t6 = { f_icmp6_type() }
    if #t6 > 0 then
        local t = t6[1].value
        return t >= 1 and t <= 4, true
    end
    return nil
end

local function on_query(num, ts, t, src, sp, dst, dp, id, name)
    local flow = t .. "|" .. src .. "|" .. sp .. "|" .. dst .. "|" .. dp
    local key = flow .. "|" .. id
    local n = by_key[key]
    local x = n and txns[n]
    if x and not x.response and x.name == name and ts - x.last_ts <= WINDOW then
        x.attempts = x.attempts + 1
        x.last_ts = ts
        frames[num] = { txn = n, role = "query", attempt = x.attempts }
        return
    end
    n = #txns + 1
    txns[n] = { name = name, first = num, first_ts = ts, last_ts = ts, attempts = 1,
                outcome = "unanswered" }
    by_key[key] = n
    by_flow[flow] = n
    frames[num] = { txn = n, role = "query", attempt = 1 }
end

local function on_response(num, ts, t, src, sp, dst, dp, id, rcode)
    local n = by_key[t .. "|" .. dst .. "|" .. dp .. "|" .. src .. "|" .. sp .. "|" .. id]
    if not n then return end
    local x = txns[n]
    if not x.response then
        x.response = num
        x.rtt = ts - x.first_ts
        x.outcome = RCODES[rcode] or "error"
    end
    frames[num] = { txn = n, role = "response" }
end

local function on_icmp(num, six)
    local t, src, sp, dst, dp = endpoints(true, six)
    if not (src and sp) then return end
    local flow = t .. "|" .. src .. "|" .. sp .. "|" .. dst .. "|" .. dp
    local ids = { f_dns_id() }
    local n
    if #ids > 0 then
        n = by_key[flow .. "|" .. ids[#ids].value]
    else
        n = by_flow[flow]
    end
    if not n then return end
    local x = txns[n]
    if not x.icmp then x.icmp = num end
    if not x.response then x.outcome = "rejected" end
    frames[num] = { txn = n, role = "icmp" }
end

function p.dissector(tvb, pinfo, tree)
    local num = pinfo.number
    if not pinfo.visited then
        local err, six = is_icmp_error()
        if err then
            on_icmp(num, six)
        elseif err == nil then
            local ids = { f_dns_id() }
            if #ids > 0 then
                local t, src, sp, dst, dp = endpoints(false, #{ f_ip_src() } == 0)
                if src and sp then
                    local ts = pinfo.abs_ts
                    local names = { f_dns_name() }
                    local name = #names > 0 and names[1].value or ""
                    if f_dns_resp().value then
                        on_response(num, ts, t, src, sp, dst, dp, ids[1].value, f_dns_rcode().value)
                    else
                        on_query(num, ts, t, src, sp, dst, dp, ids[1].value, name)
                    end
                end
            end
        end
    end
    local fr = frames[num]
    if not fr or not tree then return end
    local x = txns[fr.txn]
    local st = tree:add(p, tvb(), "DNS transaction " .. fr.txn .. ": " .. x.outcome)
    st:add(pf_txn, fr.txn)
    st:add(pf_outcome, x.outcome)
    st:add(pf_name, x.name)
    if fr.role == "query" then
        st:add(pf_attempt, fr.attempt)
        if x.response then st:add(pf_response_in, x.response) end
        if x.icmp then st:add(pf_icmp_in, x.icmp) end
    else
        st:add(pf_query_in, x.first)
        if x.rtt and fr.role == "response" then st:add(pf_rtt, x.rtt) end
    end
end

register_postdissector(p)
