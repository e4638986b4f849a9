"""What the crun suite asks of CPython under a generated enforce profile, one line per check ("<check> ok").

Held out from the base derivation (scripts/seccomp-workloads/ are the programs the bases were traced from): a
profile passes because its envelope covers what an agent runtime does, not because it replays these programs.
"""
import asyncio
import os
import select
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

TLS_DIR = os.environ.get("TLS_DIR", "/tls")


def check(name, fn):
    fn()
    print(f"{name} ok", flush=True)


def thread():
    seen = []
    t = threading.Thread(target=lambda: seen.append(threading.get_ident()))
    t.start()
    t.join()
    assert seen and seen[0] != threading.get_ident()
    with ThreadPoolExecutor(3) as ex:
        assert sum(ex.map(lambda x: x * 2, range(10))) == 90


def sock():
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)

    def serve():
        conn, _ = srv.accept()
        conn.sendall(conn.recv(16).upper())
        conn.close()

    t = threading.Thread(target=serve)
    t.start()
    c = socket.create_connection(srv.getsockname(), timeout=5)
    c.sendall(b"agent")
    assert c.recv(16) == b"AGENT"
    c.close()
    t.join()
    srv.close()


def tls():
    ctx = ssl.create_default_context()
    assert ctx.cert_store_stats()["x509_ca"] > 0, "no CA certificates loaded"
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(f"{TLS_DIR}/cert.pem", f"{TLS_DIR}/key.pem")
    srv = socket.create_server(("127.0.0.1", 0))

    def serve():
        raw, _ = srv.accept()
        with server.wrap_socket(raw, server_side=True) as s:
            s.sendall(s.recv(16))

    t = threading.Thread(target=serve)
    t.start()
    client = ssl.create_default_context(cafile=f"{TLS_DIR}/cert.pem")
    with client.wrap_socket(socket.create_connection(srv.getsockname()), server_hostname="localhost") as s:
        s.sendall(b"secret")
        assert s.recv(16) == b"secret"
        assert s.version().startswith("TLS")
    t.join()
    srv.close()


def files():
    with open("/etc/os-release") as f:
        assert "ID=" in f.read()
    assert any(e.name.startswith("python3") for e in os.scandir("/usr/lib"))
    shutil.copyfile(__file__, "/tmp/copy.py")
    assert os.path.getsize("/tmp/copy.py") == os.path.getsize(__file__)
    os.remove("/tmp/copy.py")


def pipe():
    r, w = os.pipe()
    os.write(w, b"through the pipe")
    os.close(w)
    assert os.read(r, 64) == b"through the pipe"
    os.close(r)
    out = subprocess.run(["/bin/cat"], input=b"child", capture_output=True, check=True).stdout
    assert out == b"child"
    sys.stdout.write("stdout is a pipe: ")
    sys.stdout.flush()


def timers():
    fired = threading.Event()
    threading.Timer(0.02, fired.set).start()
    assert fired.wait(5)
    time.sleep(0.01)
    asyncio.run(asyncio.sleep(0.01))
    select.select([], [], [], 0.01)


for name, fn in [("thread", thread), ("socket", sock), ("tls", tls), ("file", files), ("pipe", pipe), ("timer", timers)]:
    check(name, fn)
print("all ok", flush=True)
