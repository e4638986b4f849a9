"""Exercises what a CPython agent process does, for scripts/derive-seccomp-bases.ts to trace with strace -f.

Threads and pools, TCP/UDP/Unix sockets, a TLS handshake over loopback, asyncio, an HTTP server and client, file and
directory work, pipes and subprocesses, multiprocessing (fork and spawn), timers and signals. Not the programs the
crun suite runs (test/integration/artifacts/crun-workloads/): the base is derived from one set and checked on another.
"""
import asyncio
import concurrent.futures
import hashlib
import http.server
import json
import logging
import mmap
import multiprocessing
import os
import random
import secrets
import select
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
import zlib

TLS_DIR = os.environ.get("WARDEN_TLS_DIR")


def square(x):
    return x * x


def tcp_echo():
    srv = socket.create_server(("127.0.0.1", 0))
    port = srv.getsockname()[1]

    def serve():
        c, _ = srv.accept()
        c.sendall(c.recv(64))
        c.close()

    t = threading.Thread(target=serve)
    t.start()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(b"ping")
        assert s.recv(64) == b"ping"
    t.join()
    srv.close()


def udp_and_unix():
    a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    a.bind(("127.0.0.1", 0))
    b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    b.sendto(b"x", a.getsockname())
    a.recvfrom(16)
    a.close()
    b.close()
    l, r = socket.socketpair()
    l.sendmsg([b"hi"])
    r.recvmsg(16)
    l.close()
    r.close()
    socket.getaddrinfo("localhost", 80)


def tls_handshake():
    ctx = ssl.create_default_context()
    ctx.load_default_certs()
    if not TLS_DIR:
        return
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(os.path.join(TLS_DIR, "cert.pem"), os.path.join(TLS_DIR, "key.pem"))
    srv = socket.create_server(("127.0.0.1", 0))
    port = srv.getsockname()[1]

    def serve():
        c, _ = srv.accept()
        with sctx.wrap_socket(c, server_side=True) as tc:
            tc.sendall(tc.recv(16))

    t = threading.Thread(target=serve)
    t.start()
    cctx = ssl.create_default_context(cafile=os.path.join(TLS_DIR, "cert.pem"))
    with socket.create_connection(("127.0.0.1", port)) as raw, cctx.wrap_socket(raw, server_hostname="localhost") as tc:
        tc.sendall(b"tls")
        assert tc.recv(16) == b"tls"
    t.join()
    srv.close()


async def aio():
    async def handle(reader, writer):
        writer.write(await reader.read(16))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"aio")
    await writer.drain()
    assert await reader.read(16) == b"aio"
    writer.close()
    await asyncio.sleep(0.01)
    await asyncio.get_running_loop().run_in_executor(None, time.sleep, 0.01)
    proc = await asyncio.create_subprocess_exec("/bin/echo", "x", stdout=asyncio.subprocess.PIPE)
    await proc.communicate()
    server.close()
    await server.wait_closed()


def http_roundtrip():
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps({"ok": True}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    t = threading.Thread(target=srv.serve_forever)
    t.start()
    with urllib.request.urlopen(f"http://127.0.0.1:{srv.server_address[1]}/", timeout=5) as r:
        assert json.loads(r.read())["ok"]
    srv.shutdown()
    t.join()


def files(tmp):
    p = os.path.join(tmp, "a.txt")
    with open(p, "w") as f:
        f.write("hello\n" * 100)
        f.flush()
        os.fsync(f.fileno())
    with open(p, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        assert m[:5] == b"hello"
    os.rename(p, p + ".2")
    os.stat(p + ".2")
    os.chmod(p + ".2", 0o600)
    os.makedirs(os.path.join(tmp, "d", "e"), exist_ok=True)
    for _ in os.walk(tmp):
        pass
    os.listdir("/etc")
    with open("/etc/os-release") as f:
        f.read()
    os.unlink(p + ".2")
    db = sqlite3.connect(os.path.join(tmp, "x.db"))
    db.execute("create table t(x)")
    db.execute("insert into t values (1)")
    db.commit()
    db.close()
    logging.basicConfig(filename=os.path.join(tmp, "log.txt"), level=logging.INFO)
    logging.info("logged")
    os.path.realpath("/proc/self/exe")
    os.getcwd()


def pipes_and_processes():
    r, w = os.pipe()
    os.write(w, b"through a pipe")
    os.close(w)
    assert os.read(r, 64) == b"through a pipe"
    os.close(r)
    out = subprocess.run(["/bin/cat"], input=b"sub", capture_output=True, check=True).stdout
    assert out == b"sub"
    subprocess.run("echo $HOME | wc -c", shell=True, check=True, stdout=subprocess.DEVNULL)
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)


def pools():
    with concurrent.futures.ThreadPoolExecutor(4) as ex:
        assert list(ex.map(square, range(8)))[3] == 9
    for method in ("fork", "spawn"):
        with multiprocessing.get_context(method).Pool(2) as pool:
            assert pool.map(square, range(4)) == [0, 1, 4, 9]
    with concurrent.futures.ProcessPoolExecutor(2) as ex:
        assert ex.submit(square, 3).result() == 9


def timers_and_signals():
    fired = threading.Event()
    threading.Timer(0.01, fired.set).start()
    fired.wait(2)
    time.sleep(0.01)
    time.monotonic()
    time.process_time()
    select.select([], [], [], 0.01)
    got = []
    signal.signal(signal.SIGUSR1, lambda *a: got.append(1))
    os.kill(os.getpid(), signal.SIGUSR1)
    signal.signal(signal.SIGALRM, lambda *a: got.append(2))
    signal.setitimer(signal.ITIMER_REAL, 0.01)
    time.sleep(0.05)
    signal.alarm(0)


def misc():
    hashlib.sha256(b"x").hexdigest()
    zlib.compress(b"x" * 1000)
    uuid.uuid4()
    secrets.token_hex(16)
    random.random()
    os.cpu_count()
    os.sched_getaffinity(0)
    os.getuid(), os.geteuid(), os.getgid(), os.getpid(), os.getppid()
    os.uname()
    os.environ.get("HOME")
    sys.stdout.isatty()
    import resource

    resource.getrlimit(resource.RLIMIT_NOFILE)
    import platform

    platform.platform()
    import getpass

    try:
        getpass.getuser()
    except Exception:
        pass


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        misc()
        files(tmp)
        tcp_echo()
        udp_and_unix()
        tls_handshake()
        asyncio.run(aio())
        http_roundtrip()
        pipes_and_processes()
        pools()
        timers_and_signals()
    print("cpython workload ok")
