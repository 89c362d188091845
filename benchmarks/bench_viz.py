"""Steps per second of the `talentsim viz` page at its default population (JSON last line).

Usage: python benchmarks/bench_viz.py [REPEATS] [--browser]

The page is rendered headless with solara's own renderer (the widgets the server would send
to the browser), and its Step button clicked through the whole scenario (2010-2030, one
simulated year per step): each click runs the model's year and redraws every view, as Play
does on the server. Sending the images to the browser and painting them happens beside
that and is not counted. `viz_steps_per_second` is the best of REPEATS runs (wall clock);
`viz_steps_per_cpu_second` counts this process's CPU time instead, which is what the wall
clock would show on an idle core (on a busy machine the wall clock shows more); `model_share`
is the part of the time spent in the model itself; `load_average` the machine's 1-minute
load when the run ended.

With --browser it also starts `talentsim viz`, opens it in Debian's chromium through
Playwright, presses Play for 10 seconds at the default population and reports the years
the page showed per second (`viz_play_steps_per_second_browser`): the server, the browser
and the figures' transfer all count, on the same machine.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import statistics
import sys
import time


def one_run() -> dict:
    """Render a fresh page and click Step until the run ends; the timings."""
    import ipyvuetify as v
    import solara

    from talentsim.viz.app import Page
    from talentsim.viz.levers import DEFAULT_POPULATION
    from talentsim.viz.model import VizModel

    with contextlib.redirect_stdout(io.StringIO()):  # outside a kernel solara prints the app bar
        _box, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    step = rc.find(v.Btn, children=["Step"])
    times = []
    cpu = time.process_time()
    while not step.widget.disabled:
        start = time.perf_counter()
        step.widget.click()
        times.append(time.perf_counter() - start)
    cpu = time.process_time() - cpu
    year = rc.find(v.Html, class_="talentsim-year").widget.children[0]
    rc.close()
    model = VizModel()  # the same years without the page: the model's part
    start = time.perf_counter()
    while model.running:
        model.step()
    model_seconds = time.perf_counter() - start
    return {
        "population": DEFAULT_POPULATION,
        "steps": len(times),
        "seconds": sum(times),
        "cpu_seconds": cpu,
        "median_step_ms": statistics.median(times) * 1000,
        "model_seconds": model_seconds,
        "last_year_shown": int(year),
    }


def browser_play(seconds: float = 10.0) -> float:
    """Years per second the page shows while Play runs in chromium (`talentsim viz`)."""
    import shutil
    import signal
    import socket
    import subprocess
    import urllib.request

    from playwright.sync_api import sync_playwright

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "talentsim", "viz", "--port", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, start_new_session=True)
    address = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(180):
            try:
                urllib.request.urlopen(address, timeout=5).close()
                break
            except OSError:
                time.sleep(0.5)
        args = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run"]
        args += ["--disable-background-networking", "--disable-component-update"]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=shutil.which("chromium"), args=[*args, "--disable-sync"]
            )
            page = browser.new_page(viewport={"width": 1500, "height": 1900})
            page.goto(address, timeout=60_000)
            page.wait_for_selector(".talentsim-year", timeout=60_000)
            page.wait_for_timeout(2000)  # the first figures
            year = page.locator(".talentsim-year")
            first, start = int(year.inner_text()), time.perf_counter()
            page.get_by_role("button", name="▶", exact=True).click()
            page.wait_for_timeout(seconds * 1000)
            last, elapsed = int(year.inner_text()), time.perf_counter() - start
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    return (last - first) / elapsed


def main() -> None:
    arguments = [a for a in sys.argv[1:] if not a.startswith("--")]
    repeats = int(arguments[0]) if arguments else 3
    runs = [one_run() for _ in range(repeats)]
    best = min(runs, key=lambda r: r["seconds"])
    figures = {
        "viz_steps_per_second": round(best["steps"] / best["seconds"], 2),
        "viz_steps_per_cpu_second": round(best["steps"] / best["cpu_seconds"], 2),
        "viz_median_step_ms": round(best["median_step_ms"], 1),
        "viz_population": best["population"],
        "viz_steps": best["steps"],
        "model_share": round(best["model_seconds"] / best["seconds"], 3),
        "runs_steps_per_second": [round(r["steps"] / r["seconds"], 2) for r in runs],
        "load_average": round(os.getloadavg()[0], 2),
    }
    if "--browser" in sys.argv:
        figures["viz_play_steps_per_second_browser"] = round(browser_play(), 2)
        print(
            f"Play in chromium: {figures['viz_play_steps_per_second_browser']} years/s shown",
            flush=True,
        )
    print(
        f"viz page, {best['population']:,} agents: {figures['viz_steps_per_second']} steps/s "
        f"(a step = a simulated year and every view redrawn; median {figures['viz_median_step_ms']}"
        f" ms; the model {figures['model_share']:.0%} of it); "
        f"{figures['viz_steps_per_cpu_second']} steps per CPU second; load average "
        f"{figures['load_average']}",
        flush=True,
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
