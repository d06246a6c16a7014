#!/usr/bin/env python3
"""Drives a real headless Chromium over the DevTools protocol (stdlib only,
through --remote-debugging-pipe: NUL-separated JSON on fds 3 and 4), for
tests/integration/liveview.t.

  cdp.py URL [--wait JS] [--timeout S] [--ready-file F --ready JS]
         [--screenshot PNG] [--dom HTML] [--width W --height H]

Opens URL in a fresh profile, then (if --ready) writes F once the JS
expression is truthy, then waits until --wait's expression is truthy
(polled every 200 ms inside the page, which keeps its live event stream),
then saves a screenshot and the DOM as it is then. Prints one JSON line:
{"ok": bool, "waited": seconds, "title": ..., "exceptions": [...]}; exit 0
when the wait condition held, 1 otherwise.

Chromium runs as root here only with --no-sandbox (its sandbox needs an
unprivileged user); as another user it keeps its sandbox when the kernel
allows one, and falls back to --no-sandbox otherwise (LIVEVIEW_NO_SANDBOX=1).
"""
import argparse, base64, json, os, shutil, subprocess, sys, tempfile, time


class Browser:
    def __init__(self, width, height):
        self.profile = tempfile.mkdtemp(prefix="rdsim-chromium.")
        to_r, to_w = os.pipe()
        from_r, from_w = os.pipe()
        args = [shutil.which("chromium") or "chromium", "--headless", "--disable-gpu",
                "--remote-debugging-pipe", "--no-first-run", "--no-default-browser-check",
                "--user-data-dir=" + self.profile, "--window-size=%d,%d" % (width, height),
                "--hide-scrollbars", "--disable-extensions", "--disable-background-networking",
                "--disable-dev-shm-usage", "about:blank"]
        if os.geteuid() == 0 or os.environ.get("LIVEVIEW_NO_SANDBOX") == "1":
            args.insert(1, "--no-sandbox")

        def fds():
            os.dup2(to_r, 3)
            os.dup2(from_w, 4)
        self.proc = subprocess.Popen(args, pass_fds=(3, 4), preexec_fn=fds,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_r)
        os.close(from_w)
        self.w = os.fdopen(to_w, "wb", buffering=0)
        self.r = os.fdopen(from_r, "rb", buffering=0)
        self.buf = b""
        self.next_id = 0
        self.session = None
        self.exceptions = []
        self.width, self.height = width, height

    def _read_msg(self):
        while b"\0" not in self.buf:
            chunk = self.r.read(65536)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=True):
        self.next_id += 1
        m = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            m["sessionId"] = self.session
        self.w.write(json.dumps(m).encode() + b"\0")
        while True:
            reply = self._read_msg()
            if reply.get("method") == "Runtime.exceptionThrown":
                d = reply["params"]["exceptionDetails"]
                self.exceptions.append(d.get("exception", {}).get("description") or d.get("text"))
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError("%s: %s" % (method, reply["error"]))
                return reply.get("result", {})

    def open(self, url):
        targets = self.call("Target.getTargets", session=False)["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": page["targetId"], "flatten": True},
                                 session=False)["sessionId"]
        self.call("Page.enable")
        self.call("Runtime.enable")
        # The viewport exactly, so the screenshot's size is known.
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": self.width, "height": self.height, "deviceScaleFactor": 1,
                   "mobile": False})
        self.call("Page.navigate", {"url": url})

    def eval(self, expr):
        r = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True})
        return r.get("result", {}).get("value")

    def until(self, expr, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                if self.eval("!!(%s)" % expr):
                    return True
            except RuntimeError:
                pass  # a navigation in progress: the context is being replaced
            time.sleep(0.2)
        return False

    def close(self):
        try:
            self.call("Browser.close", session=False)
        except Exception:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--wait", default="document.readyState === 'complete'")
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--ready")
    ap.add_argument("--ready-file")
    ap.add_argument("--screenshot")
    ap.add_argument("--dom")
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=900)
    a = ap.parse_args()
    b = Browser(a.width, a.height)
    t0 = time.monotonic()
    ok = False
    try:
        b.open(a.url)
        if a.ready and a.ready_file:
            if not b.until(a.ready, a.timeout):
                raise RuntimeError("never ready: " + a.ready)
            with open(a.ready_file, "w") as f:
                f.write("ready\n")
        ok = b.until(a.wait, a.timeout)
        if a.screenshot:
            png = b.call("Page.captureScreenshot", {"format": "png"})["data"]
            with open(a.screenshot, "wb") as f:
                f.write(base64.b64decode(png))
        if a.dom:
            with open(a.dom, "w") as f:
                f.write(b.eval("document.documentElement.outerHTML") or "")
        title = b.eval("document.title")
    except Exception as e:  # reported, not raised: the test prints it
        b.exceptions.append("driver: %s" % e)
        title = None
    finally:
        b.close()
    print(json.dumps({"ok": ok, "waited": round(time.monotonic() - t0, 2), "title": title,
                      "exceptions": b.exceptions}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
