#!/usr/bin/python3
"""Measures the app's start-up and memory (issue #5 targets) on a virtual display.

    scripts/measure-app.py target/release/tally-app [POLICY.json]

Starts Xvfb, then the app with a fresh data directory (and POLICY.json installed if given); cold
start = time from spawning the process until the first screen is painted (the header's brand
colour appears on the display, polled by screen grabs); idle RSS = the resident memory of the app
and its WebKit processes (web, network) after 10 s of idleness, and their PSS (shared library
pages counted once). MEASURE_ENV="K=V …" adds environment variables. Needs Xvfb and python3-pil.
"""
import os, subprocess, sys, tempfile, time
from PIL import ImageGrab

BRAND = (0x0B, 0x5D, 0x4B)

def tree(pid):
    """pid and its descendants."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return out

def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0

def pss_kib(pid):
    """Proportional set size: shared pages (the WebKit library mapped in every process) counted
    once across processes, so the sum over the tree is what the app costs the machine."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0

def name(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return "?"

def main():
    app = os.path.abspath(sys.argv[1])
    policy = sys.argv[2] if len(sys.argv) > 2 else None
    display = ":" + str(next(n for n in range(150, 250) if not os.path.exists(f"/tmp/.X{n}-lock")))
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "1280x900x24", "-nolisten", "tcp"],
                            stderr=subprocess.DEVNULL)
    try:
        while not os.path.exists(f"/tmp/.X11-unix/X{display[1:]}"):
            time.sleep(0.05)
        for run in range(3):
            data = tempfile.mkdtemp(prefix="tally-measure-")
            args = [app, "--data-dir", data] + (["--policy", policy] if policy else [])
            env = dict(os.environ, DISPLAY=display)
            env.update(dict(kv.split("=", 1) for kv in os.environ.get("MEASURE_ENV", "").split() if "=" in kv))
            t0 = time.monotonic()
            p = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            first = window = page = None
            while time.monotonic() - t0 < 60:
                img = ImageGrab.grab(xdisplay=display).convert("RGB")
                if window is None and img.getpixel((300, 300)) != (0, 0, 0):
                    window = time.monotonic() - t0
                # The page's own background: the document is loaded and styled.
                if page is None and img.getpixel((300, 300)) == (0xF4, 0xF6, 0xF5):
                    page = time.monotonic() - t0
                # The header (brand colour) is painted with the first real screen.
                if img.getpixel((5, 5)) == BRAND or img.getpixel((50, 20)) == BRAND:
                    first = time.monotonic() - t0
                    break
                time.sleep(0.01)
            if first is None:
                img.save(f"/tmp/measure-run{run + 1}.png")
                print(f"run {run + 1}: no first screen in 60 s (display saved to /tmp/measure-run{run + 1}.png)")
                first = float("nan")
            time.sleep(10)
            procs = [(q, name(q), rss_kib(q), pss_kib(q)) for q in tree(p.pid)]
            rss = sum(r for _, _, r, _ in procs)
            pss = sum(x for _, _, _, x in procs)
            print(f"run {run + 1}: window mapped {window or 0:.2f} s, page styled {page or 0:.2f} s, first screen {first:.2f} s; idle RSS {rss / 1024:.0f} MiB, "
                  f"PSS {pss / 1024:.0f} MiB (" + ", ".join(
                      f"{n} RSS {r / 1024:.0f} PSS {x / 1024:.0f}" for _, n, r, x in procs) + ")")
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    finally:
        xvfb.terminate()

if __name__ == "__main__":
    main()
