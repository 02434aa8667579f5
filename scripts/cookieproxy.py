"""A reverse proxy that adds fixed cookies to every request (for NetSurf,
which takes no cookies on its command line). cookieproxy.py PORT UPSTREAM 'a=1; b=2'"""
import http.client, http.server, sys
PORT, UP, COOKIES = int(sys.argv[1]), sys.argv[2], sys.argv[3]
host, port = UP.split(":")
class H(http.server.BaseHTTPRequestHandler):
    def fwd(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "cookie", "connection")}
        own = self.headers.get("Cookie")
        headers["Cookie"] = COOKIES + ("; " + own if own else "")
        c = http.client.HTTPConnection(host, int(port), timeout=30)
        c.request(self.command, self.path, body=body, headers=headers)
        r = c.getresponse()
        data = r.read()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    do_GET = do_POST = fwd
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", PORT), H).serve_forever()
