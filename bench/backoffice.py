#!/usr/bin/env python3
"""Back-office work for the benchmarks, through the real forms.

    backoffice.py BASE_URL --password P --seconds S [--rate 5]
                  [--approve-every 5 --approve-places ID,ID,...]
                  [--county-notice-at SECONDS]

A clerk (`clerk`, 耿井村) signs in, saves drafts and submits them at `--rate`
writes per second in all (one in five is a new sign-in, the rest draft saves
and submissions): nothing a TV shows. With `--approve-every`, the admin
writes a village notice in the next of `--approve-places`, submits and
approves it every that many seconds (the village's TV pages change). With
`--county-notice-at`, the admin publishes one county-wide notice that many
seconds in (every village's pages change). Prints one line at the end:
`writes=N approvals=N county_notices=N errors=N`; exits 1 if any write failed.
Standard library only.
"""

import argparse
import http.cookiejar
import re
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request


class Client:
    def __init__(self, base, office=0):
        self.base = base.rstrip("/")
        # Each office signs in from its own address (the portal throttles
        # sign-in bursts per address; it trusts X-Forwarded-For in the bench).
        self.office = "10.%d.%d.%d" % ((office >> 16) & 255, (office >> 8) & 255, office & 255)
        self.jar = http.cookiejar.CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect
        )

    def request(self, path, fields=None):
        data = urllib.parse.urlencode(fields).encode() if fields is not None else None
        req = urllib.request.Request(self.base + path, data=data,
                                     headers={"X-Forwarded-For": self.office})
        try:
            with self.opener.open(req, timeout=30) as res:
                return res.status, res.headers, res.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode("utf-8", "replace")

    def field(self, body, name):
        m = re.search(r'name="%s" value="([^"]*)"' % re.escape(name), body)
        if not m:
            raise RuntimeError("no %s on the page" % name)
        return m.group(1)

    def form(self, page, action, fields):
        status, _, body = self.request(page)
        if status != 200:
            raise RuntimeError("GET %s: %s" % (page, status))
        fields = dict(fields)
        fields["csrf_token"] = self.field(body, "csrf_token")
        if "version" in fields and fields["version"] is None:
            fields["version"] = self.field(body, "version")
        status, headers, body = self.request(action, fields)
        if status not in (200, 303):
            raise RuntimeError("POST %s: %s %s" % (action, status, body[:200]))
        return headers.get("Location", "")

    def login(self, username, password):
        self.form("/admin/login", "/admin/login", {"username": username, "password": password})


def article_id(location):
    m = re.match(r"/admin/articles/(\d+)", location)
    if not m:
        raise RuntimeError("no article in redirect %r" % location)
    return m.group(1)


def notice(title, scope, place=None):
    f = {"section": "notices", "scope": scope, "title": title,
         "body": "<p>%s：请各位村民相互转告。</p>" % title}
    if place:
        f["place_id"] = place
    return f


def clerk_work(args, counts, lock, stop):
    clerk = Client(args.base)
    clerk.login("clerk", args.password)
    draft = article_id(clerk.form("/admin/articles/new", "/admin/articles/new",
                                  notice("压测草稿", "village")))
    n = 0
    pause = 1.0 / args.rate
    next_at = time.monotonic()
    while not stop.is_set():
        try:
            kind = n % 5
            if kind == 0:
                Client(args.base, office=n).login("clerk", args.password)
            elif kind == 3:
                new = article_id(clerk.form("/admin/articles/new", "/admin/articles/new",
                                            notice("压测提交 %d" % n, "village")))
                clerk.form("/admin/articles/%s" % new, "/admin/articles/%s/submit" % new,
                           {"version": None})
            else:
                clerk.form("/admin/articles/%s" % draft, "/admin/articles/%s" % draft,
                           dict(notice("压测草稿 第 %d 次保存" % n, "village"), version=None))
            with lock:
                counts["writes"] += 1
        except Exception as e:  # counted and reported; the run goes on
            with lock:
                counts["errors"] += 1
                if counts["errors"] <= 3:
                    print("backoffice: %s" % e, file=sys.stderr)
        n += 1
        next_at += pause
        time.sleep(max(0.0, next_at - time.monotonic()))


def admin_work(args, counts, lock, stop, started):
    admin = Client(args.base, office=1 << 20)
    admin.login("admin", args.password)
    places = [p for p in (args.approve_places or "").split(",") if p]
    i = 0
    next_approval = started + (args.approve_every or 0)
    county_done = args.county_notice_at is None
    while not stop.is_set():
        now = time.monotonic()
        try:
            if not county_done and now - started >= args.county_notice_at:
                county_done = True
                new = article_id(admin.form("/admin/articles/new", "/admin/articles/new",
                                            notice("全区压测通知", "county")))
                admin.form("/admin/articles/%s" % new, "/admin/articles/%s/submit" % new,
                           {"version": None})
                with lock:
                    counts["county_notices"] += 1
            if places and args.approve_every and now >= next_approval:
                next_approval += args.approve_every
                place = places[i % len(places)]
                i += 1
                new = article_id(admin.form("/admin/articles/new", "/admin/articles/new",
                                            notice("压测审核 %d" % i, "village", place)))
                admin.form("/admin/articles/%s" % new, "/admin/articles/%s/submit" % new,
                           {"version": None})
                admin.form("/admin/articles/%s/review" % new, "/admin/articles/%s/approve" % new,
                           {"version": None})
                with lock:
                    counts["approvals"] += 1
        except Exception as e:
            with lock:
                counts["errors"] += 1
                print("backoffice (admin): %s" % e, file=sys.stderr)
        time.sleep(0.05)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("base")
    p.add_argument("--password", required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--rate", type=float, default=5.0)
    p.add_argument("--approve-every", type=float)
    p.add_argument("--approve-places")
    p.add_argument("--county-notice-at", type=float)
    args = p.parse_args()
    counts = {"writes": 0, "approvals": 0, "county_notices": 0, "errors": 0}
    lock = threading.Lock()
    stop = threading.Event()
    started = time.monotonic()
    threads = [threading.Thread(target=clerk_work, args=(args, counts, lock, stop))]
    if args.approve_every or args.county_notice_at is not None:
        threads.append(threading.Thread(target=admin_work,
                                        args=(args, counts, lock, stop, started)))
    for t in threads:
        t.daemon = True
        t.start()
    time.sleep(args.seconds)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    print("writes=%(writes)d approvals=%(approvals)d county_notices=%(county_notices)d errors=%(errors)d"
          % counts)
    sys.exit(1 if counts["errors"] else 0)


if __name__ == "__main__":
    main()
