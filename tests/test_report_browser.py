"""planner report in a real browser: Debian's headless Chromium driven by selenium.

Needs the apt packages ``chromium chromium-driver fonts-noto-cjk`` and the Python package
``selenium`` (test extra); every test here is skipped cleanly when they are missing.
"""

from __future__ import annotations

import io
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from report_fixture import FIXTURE, build_plan

from planner.cli import main
from planner.report.html import headline_numbers, render_report
from planner.report.html_bridge import compute_bridge

CHROMEDRIVER = "/usr/bin/chromedriver"
selenium = pytest.importorskip("selenium", reason="selenium is not installed (pip install -e '.[test]')")
from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not (shutil.which("chromium") and Path(CHROMEDRIVER).exists()),
                       reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)"),
]
EVIL = "<script>alert(1)</script>"
EVIL_OWNER = '<img src=x onerror="window.__pwned=1">'


@pytest.fixture(scope="module")
def driver():
    profile = tempfile.mkdtemp(prefix="planner-chromium-")
    opts = webdriver.ChromeOptions()
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1280,1000"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    yield drv
    drv.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def plan():
    return build_plan()


@pytest.fixture(scope="module")
def full_page(plan, tmp_path_factory) -> Path:
    """The telesales report with every optional section."""
    from planner.allocation import allocate_owners
    from planner.phasing import phase_plan

    phase = phase_plan(plan, 2026, "month")
    alloc = allocate_owners(plan, phasing=phase)
    sens = {"tornado": [{"name": "sufficiency", "low": 14.0, "high": 11.5, "base": 12.3}],
            "frontier": [{"target": m * 5e9, "effort": 0.9 * m} for m in (1, 4, 8, 11)],
            "uncertainty": {"p_hit": 0.62, "p10": 4.1e10, "p50": 5.2e10, "p90": 6.0e10}}
    track = {"completion": [{"period": f"2026-0{m}", "team": "一组", "actual": 4e9, "target": 4.5e9} for m in (1, 2)],
             "attribution": {"gap": -1e9, "contributions": [{"driver": "转化率", "value": -1e9}]}}
    compare = [plan.to_dict(), build_plan(scenario="悲观").to_dict()]
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(render_report(plan, compare=compare, sensitivity=sens, tracking=track,
                                  phasing=[json.loads(phase.to_json()), json.loads(alloc.to_json())]),
                    encoding="utf-8")
    return path


_LOGS: dict[str, list[dict]] = {}


def load(driver, path: Path) -> list[dict]:
    """Open the page (unless it is open already), wait until plotly has drawn every chart, and
    return the console log of that load."""
    uri = path.resolve().as_uri()
    if driver.current_url == uri and uri in _LOGS:
        return _LOGS[uri]
    driver.get_log("browser")  # drop what earlier pages logged
    driver.get(uri)
    for _ in range(600):
        if driver.execute_script("return document.body && document.body.getAttribute('data-charts')") == "ready":
            break
        time.sleep(0.1)
    _LOGS[uri] = driver.get_log("browser")
    return _LOGS[uri]


def test_page_loads_without_errors_and_shows_the_headline(driver, plan, full_page) -> None:
    log = load(driver, full_page)
    assert [e for e in log if e["level"] in ("SEVERE", "ERROR")] == []
    assert driver.execute_script("return document.body.getAttribute('data-charts')") == "ready"
    nums = headline_numbers(plan)
    for key in ("target", "baseline", "multiple", "achieved", "effort", "cost", "margin"):
        assert nums[key] in driver.find_element(By.ID, f"h-{key}").text
    assert driver.find_element(By.ID, "h-target").text.startswith("目标 Target")
    assert "可达成 Reachable" in driver.find_element(By.ID, "reach").text


def test_every_chart_is_drawn_with_the_plan_data(driver, plan, full_page) -> None:
    load(driver, full_page)
    ids = driver.execute_script("return [...document.querySelectorAll('.chart')].map(d => d.id)")
    assert set(ids) == {"fig-bridge", "fig-compare", "fig-tornado", "fig-frontier", "fig-phase-0", "fig-alloc-1",
                        "fig-track", "fig-attribution"}
    for fid in ids:  # plotly drew an svg with content into every chart div
        assert driver.execute_script(f"return document.querySelectorAll('#{fid} .main-svg').length") >= 1
    data = driver.execute_script("var g = document.getElementById('fig-bridge'); "
                                 "return {y: g.data[0].y, x: g.data[0].x, scale: g.layout.meta.scale};")
    bridge = compute_bridge(plan)
    moved = [c for c in bridge.parts if c.value != 0]
    assert data["x"][1:-1] == [c.name for c in moved]
    values = [y * data["scale"] for y in data["y"]]
    assert values[0] == pytest.approx(plan.target.baseline, rel=1e-12)
    assert values[1:-1] == pytest.approx([c.value for c in moved], rel=1e-12)
    assert values[-1] == pytest.approx(plan.target.achieved, rel=1e-12)
    bars = driver.execute_script("return document.querySelectorAll('#fig-bridge g.trace g.point').length")
    assert bars == len(moved) + 2
    p_hit = driver.find_element(By.ID, "p-hit").text
    assert "62%" in p_hit


def test_hover_shows_formatted_values(driver, plan, full_page) -> None:
    load(driver, full_page)
    driver.execute_script("Plotly.Fx.hover('fig-bridge', [{curveNumber: 0, pointNumber: 1}]);")
    text = driver.execute_script("return document.querySelector('#fig-bridge .hoverlayer').textContent")
    first = compute_bridge(plan).parts[0]
    assert first.name in text and f"+{first.value / 1e8:,.2f}亿" in text


def test_tree_is_drawn(driver, plan, full_page) -> None:
    load(driver, full_page)
    boxes = driver.execute_script("return [...document.querySelectorAll('svg.tree g.box')].map(g => "
                                  "[g.getAttribute('data-name'), g.getBBox().width, g.getBBox().height])")
    names = {b[0] for b in boxes}
    assert names == {e["name"] for e in plan.tree} - {"sales"}  # sales is folded into total_sales = Σ sales
    assert all(w > 100 and h > 20 for _, w, h in boxes)
    lever = driver.find_element(By.CSS_SELECTOR, 'g.box[data-name="new_customers"]')
    assert "2.00万 → 19.09万" in lever.text and "渠道组" in lever.text


def test_screenshot_is_not_blank_and_chinese_is_not_boxes(driver, full_page) -> None:
    from PIL import Image

    load(driver, full_page)
    img = np.asarray(Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("RGB"), dtype=float)
    assert img.std() > 20  # a blank or single-colour page has ~0
    background = np.all(np.abs(img - img[5, 5]) < 8, axis=2)
    assert background.mean() < 0.9  # cards, text and charts cover a real part of the viewport
    assert len(np.unique(img.reshape(-1, 3), axis=0)) > 200
    # A missing glyph draws the same box for every character: real glyphs of different characters differ.
    same = driver.execute_script("""
        const font = '32px ' + getComputedStyle(document.body).fontFamily;
        function draw(ch) { const c = document.createElement('canvas'); c.width = 48; c.height = 48;
            const x = c.getContext('2d'); x.font = font; x.fillText(ch, 4, 38); return c.toDataURL(); }
        return [draw('电') === draw('销'), draw('目') === draw('标'), draw('\\u0378') === draw('\\u0379'),
                draw('电') === draw(''), document.fonts.check(font, '电销')];""")
    assert same[0] is False and same[1] is False  # distinct glyphs for distinct characters
    assert same[2] is True  # sanity: two unassigned code points do draw the same box
    assert same[3] is False  # and a CJK character draws something


def test_scenario_labels_show_as_text_never_run(driver, tmp_path) -> None:
    text = FIXTURE.read_text(encoding="utf-8").replace("信托", f'"{EVIL}"').replace("渠道组", f"'{EVIL_OWNER}'")
    src = tmp_path / "evil.yaml"
    src.write_text(text, encoding="utf-8")
    evil = build_plan(src)
    other = evil.to_dict() | {"scenario": EVIL}
    page = tmp_path / "evil.html"
    page.write_text(render_report(evil, compare=[evil.to_dict(), other]), encoding="utf-8")
    log = load(driver, page)
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018 - the access is the check
    assert driver.execute_script("return window.__pwned === undefined")
    assert [e for e in log if e["level"] == "SEVERE"] == []
    box = driver.find_element(By.CSS_SELECTOR, 'g.box[data-name="base_conversion"]')
    assert EVIL in box.get_attribute("textContent")
    assert EVIL_OWNER in driver.find_element(By.CSS_SELECTOR, 'g.box[data-name="new_customers"]').get_attribute(
        "textContent")
    ticks = driver.execute_script("return [...document.querySelectorAll('#fig-compare .xtick text')].map(t => t.textContent)")
    assert EVIL in ticks  # plotly shows the scenario name as text in its axis
    cells = [td.text for td in driver.find_elements(By.CSS_SELECTOR, "#levers td")]
    assert EVIL in cells


def test_pdf_copy(tmp_path, plan) -> None:
    src = tmp_path / "plan.json"
    src.write_text(plan.to_json(), encoding="utf-8")
    out, pdf = tmp_path / "r.html", tmp_path / "r.pdf"
    res = CliRunner().invoke(main, ["report", str(src), "-o", str(out), "--pdf", str(pdf)])
    assert res.exit_code == 0, res.output
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 20_000
    assert data.count(b"/Type /Page") + data.count(b"/Type/Page") >= 2  # the report spans pages
    assert out.exists()
