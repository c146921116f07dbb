"""A stand-in upstream API for the gateway and forward-auth tests: it answers every request with
JSON describing exactly what it received (method, path, headers, body) and counts the requests.
GET /__count answers the count without counting itself; paths starting /slow wait 5 s first.
Prints its port on the first line of standard output."""
import base64
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

count = 0
lock = threading.Lock()


class Echo(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def answer(self):
        global count
        if self.path == '/__count':
            self.send_json(200, {'count': count})
            return
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length > 0 else b''
        with lock:
            count += 1
        if self.path.startswith('/slow'):
            time.sleep(5)
        self.send_json(200, {
            'method': self.command,
            'path': self.path,
            'headers': {k.lower(): v for k, v in self.headers.items()},
            'body_b64': base64.b64encode(body).decode(),
        })

    def send_json(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = answer


server = ThreadingHTTPServer(('127.0.0.1', 0), Echo)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
