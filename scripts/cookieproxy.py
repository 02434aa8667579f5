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
        # The fixed cookies win over ones the browser kept from an earlier
        # run (a vp_screen=hd left in NetSurf's jar made an SD shot HD).
        fixed = {c.split("=", 1)[0].strip() for c in COOKIES.split(";") if "=" in c}
        own = [c.strip() for c in (self.headers.get("Cookie") or "").split(";")
               if "=" in c and c.split("=", 1)[0].strip() not in fixed]
        headers["Cookie"] = "; ".join([COOKIES] + own)
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
