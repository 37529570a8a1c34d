"""ClickHouse servers (and ZooKeeper) for the tests, on loopback.

Server: one clickhouse-server with a temporary config, data folder and free
ports; it can be stopped and started again on the same folder and ports.
ZooKeeper: Debian's zookeeper package run by hand (java, its own config and
data folder, a free loopback port), for replication and ON CLUSTER DDL.
Cluster: SHARDS x REPLICAS servers sharing one ZooKeeper, each with the
cluster in its remote_servers (internal_replication) and its {shard} and
{replica} macros.

parse_tree() reads `-z dnsmon,tree`.
"""
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

ZOOKEEPER_JAR = "/usr/share/java/zookeeper.jar"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def missing_programs(cluster=False):
    """What is missing to run the ClickHouse tests: a list of sentences."""
    missing = [p for p in ("clickhouse-server", "clickhouse-client") if not shutil.which(p)]
    out = []
    if missing:
        out.append("%s not installed (Debian ships ClickHouse in bookworm only; trixie and sid "
                   "have no clickhouse package)" % " and ".join(missing))
    if cluster:
        if not os.path.exists(ZOOKEEPER_JAR):
            out.append("zookeeper not installed (%s missing; Debian package zookeeper)"
                       % ZOOKEEPER_JAR)
        elif not shutil.which("java"):
            out.append("java not installed (the zookeeper package needs a Java runtime)")
    return out


def wait_until(check, timeout, what, interval=0.2):
    deadline = time.time() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.time() > deadline:
            raise RuntimeError("timed out after %d s waiting for %s" % (timeout, what))
        time.sleep(interval)


class ZooKeeper:
    """A standalone ZooKeeper on 127.0.0.1 with a temporary data folder."""

    def __init__(self, root):
        self.root = os.path.join(root, "zookeeper")
        os.makedirs(os.path.join(self.root, "data"))
        self.port = free_port()
        cfg = os.path.join(self.root, "zoo.cfg")
        with open(cfg, "w") as fh:
            fh.write("tickTime=500\ninitLimit=10\nsyncLimit=5\n"
                     "dataDir=%s/data\nclientPort=%d\nclientPortAddress=127.0.0.1\n"
                     "admin.enableServer=false\nmaxClientCnxns=200\n"
                     "4lw.commands.whitelist=ruok\n" % (self.root, self.port))
        cp = ":".join(p for p in (ZOOKEEPER_JAR, "/usr/share/java/slf4j-simple.jar")
                      if os.path.exists(p))
        self.out = open(os.path.join(self.root, "zookeeper.log"), "w")
        self.proc = subprocess.Popen(
            ["java", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", cp,
             "-Dzookeeper.log.dir=" + self.root,
             "org.apache.zookeeper.server.ZooKeeperServerMain", cfg],
            stdout=self.out, stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(self.ok, 60, "zookeeper on port %d" % self.port)

    def ok(self):
        if self.proc.poll() is not None:
            raise RuntimeError("zookeeper exited (%d): %s" % (self.proc.returncode,
                                                             self.log()))
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"ruok")
                return s.recv(4) == b"imok"
        except OSError:
            return False

    def log(self):
        with open(os.path.join(self.root, "zookeeper.log"), errors="replace") as fh:
            return fh.read()[-2000:]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()


CONFIG = """<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>{r}/server.log</log><errorlog>{r}/server.err.log</errorlog></logger>
  <tcp_port>{port}</tcp_port>
  <http_port>{http}</http_port>
  <interserver_http_port>{interserver}</interserver_http_port>
  <interserver_http_host>127.0.0.1</interserver_http_host>
  <listen_host>127.0.0.1</listen_host>
  <path>{data}</path>
  <tmp_path>{data}tmp/</tmp_path>
  <user_files_path>{data}user_files/</user_files_path>
  <format_schema_path>{data}format_schemas/</format_schema_path>
  <users_config>{users}</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <max_concurrent_queries>20</max_concurrent_queries>
  <remote_servers>{clusters}</remote_servers>
{extra}</yandex>
"""

USERS = """<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks>
    <profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
    <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time>
  </interval></default></quotas>
</yandex>
"""


class Server:
    """clickhouse-server with a temporary config, data folder and ports.

    clusters(server) gives the <remote_servers> body (default: a one-shard
    cluster 'dnsmon_test' of this server); extra is more XML for the config."""

    def __init__(self, root=None, name="clickhouse", clusters=None, extra="", start=True):
        self.own_root = root is None
        self.root = os.path.join(root, name) if root else tempfile.mkdtemp(
            prefix="dnsmon-clickhouse-")
        os.makedirs(self.root, exist_ok=True)
        self.name = name
        self.port, self.http, self.interserver = free_port(), free_port(), free_port()
        self.clusters = clusters
        self.extra = extra
        self.proc = None
        self.out = None
        self.version = None
        if start:
            self.write_config()
            self.start()

    def write_config(self):
        data = os.path.join(self.root, "data") + "/"
        self.cfg = os.path.join(self.root, "config.xml")
        users = os.path.join(self.root, "users.xml")
        clusters = self.clusters(self) if self.clusters else (
            "<dnsmon_test><shard><replica><host>127.0.0.1</host><port>%d</port></replica>"
            "</shard></dnsmon_test>" % self.port)
        with open(self.cfg, "w") as fh:
            fh.write(CONFIG.format(r=self.root, port=self.port, http=self.http,
                                   interserver=self.interserver, data=data, users=users,
                                   clusters=clusters, extra=self.extra))
        with open(users, "w") as fh:
            fh.write(USERS)

    def start(self, wait=True):
        self.out = open(os.path.join(self.root, "stdout"), "a")
        self.proc = subprocess.Popen(["clickhouse-server", "--config-file=" + self.cfg],
                                     stdout=self.out, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout=90):
        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError("clickhouse-server %s exited (%d): %s" % (
                    self.name, self.proc.returncode, self.log()))
            # clickhouse-client on the native port, not sql(): ready means ready
            # for dnsmon-load, which uses that port and that client
            p = subprocess.run(self.client() + ["--query", "SELECT version()"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            if p.returncode == 0:
                self.version = p.stdout.strip()
                return True
            return False
        try:
            wait_until(ready, timeout, "clickhouse-server %s" % self.name, 0.3)
        except RuntimeError as e:
            self.stop()
            raise RuntimeError("%s: %s" % (e, self.log()))

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def log(self):
        text = ""
        for f in ("stdout", "server.err.log"):
            try:
                with open(os.path.join(self.root, f), errors="replace") as fh:
                    text += fh.read()[-2000:]
            except OSError:
                pass
        return text

    def address(self):
        return "127.0.0.1:%d" % self.port

    def client(self):
        return ["clickhouse-client", "--host", "127.0.0.1", "--port", str(self.port)]

    def sql(self, query, data=None):
        """Rows (lists of TabSeparated cells) of query, sent over the server's
        HTTP interface: the tests ask a few hundred queries, and a
        clickhouse-client process costs ~0.1 s of CPU each (dnsmon-load, the
        thing under test, still uses clickhouse-client)."""
        url = "http://127.0.0.1:%d/" % self.http
        body = query
        if data is not None:
            url += "?" + urllib.parse.urlencode({"query": query})
            body = data
        try:
            with urllib.request.urlopen(url, body.encode(), timeout=300) as r:
                out = r.read().decode()
        except urllib.error.HTTPError as e:
            raise AssertionError("query failed on %s: %s\n%s" % (
                self.name, query, e.read().decode(errors="replace"))) from None
        except OSError as e:
            raise AssertionError("query failed on %s: %s\n%s" % (self.name, query, e)) from None
        return [line.split("\t") for line in out.splitlines()]

    def stop(self, kill=False):
        """Stops the server (SIGTERM, or SIGKILL with kill=True); the folder
        stays unless the server made it itself (then see cleanup)."""
        if self.proc is not None and self.proc.poll() is None:
            if kill:
                self.proc.kill()
            else:
                self.proc.terminate()
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.out:
            self.out.close()
            self.out = None
        if self.own_root:
            shutil.rmtree(self.root, ignore_errors=True)


class Cluster:
    """SHARDS x REPLICAS clickhouse-servers and one ZooKeeper under one
    temporary folder; cluster NAME in every server's remote_servers, with
    internal_replication (a Distributed table writes one replica of a shard,
    replication copies it to the others)."""

    def __init__(self, name="fleet", shards=2, replicas=2):
        self.name = name
        self.root = tempfile.mkdtemp(prefix="dnsmon-fleet-")
        self.zk = None
        self.nodes = []
        try:
            self.zk = ZooKeeper(self.root)
            for s in range(1, shards + 1):
                for r in range(1, replicas + 1):
                    node = Server(self.root, "s%dr%d" % (s, r), self.remote_servers,
                                  start=False)
                    node.shard, node.replica = s, r
                    self.nodes.append(node)
            for node in self.nodes:
                node.extra = """  <zookeeper><node><host>127.0.0.1</host><port>{zk}</port></node>
    <session_timeout_ms>10000</session_timeout_ms></zookeeper>
  <macros><shard>{s}</shard><replica>{name}</replica></macros>
  <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>
""".format(zk=self.zk.port, s=node.shard, name=node.name)
                node.write_config()
            for node in self.nodes:           # start all, then wait for all
                node.start(wait=False)
            for node in self.nodes:
                node.wait_ready()
        except Exception:
            self.stop()
            raise
        self.version = self.nodes[0].version

    def remote_servers(self, _node):
        shards = {}
        for n in self.nodes:
            shards.setdefault(n.shard, []).append(
                "<replica><host>127.0.0.1</host><port>%d</port></replica>" % n.port)
        return "<%s>%s</%s>" % (self.name, "".join(
            "<shard><internal_replication>true</internal_replication>%s</shard>"
            % "".join(r) for _, r in sorted(shards.items())), self.name)

    def shard(self, s):
        return [n for n in self.nodes if n.shard == s]

    def hosts(self):
        return ",".join(n.address() for n in self.nodes)

    def stop(self):
        for node in self.nodes:
            node.stop()
        if self.zk:
            self.zk.stop()
        shutil.rmtree(self.root, ignore_errors=True)


TREE_LINE = re.compile(r"^( *)(\S.*?)\s{2,}(\d+)(?:\s|$)")
FAILED = {"nxdomain", "servfail", "refused", "error", "rejected", "wrong_source", "incomplete",
          "unanswered"}


def parse_tree(out):
    """-z dnsmon,tree's text as nested dicts: {row: {"": count, child: {...}}}."""
    root, stack = {}, [(-1, {})]
    stack[0] = (-1, root)
    for line in out.splitlines():
        m = TREE_LINE.match(line)
        if not m:
            continue
        depth, name, count = len(m.group(1)), m.group(2).strip(), int(m.group(3))
        while stack[-1][0] >= depth:
            stack.pop()
        node = {"": count}
        stack[-1][1][name] = node
        stack.append((depth, node))
    return root


def section(tree, name):
    """A top-level row's children as {name: count} (without zeros), '' = its count."""
    rows = tree.get(name, {})
    out = {k: (v[""] if isinstance(v, dict) else v) for k, v in rows.items()}
    return {k: v for k, v in out.items() if v}


def outcome_counts(tree):
    """The "Transactions" rows: {outcome: count}, '' = total."""
    return section(tree, "Transactions")


def lookup_counts(tree):
    """The "Lookups" rows: {lookup outcome: count}, '' = total."""
    return section(tree, "Lookups")


def failed_by_server(tree):
    """Failed transactions per server address ("By server" rows are
    ADDRESS:PORT/TRANSPORT, their children outcomes)."""
    out = {}
    for name, node in tree.get("By server", {}).items():
        if not name:
            continue
        addr = name.rsplit("/", 1)[0].rsplit(":", 1)[0].strip("[]")
        n = sum(v[""] for k, v in node.items() if k in FAILED)
        if n:
            out[addr] = out.get(addr, 0) + n
    return out


def failing_names(tree):
    """Failed transactions per "NAME TYPE" ("Failing names" rows)."""
    return {k: v for k, v in section(tree, "Failing names").items() if k}
