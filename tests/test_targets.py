"""Daemon, binary, pid file, lock file and stubs inferred from a script's text (no sandbox needed)."""
from __future__ import annotations

import pytest

from corpus_cases import INPUT, REPO
from rewrite.parse import parse
from rewrite.targets import (LOOP_BODIES, Fake, Stub, Targets, declared_pidfile, infer, launched, library_targets,
                             started, stubs)

INIT = "/etc/rc.d/init.d/"


def _corpus(name: str) -> Targets:
    return infer((REPO / INPUT / name).read_bytes(), INIT + name.rsplit("/", 1)[-1])


@pytest.mark.parametrize(
    "name, expected",
    [
        pytest.param("redhat-2010/httpd", Targets("httpd", "/usr/sbin/httpd", "/var/run/httpd/httpd.pid",
                                                  "/var/lock/subsys/httpd", True),
                     id="status -p ${pidfile} $httpd, pidfile=${PIDFILE-...}"),
        pytest.param("redhat-2010/haproxy", Targets("haproxy", "/usr/sbin/haproxy", "/var/run/haproxy.pid",
                                                    "/var/lock/subsys/haproxy", True),
                     id="prog=$(basename $exec), -l given as a path"),
        pytest.param("redhat-2010/redis", Targets("redis-server", "/usr/sbin/redis-server",
                                                  "/var/run/redis/redis.pid", "/var/lock/subsys/redis", True),
                     id="prog=$(basename $redis)"),
        pytest.param("redhat-2010/tomcat", Targets("tomcat", "/usr/sbin/tomcat", "/var/run/tomcat.pid",
                                                   "/var/lock/subsys/tomcat", True),
                     id="NAME=$(basename $0), CATALINA_PID"),
        pytest.param("redhat-2010/ntpd", Targets("ntpd", "/usr/sbin/ntpd", "/var/run/ntpd.pid",
                                                 "/var/lock/subsys/ntpd", True),
                     id="binary from [ -x /usr/sbin/ntpd ]"),
        pytest.param("redhat-2004/httpd", Targets("httpd", "/usr/sbin/httpd", "/var/run/httpd.pid",
                                                  "/var/lock/subsys/httpd", False),
                     id="status httpd: the library's default pid file, not declared"),
        pytest.param("redhat-2004/named", Targets("named", "/usr/sbin/named", "/var/run/named.pid",
                                                  "/var/lock/subsys/named", False),
                     id="binary in sbin, not /etc/sysconfig/named"),
        pytest.param("redhat-2007/postgresql", Targets("postmaster", "/usr/bin/postmaster",
                                                       "/var/run/postmaster.5432.pid",
                                                       "/var/lock/subsys/postgresql", True,
                                                       written=("/var/lib/pgsql/data/postmaster.pid",)),
                     id="status -p /var/run/postmaster.${PGPORT}.pid postmaster, $PGDATA/postmaster.pid written"),
        pytest.param("handmade/pidcheck", Targets("pidcheck", "/usr/local/sbin/pidcheckd", "/var/run/pidcheck.pid",
                                                  "/var/lock/subsys/pidcheck", True),
                     id="NAME=pidcheck, DAEMON=/usr/local/sbin/pidcheckd: the fake at DAEMON"),
        pytest.param("redhat-2007/vsftpd", Targets("vsftpd", "/usr/sbin/vsftpd", "/var/run/vsftpd.pid",
                                                   "/var/lock/subsys/vsftpd", False),
                     id="lock file from /var/lock/subsys/$prog"),
        pytest.param("handmade/myapp", Targets("myapp", "/opt/myapp/bin/myapp", "/var/run/myapp.pid",
                                               "/var/lock/subsys/myapp", True),
                     id="own status logic: NAME, DAEMON, PIDFILE"),
        pytest.param("handmade/knotd", Targets("knotd", "/usr/sbin/knotd", "/var/run/knot/knot.pid",
                                               "/var/lock/subsys/knotd", True), id="knotd"),
    ],
)
def test_infer_corpus(name, expected):
    assert _corpus(name) == expected


def test_options_override():
    data = (REPO / INPUT / "redhat-2010/httpd").read_bytes()
    assert infer(data, INIT + "httpd", daemon="apache2", pidfile="/run/a.pid", lockfile="/run/lock/a") == \
        Targets("apache2", "/usr/sbin/apache2", "/run/a.pid", "/run/lock/a", True)


@pytest.mark.parametrize(
    "script, expected",
    [
        pytest.param(b'status_of_proc -p /run/xd.pid /usr/sbin/xd xd-display\n',
                     Targets("xd-display", "/usr/sbin/xd-display", "/run/xd.pid", "/var/lock/subsys/xd-display",
                             True), id="status_of_proc -p PIDFILE DAEMON NAME"),
        pytest.param(b'checkproc -p /run/yd.pid /usr/sbin/yd\n',
                     Targets("yd", "/usr/sbin/yd", "/run/yd.pid", "/var/lock/subsys/yd", True),
                     id="checkproc -p PIDFILE BINARY"),
        pytest.param(b'status -l zlock zd\n',
                     Targets("zd", "/usr/sbin/zd", "/var/run/zd.pid", "/var/lock/subsys/zlock", False),
                     id="status -l NAME: Red Hat looks in /var/lock/subsys/NAME"),
        pytest.param(b'case "$1" in status) echo hi ;; esac\n',
                     Targets("s", "/usr/sbin/s", "/var/run/s.pid", "/var/lock/subsys/s", False),
                     id="nothing known: the script's own name"),
        pytest.param(b'DAEMON=/usr/local/sbin/qd\nPIDFILE=${QD_PID:-/run/qd.pid}\n',
                     Targets("qd", "/usr/local/sbin/qd", "/run/qd.pid", "/var/lock/subsys/qd", True),
                     id="${X:-default}, name from DAEMON"),
    ],
)
def test_infer_forms(script, expected):
    assert infer(script, INIT + "s") == expected


def test_library_targets():
    assert library_targets(None, None, None) == Targets("httpd", "/usr/sbin/httpd", "/var/run/httpd.pid",
                                                        "/var/lock/subsys/httpd", False)
    assert library_targets("sshd", "/run/sshd.pid", None).declared


def test_stubs_kinds_and_exclusions():
    script = b"""#!/bin/sh
. /etc/rc.d/init.d/functions
. /etc/sysconfig/network
CONF=/etc/qd/qd.conf
[ -x /usr/sbin/qd ] || exit 5
[ -x /usr/sbin/qd-helper ] || exit 5
test -f $CONF || exit 6
[[ -d /var/lib/qd ]] || exit 1
[ -f /var/run/qd.pid ] && echo pidfile
[ -f /var/lock/subsys/qd ] && echo lock
[ -f relative/path ] && echo relative
[ -r "$UNKNOWN/etc/qd.extra" ] && echo unknown-prefix
[ -s /etc/ha.d/resource.d/other ] && echo deploy
"""
    targets = infer(script, INIT + "qd")
    assert targets.binary == "/usr/sbin/qd"
    assert set(stubs(script, INIT + "qd", targets, skip=("/etc/ha.d/resource.d",))) == {
        Stub("f", "/etc/sysconfig/network"), Stub("x", "/usr/sbin/qd-helper"), Stub("f", "/etc/qd/qd.conf"),
        Stub("d", "/var/lib/qd"), Stub("f", "/etc/qd.extra")}


@pytest.mark.parametrize(
    "word, expected",
    [
        pytest.param(b'"$X/a"', b"/x/a", id="string with a known variable"),
        pytest.param(b"${X}b", b"/xb", id="concatenation"),
        pytest.param(b"${UNSET-/d}", b"/d", id="default"),
        pytest.param(b"${X:-/d}", b"/x", id="default not needed"),
        pytest.param(b"$(basename $X)", b"x", id="basename"),
        pytest.param(b"$(basename $Y)", None, id="basename of an unknown"),
        pytest.param(b"$(date)", None, id="another command"),
        pytest.param(b"${X:1}", None, id="substring"),
        pytest.param(b"${#X}", None, id="length"),
        pytest.param(b"$((1 + 2))", None, id="arithmetic"),
        pytest.param(b'"$Y/a"', None, id="unknown variable"),
        pytest.param(b"$@", None, id="special parameter"),
    ],
)
def test_evaluate(word, expected):
    from rewrite.parse import parse
    from rewrite.targets import evaluate

    root = parse(b"X=/x\nv=" + word + b"\n").root_node
    value = root.children[1].child_by_field_name("value")
    assert evaluate(value, {b"X": b"/x"}) == expected


def test_stub_forms_the_scanner_skips():
    script = b"""#!/bin/sh
[ -f ]
[ -f "$UNSET" ] && echo empty
test -f
test -f "$UNSET"
test -d /var/lib/qd
.
. "$UNSET"
X=$(date)
"""
    targets = infer(script, INIT + "qd")
    assert stubs(script, INIT + "qd", targets) == (Stub("d", "/var/lib/qd"),)


@pytest.mark.parametrize(("script", "named"), [
    pytest.param(b"PIDFILE=/run/x.pid\n", True, id="a pid file variable"),
    pytest.param(b'get_option pid-file "/var/run/x/x.pid"\n', True, id="a spelled-out .pid path"),
    pytest.param(b"status httpd\n", True, id="a library status call: its default pid file"),
    pytest.param(b"pidof warmerd >/dev/null && echo running\n# no x.pid here\n", False, id="pidof and a comment"),
])
def test_names_pidfile(script, named):
    from rewrite.targets import names_pidfile
    assert names_pidfile(script, "/etc/init.d/x") is named


def test_a_spelled_out_pid_path_is_the_pid_file_without_a_library_status_call():
    mysql = infer(b'get_option mysqld_safe pid-file "/var/run/mysqld/mysqld.pid"\nprog=MySQL\n', "/x")
    assert (mysql.pidfile, mysql.declared) == ("/var/run/mysqld/mysqld.pid", True)
    library = infer(b'rm -f /var/run/httpd.pid\nstatus httpd\n', "/x")
    assert (library.pidfile, library.declared) == ("/var/run/httpd.pid", False)  # the library's default


@pytest.mark.parametrize(
    "name, others",
    [
        pytest.param("redhat-2004/sendmail", (Fake("sm-client", "/usr/sbin/sendmail", "/var/run/sm-client.pid"),),
                     id="daemon --check sm-client /usr/sbin/sendmail: an instance of the same binary"),
        pytest.param("redhat-2010/nfs", (Fake("nfsd", "/usr/sbin/nfsd", "/var/run/nfsd.pid"),
                                         Fake("rpc.rquotad", "/usr/sbin/rpc.rquotad", "/var/run/rpc.rquotad.pid")),
                     id="status rpc.mountd, nfsd, rpc.rquotad: binaries from tested paths or /usr/sbin"),
        pytest.param("redhat-2010/httpd", (), id="one daemon"),
    ],
)
def test_other_daemons_the_status_checks(name, others):
    assert _corpus(name).others == others


def test_an_option_names_one_daemon_only():
    data = (REPO / INPUT / "redhat-2004/sendmail").read_bytes()
    assert infer(data, INIT + "sendmail", daemon="sendmail").others == ()


def test_programs_the_start_code_runs():
    nfs = (REPO / INPUT / "redhat-2010/nfs").read_bytes()
    assert launched(nfs, INIT + "nfs", infer(nfs, INIT + "nfs")) == \
        ("/usr/sbin/rpc.rquotad", "/usr/sbin/rpc.nfsd", "/usr/sbin/rpc.mountd")  # `daemon NAME`: tested paths
    background = b'D=/usr/local/sbin/qd\n$D --spool /q \\\n  >/dev/null 2>&1 </dev/null &\nnohup /opt/a/bin/b -x &\n'
    assert launched(background, "/x", infer(background, "/x")) == ("/usr/local/sbin/qd", "/opt/a/bin/b")
    assert started(background, "/x", "-") == "/usr/local/sbin/qd"
    assert started(b'D=/usr/sbin/d\n$D --once\n', "/x", "-") == "-"  # in the foreground: not a daemon it starts
    assert launched(b'daemon unnamed -x\n', "/x", infer(b'', "/x")) == ()  # a PATH name it never spells out


def test_mount_points_and_a_script_without_a_daemon():
    clusterfs = _corpus("handmade/clusterfs")
    assert clusterfs.mounts == ("/cluster/data", "/cluster/home", "/cluster/scratch")  # for inst in $INSTANCES
    assert not clusterfs.processes
    mixed = infer(b'mount -t tmpfs -o size=1m none /srv/cache\nmount /proc/fs/nfsd\ndaemon /usr/sbin/cached\n', "/x")
    assert mixed.mounts == ("/srv/cache",) and mixed.processes


def test_stubs_for_paths_a_loop_builds():
    sshd = (REPO / INPUT / "suse/sshd").read_bytes()
    found = stubs(sshd, INIT + "sshd", infer(sshd, INIT + "sshd"))
    assert [s.path for s in found if s.path.startswith("/etc/ssh/")] == \
        ["/etc/ssh/ssh_host_rsa_key", "/etc/ssh/ssh_host_ecdsa_key", "/etc/ssh/ssh_host_ed25519_key"]
    vsftpd = (REPO / INPUT / "redhat-2007/vsftpd").read_bytes()
    assert Stub("f", "/etc/vsftpd/vsftpd.conf") in stubs(vsftpd, INIT + "vsftpd", infer(vsftpd, INIT + "vsftpd"))
    # `[ ! -f MAP.db -o MAP -nt MAP.db ]`: tree-sitter groups `-f` with the whole expression; the map
    # database is stubbed after its source, so it is the newer and no rebuild runs
    sendmail = (REPO / INPUT / "redhat-2004/sendmail").read_bytes()
    mail = [s.path for s in stubs(sendmail, INIT + "sendmail", infer(sendmail, INIT + "sendmail"))
            if s.path.startswith("/etc/mail/")]
    assert mail[:2] == ["/etc/mail/virtusertable", "/etc/mail/virtusertable.db"] and len(mail) == 8


@pytest.mark.parametrize(
    "script, paths",
    [
        pytest.param(b'for t in a b; do k=/etc/q/$t.key; [ -f $k ]; done\n', ["/etc/q/a.key", "/etc/q/b.key"],
                     id="an assignment in the loop body"),
        pytest.param(b'L="x y"\nfor v in $L; do for w in 1 2; do [ -f /etc/$v$w ]; done; done\n',
                     ["/etc/x1", "/etc/x2", "/etc/y1", "/etc/y2"], id="nested, a variable split on blanks"),
        pytest.param(b'for f in "a b"; do [ -f "/etc/$f" ]; done\n', ["/etc/a b"], id="a quoted value is one word"),
        pytest.param(b'for f in /etc/q/*.conf; do [ -f $f ]; done\n', ["/etc/q/s.conf"], id="a glob: one instance"),
        pytest.param(b'for f in /etc/q/?.conf; do :; done\n', [], id="another wildcard: nothing to name"),
        pytest.param(b'for f in $UNKNOWN; do [ -f /etc/$f ]; done\n', [], id="nothing known"),
        pytest.param(b'f=/x\nfor f in $UNKNOWN; do [ -f /etc/q.conf ] && [ -f $f/q.conf ]; done\n',
                     ["/etc/q.conf", "/q.conf"],
                     id="nothing known: the body still walked, the variable unknown in it"),
        pytest.param(b'for f; do [ -f /etc/$f ]; done\n', [], id="the arguments"),
    ],
)
def test_loop_forms(script, paths):
    assert [s.path for s in stubs(script, INIT + "s", infer(script, INIT + "s"))] == paths


def test_nested_loops_are_walked_within_a_budget():
    body = b"[ -f /etc/q/$a$b$c$d$e$f$g$h$i$j ]"
    for variable in b"jihgfedcba":
        body = b"for %c in 1 2 3 4 5 6 7 8; do %s; done" % (variable, body)
    found = stubs(body + b"\n", INIT + "s", infer(body + b"\n", INIT + "s"))
    assert 0 < len(found) <= LOOP_BODIES  # ten loops of eight: 8**10 bodies unless the budget stops them


@pytest.mark.parametrize("name", sorted(p.relative_to(REPO / INPUT).as_posix() for p in (REPO / INPUT).glob("*/*")
                                        if p.is_file() and p.parent.name != "broken"))
def test_declared_pidfile_is_the_pid_file_infer_declares(name):
    """What a wrapper reads without the rest of infer's work (rewrite.wrapper.render_wrapper)."""
    data = (REPO / INPUT / name).read_bytes()
    path = INIT + name.rsplit("/", 1)[-1]
    targets = infer(data, path)
    assert declared_pidfile(parse(data).root_node, path) == (targets.pidfile if targets.declared else None)
