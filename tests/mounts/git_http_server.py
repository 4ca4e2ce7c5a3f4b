#!/usr/bin/env python3
"""Smart-HTTP git server for cove's tests: `git http-backend` behind token auth on 127.0.0.1.

Usage: git_http_server.py ROOT   (prints the chosen port on stdout, then serves)
Environment (never argv, so the token stays out of /proc/*/cmdline):
  COVE_TEST_TOKEN            the token that may read and push everything
  COVE_TEST_FORBIDDEN_TOKEN  a token that authenticates but may read nothing (403)
  COVE_TEST_LOG              file that gets one line per request: "METHOD PATH"
Paths:
  /public/...   served without authentication
  /die/...      like the rest of the path, but upload-pack responses are cut off mid-pack
  /hang/...     accepts the request and never answers
While ROOT/die-now exists, every upload-pack response is cut off as under /die/.
"""
import base64
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = sys.argv[1]
TOKEN = os.environ["COVE_TEST_TOKEN"]
FORBIDDEN = os.environ.get("COVE_TEST_FORBIDDEN_TOKEN", "")
LOG = os.environ.get("COVE_TEST_LOG")
LOG_LOCK = threading.Lock()


def basic(token):
    return "Basic " + base64.b64encode(("x-access-token:" + token).encode()).decode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.serve()

    def do_POST(self):
        self.serve()

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self.rfile.readline().strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length", "0") or 0)
        return self.rfile.read(length) if length else b""

    def refuse(self, status, extra=None):
        self.send_response(status)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def serve(self):
        path, _, query = self.path.partition("?")
        if LOG:
            with LOG_LOCK, open(LOG, "a") as f:
                f.write(f"{self.command} {path}\n")
        mode = None
        for prefix in ("/die/", "/hang/"):
            if path.startswith(prefix):
                mode, path = prefix.strip("/"), path[len(prefix) - 1:]
        if os.path.exists(os.path.join(ROOT, "die-now")):
            mode = "die"
        if mode == "hang":
            time.sleep(120)
            return
        if not path.startswith("/public/"):
            auth = self.headers.get("Authorization", "")
            if FORBIDDEN and auth == basic(FORBIDDEN):
                return self.refuse(403)
            if auth != basic(TOKEN):
                return self.refuse(401, {"WWW-Authenticate": 'Basic realm="cove-test"'})
        body = self.read_body()
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": ROOT,
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": path,
            "REQUEST_METHOD": self.command,
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_USER": "x-access-token",
            "REMOTE_ADDR": "127.0.0.1",
        }
        if self.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
        if self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        out = subprocess.run(["git", "http-backend"], input=body, env=env,
                             capture_output=True).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        status = 200
        headers = []
        for line in head.decode("latin-1").split("\r\n"):
            if not line:
                continue
            k, _, v = line.partition(":")
            if k.lower() == "status":
                status = int(v.strip().split()[0])
            else:
                headers.append((k, v.strip()))
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        if mode == "die" and path.endswith("git-upload-pack") and self.command == "POST":
            # Promise the whole pack, send a part of it, then drop the connection.
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload[: max(1, len(payload) // 3)])
            self.wfile.flush()
            self.connection.shutdown(2)
            return
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
