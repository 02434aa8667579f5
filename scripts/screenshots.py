#!/usr/bin/env python3
"""Screenshots of the TV pages (1280x720) and the back office (1366x768).

Drives Debian's chromium through chromedriver (WebDriver over HTTP, standard
library only) against a running portal with the demo county:

    PORTAL_DEMO_PASSWORD=demo-password-1234 cargo run -- serve --demo &
    python3 scripts/screenshots.py --base http://127.0.0.1:8080 --out docs/screenshots

Needs: apt-get install chromium chromium-driver fonts-wqy-microhei
"""

import argparse
import base64
import json
import os
import socket
import subprocess
import time
import urllib.request

CHROME_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars",
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    def __init__(self, width, height):
        self.port = free_port()
        self.driver = subprocess.Popen(
            ["chromedriver", f"--port={self.port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                self._call("GET", "/status")
                break
            except OSError:
                time.sleep(0.1)
        caps = {"capabilities": {"alwaysMatch": {"goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": CHROME_ARGS + [f"--window-size={width},{height}"],
        }}}}
        self.session = self._call("POST", "/session", caps)["sessionId"]
        # The viewport, not the window, must be exactly the screen size.
        self.cmd("POST", "/goog/cdp/execute", {"cmd": "Emulation.setDeviceMetricsOverride", "params": {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}})

    def _call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=data, method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=60) as res:
            return json.load(res)["value"] if method != "GET" or path != "/status" else None

    def cmd(self, method, path, body=None):
        return self._call(method, f"/session/{self.session}{path}", body)

    def go(self, url):
        self.cmd("POST", "/url", {"url": url})

    def fill(self, css, text):
        el = self.cmd("POST", "/element", {"using": "css selector", "value": css})
        el_id = list(el.values())[0]
        self.cmd("POST", f"/element/{el_id}/value", {"text": text})

    def click(self, css):
        el = self.cmd("POST", "/element", {"using": "css selector", "value": css})
        self.cmd("POST", f"/element/{list(el.values())[0]}/click", {})

    def shot(self, path):
        png = base64.b64decode(self.cmd("GET", "/screenshot"))
        with open(path, "wb") as f:
            f.write(png)
        print("wrote", path)

    def close(self):
        try:
            self.cmd("DELETE", "")
        finally:
            self.driver.terminate()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="http://127.0.0.1:8080")
    ap.add_argument("--out", default="docs/screenshots")
    ap.add_argument("--password", default=os.environ.get("PORTAL_DEMO_PASSWORD", "demo-password-1234"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    tv = Browser(1280, 720)
    try:
        # A box's first visit while the demo alert is live shows the alert.
        tv.go(args.base + "/tv?stbid=STB0001")
        tv.shot(os.path.join(args.out, "tv-alert.png"))
        tv.click("#alert-ok")
        for name, path in [
            ("tv-home", "/tv/v/gengjing"),
            ("tv-list", "/tv/v/gengjing/notices"),
            ("tv-party", "/tv/v/gengjing/party"),
            ("tv-videos", "/tv/v/gengjing/videos"),
            ("tv-villages", "/tv/villages"),
            ("tv-not-found", "/tv/v/gengjing/nope"),
        ]:
            tv.go(args.base + path)
            tv.shot(os.path.join(args.out, f"{name}.png"))
        tv.go(args.base + "/tv/v/gengjing/videos")
        tv.click("#row-1")
        tv.shot(os.path.join(args.out, "tv-video.png"))
        # Every page of an article, via the list's first link of each section.
        for section in ["news", "affairs"]:
            tv.go(args.base + f"/tv/v/gengjing/{section}")
            tv.click("#row-1")
            for page in range(1, 4):
                tv.shot(os.path.join(args.out, f"tv-article-{section}-{page}.png"))
                try:
                    tv.click("#page-next")
                except Exception:
                    break
    finally:
        tv.close()

    pc = Browser(1366, 768)
    try:
        pc.go(args.base + "/admin/login")
        pc.shot(os.path.join(args.out, "admin-login.png"))
        pc.fill("#username", "admin")
        pc.fill("#password", args.password)
        pc.click("button[type=submit]")
        for name, path in [
            ("admin-dashboard", "/admin"),
            ("admin-articles", "/admin/articles"),
            ("admin-article-new", "/admin/articles/new"),
            ("admin-media", "/admin/media"),
            ("admin-alerts", "/admin/alerts"),
            ("admin-places", "/admin/places"),
            ("admin-users", "/admin/users"),
            ("admin-user-new", "/admin/users/new"),
            ("admin-households", "/admin/households"),
            ("admin-audit", "/admin/audit"),
        ]:
            pc.go(args.base + path)
            pc.shot(os.path.join(args.out, f"{name}.png"))
    finally:
        pc.close()

    # The review desk as an official, and the clerk's side of it.
    for user, shots in [
        ("official", [("admin-review-desk", "/admin", None), ("admin-review", None, "#pending a.button")]),
        ("clerk", [("admin-clerk-desk", "/admin", None), ("admin-editor", "/admin/articles/new", None)]),
    ]:
        b = Browser(1366, 768)
        try:
            b.go(args.base + "/admin/login")
            b.fill("#username", user)
            b.fill("#password", args.password)
            b.click("button[type=submit]")
            for name, path, click in shots:
                if path:
                    b.go(args.base + path)
                if click:
                    b.click(click)
                time.sleep(0.5)
                b.shot(os.path.join(args.out, f"{name}.png"))
        finally:
            b.close()


if __name__ == "__main__":
    main()
