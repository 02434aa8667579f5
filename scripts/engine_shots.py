#!/usr/bin/env python3
"""Every kind of TV page in Chromium, QtWebKit and NetSurf at 1280x720 and
720x576 (the SD profile), plus w3m's text dump: PNGs and .txt files to look
at (TV.md "Testing like a villager"). Against a running demo portal:

    PORTAL_DEMO_PASSWORD=demo-password-1234 PORTAL_BIND=127.0.0.1:8093 \\
        target/debug/village-portal serve --demo &
    python3 scripts/engine_shots.py --base http://127.0.0.1:8093 --out /tmp/shots

Names: {engine}-{hd|sd}-{kind}.png (w3m-{hd|sd}-{kind}.txt). NetSurf shots
show its whole window (toolbar, scrollbars, status line) so a page taller
than the screen shows its scrollbar; QtWebKit's are as tall as the render.

Needs (Debian): chromium chromium-driver wkhtmltopdf netsurf-gtk xvfb
imagemagick w3m fonts-wqy-microhei. A missing engine is skipped with a note.
"""

import argparse
import http.client
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

SIZES = {"hd": (1280, 720), "sd": (720, 576)}
V = "/tv/v/gengjing"
# NetSurf's window around a W x H page: toolbar above, scrollbar and status below.
NS_TOP, NS_EXTRA_W, NS_EXTRA_H = 42, 16, 64


def fetch(base, path, cookies, method="GET", body=None):
    """(status, headers dict lower-cased, text) without following redirects."""
    u = urllib.parse.urlsplit(base)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        # The portal takes a PIN only from its own pages.
        headers["Origin"] = f"{u.scheme}://{u.netloc}"
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    text = r.read().decode("utf-8", "replace")
    hs = {}
    for k, v in r.getheaders():
        hs.setdefault(k.lower(), []).append(v)
    return r.status, hs, text


def links(html, prefix):
    return [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+)"', html) if h.startswith(prefix)]


def discover(base):
    """The page kinds of the demo village: [(kind, path, extra cookies)]."""
    box = {"vp_stb": "STB0001"}
    status, hs, _ = fetch(base, V, box)
    alert = None
    if status == 302:
        m = re.search(r"/alert/(\d+)", hs.get("location", [""])[0])
        alert = m.group(1) if m else None
    seen = {"vp_alert_seen": alert or "0"}
    cookies = dict(box, **seen)
    kinds = [("home", V), ("villages", "/tv/villages"), ("party-tab", f"{V}/party?cat=meetings"),
             ("party-life", f"{V}/party?cat=life"),
             ("pin", f"{V}/health/me"), ("not-found", f"{V}/nope"), ("office", f"{V}/office")]
    for s in ["notices", "news", "party", "affairs", "roster", "health", "cameras", "videos"]:
        kinds.append((s, f"{V}/{s}"))
    if alert:
        kinds.append(("alert", f"{V}/alert/{alert}"))
    # A long article (several screen pages) and its second page.
    long = None
    for s in ["news", "affairs", "notices", "party"]:
        for href in links(fetch(base, f"{V}/{s}", cookies)[2], f"{V}/a/"):
            page = fetch(base, href, cookies)[2]
            if "第 1/" in page and "第 1/1 " not in page:
                long = href
                break
        if long:
            break
    if long:
        kinds += [("article", long), ("article-2", long + "?p=2")]
    news = links(fetch(base, f"{V}/news", cookies)[2], f"{V}/a/")
    if news:
        kinds.append(("news-1", news[0]))
    videos = links(fetch(base, f"{V}/videos", cookies)[2], f"{V}/a/")
    if videos:
        kinds.append(("video", videos[0]))
    cams = [h for h in links(fetch(base, f"{V}/cameras", cookies)[2], f"{V}/cameras/") if h.split("/")[-1].isdigit()]
    if cams:
        kinds.append(("camera", cams[min(1, len(cams) - 1)]))
    kinds.append(("camera-wall", f"{V}/cameras/wall"))
    life = links(fetch(base, f"{V}/party?cat=life", cookies)[2], f"{V}/life/")
    if life:
        kinds.append(("life", life[0]))
    choice = "kind=report&c=road&r=1&call=1"
    for name, p in [("voice", ""), ("voice-report", "/report"), ("voice-reasons", "/c/road"),
                    ("voice-callback", "/c/road/1"), ("voice-confirm", f"/confirm?{choice}"),
                    ("voice-keypad", f"/household?{choice}&h=00"), ("voice-help", "/help"),
                    ("voice-mine", "/mine"), ("voice-board", "/board")]:
        kinds.append((name, f"{V}/voice{p}"))
    out = [(k, p, {}) for k, p in kinds]
    # The household's readings: the PIN (1234) opens them for a while.
    status, hs, _ = fetch(base, f"{V}/health/me", cookies, "POST", "pin=1234")
    health = {}
    for c in hs.get("set-cookie", []):
        name, _, rest = c.partition("=")
        health[name] = rest.split(";")[0]
    if health:
        members_page = fetch(base, f"{V}/health/me", dict(cookies, **health))[2]
        out.append(("health-members", f"{V}/health/me", health))
        members = [h for h in links(members_page, f"{V}/health/me/") if "/key/" not in h and "/exit" not in h]
        if members:
            out.append(("health-member", members[0], health))
            out.append(("health-trends", members[0] + "?show=trends", health))
    return seen, out


def chromium(base, out, size, seen, kinds):
    from screenshots import Browser
    w, h = SIZES[size]
    b = Browser(w, h)
    try:
        b.go(base + "/healthz")
        for name, value in dict(seen, vp_screen=size, vp_stb="STB0001").items():
            b.cmd("POST", "/cookie", {"cookie": {"name": name, "value": value, "path": "/"}})
        for kind, path, extra in kinds:
            for name, value in extra.items():
                b.cmd("POST", "/cookie", {"cookie": {"name": name, "value": value, "path": f"{V}/health/me"}})
            b.go(base + path)
            time.sleep(0.3)
            b.shot(os.path.join(out, f"chromium-{size}-{kind}.png"))
    finally:
        b.close()


def cookie_args(cookies):
    args = []
    for k, v in cookies.items():
        args += ["--cookie", k, v]
    return args


def qtwebkit(base, out, size, seen, kinds):
    w, _ = SIZES[size]
    for kind, path, extra in kinds:
        png = os.path.join(out, f"qtwebkit-{size}-{kind}.png")
        cookies = dict(seen, vp_screen=size, vp_stb="STB0001", **extra)
        subprocess.run(["wkhtmltoimage", "-q", "--width", str(w), "--disable-smart-width"]
                       + cookie_args(cookies) + [base + path, png],
                       env=dict(os.environ, QT_QPA_PLATFORM="offscreen"), check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print("wrote", png)


def netsurf(base, out, size, seen, kinds, wait):
    w, h = SIZES[size]
    upstream = urllib.parse.urlsplit(base).netloc
    display = ":97"
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "1400x1000x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = dict(os.environ, DISPLAY=display, HOME=os.path.join(out, ".netsurf-home"))
    os.makedirs(env["HOME"], exist_ok=True)
    proxy_script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cookieproxy.py")
    try:
        time.sleep(1)
        for i, (kind, path, extra) in enumerate(kinds):
            cookies = dict(seen, vp_screen=size, vp_stb="STB0001", **extra)
            # A port of its own per size: NetSurf's cache keys by address,
            # not by cookie, and showed an SD home as the HD one it kept.
            port = 18400 + i + (200 if size == "sd" else 0)
            proxy = subprocess.Popen([sys.executable, proxy_script, str(port), upstream,
                                      "; ".join(f"{k}={v}" for k, v in cookies.items())])
            time.sleep(0.5)
            ns = subprocess.Popen(["netsurf-gtk", "--window_x=0", "--window_y=0",
                                   f"--window_width={w + NS_EXTRA_W}", f"--window_height={h + NS_EXTRA_H}",
                                   f"http://127.0.0.1:{port}{path}"],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(wait)
            png = os.path.join(out, f"netsurf-{size}-{kind}.png")
            subprocess.run(["import", "-window", "root", "-crop",
                            f"{w + NS_EXTRA_W}x{h + NS_EXTRA_H}+0+0", "+repage", png], env=env, check=False)
            print("wrote", png)
            ns.terminate()
            proxy.terminate()
            ns.wait()
            proxy.wait()
    finally:
        xvfb.terminate()
        xvfb.wait()


def w3m(base, out, size, seen, kinds):
    for kind, path, extra in kinds:
        cookies = dict(seen, vp_screen=size, vp_stb="STB0001", **extra)
        header = "Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items())
        res = subprocess.run(["w3m", "-dump", "-cols", "100", "-o", "accept_encoding=identity",
                              "-header", header, base + path], capture_output=True, check=False)
        txt = os.path.join(out, f"w3m-{size}-{kind}.txt")
        with open(txt, "wb") as f:
            f.write(res.stdout)
        print("wrote", txt)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="http://127.0.0.1:8093")
    ap.add_argument("--out", default="target/engine-shots")
    ap.add_argument("--engines", default="chromium,qtwebkit,netsurf,w3m")
    ap.add_argument("--sizes", default="hd,sd")
    ap.add_argument("--only", default="", help="comma-separated kinds (default: all)")
    ap.add_argument("--wait", type=float, default=4.0, help="seconds NetSurf gets to draw a page")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    seen, kinds = discover(args.base)
    if args.only:
        wanted = set(args.only.split(","))
        kinds = [k for k in kinds if k[0] in wanted]
    print("kinds:", ", ".join(k for k, _, _ in kinds))
    need = {"chromium": ["chromedriver"], "qtwebkit": ["wkhtmltoimage"],
            "netsurf": ["netsurf-gtk", "Xvfb", "import"], "w3m": ["w3m"]}
    for engine in args.engines.split(","):
        missing = [t for t in need[engine] if not shutil.which(t)]
        if missing:
            print(f"SKIPPED {engine}: {', '.join(missing)} not installed")
            continue
        for size in args.sizes.split(","):
            if engine == "netsurf":
                netsurf(args.base, args.out, size, seen, kinds, args.wait)
            else:
                globals()[engine](args.base, args.out, size, seen, kinds)


if __name__ == "__main__":
    main()
