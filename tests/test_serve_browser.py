"""The web page in a real browser: Debian's chromium driven by Playwright (no downloaded
browser), against ``seqgpt serve``'s app on a loopback port with the real default model.

Every task is run once from its form. Chinese text needs a CJK font: the tests install Debian's
``fonts-noto-cjk`` when none is there and apt can (as root), and skip the font check, saying
so, where it cannot. Screenshots go to ``$SEQGPT_TEST_ARTIFACTS`` when set (CI keeps that
folder), else to the test's tmp_path; the path is printed either way.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")
uvicorn = pytest.importorskip("uvicorn")

from test_serve import default_model  # noqa: E402

from seqgpt.serve.app import create_app  # noqa: E402
from seqgpt.serve.settings import Settings  # noqa: E402

# The model answers on a CPU that may be busy (the first classify also loads the sentence
# encoder): wait for the page generously.
sync_api.expect.set_options(timeout=60_000)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(Settings(port=port), model=default_model())
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def artefacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SEQGPT_TEST_ARTIFACTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _cjk_font_families() -> list[str]:
    if not shutil.which("fc-list"):
        return []
    listed = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True)
    return [line.split(",")[0].strip() for line in listed.stdout.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def cjk_fonts() -> list[str]:
    """The CJK font families fontconfig knows, after installing fonts-noto-cjk if need be."""
    if not _cjk_font_families() and shutil.which("apt-get") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "fonts-noto-cjk"]
        try:
            if subprocess.run(install, env=env, capture_output=True, timeout=900).returncode:
                subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True,
                               timeout=300)
                subprocess.run(install, env=env, capture_output=True, timeout=900)
        except (OSError, subprocess.TimeoutExpired):
            pass
    return _cjk_font_families()


@pytest.fixture
def page(base_url: str) -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                             args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.problems = []
            page.on("console", lambda m: page.problems.append(m.text)
                    if m.type == "error" else None)
            page.on("pageerror", lambda e: page.problems.append(str(e)))
            page.goto(base_url + "/")
            sync_api.expect(page.locator("#status")).to_have_text("model: default")
            yield page
        finally:
            browser.close()


def _run(page: Any) -> dict:
    """Press Run; the JSON body the page sent."""
    with page.expect_request(lambda r: "/v1/" in r.url and r.method == "POST") as sent:
        page.click("#run")
    return json.loads(sent.value.post_data)


def test_page_highlights_spans_and_draws_label_bars(page: Any, artefacts: Path) -> None:
    sync_api.expect(page.locator("#key-box")).to_be_hidden()  # no key configured
    page.fill("#field-text", "Tim Cook visited Beijing.")
    page.fill("#field-labels", "person，city")  # the Chinese comma splits labels too
    assert _run(page) == {"text": "Tim Cook visited Beijing.", "labels": ["person", "city"]}
    person = page.locator('#highlighted mark[data-label="person"]')
    sync_api.expect(person).to_contain_text("Tim Cook")
    sync_api.expect(page.locator('#highlighted mark[data-label="city"]')).to_contain_text(
        "Beijing")
    sync_api.expect(page.locator("#legend .chip")).to_have_count(2)
    assert '"start": 0' in page.locator("#json").inner_text()
    # Each label has its own colour.
    colours = page.eval_on_selector_all(
        "#highlighted mark", "marks => marks.map(m => getComputedStyle(m).backgroundColor)")
    assert len(set(colours)) == 2
    extract_shot = artefacts / "serve_page_extract.png"
    page.screenshot(path=str(extract_shot), full_page=True)

    page.select_option("#task", "classify")
    sync_api.expect(page.locator("#field-text")).to_have_value("Tim Cook visited Beijing.")
    page.fill("#field-text", "I loved it, the best film this year.")
    page.fill("#field-labels", "positive, negative")
    page.check("#use-threshold")
    assert _run(page)["threshold"] == 0.5
    sync_api.expect(page.locator("#bars .bar")).to_have_count(2)
    sync_api.expect(page.locator("#bars .bar.chosen")).to_have_attribute("data-label", "positive")
    classify_shot = artefacts / "serve_page_classify.png"
    page.screenshot(path=str(classify_shot), full_page=True)

    page.fill("#field-labels", "good, good")  # refused by the API: the page shows why ...
    _run(page)
    sync_api.expect(page.locator("#error")).to_contain_text("duplicate")
    sync_api.expect(page.locator("#field-labels")).to_have_class("invalid")
    sync_api.expect(page.locator("#results")).to_be_hidden()  # ... and no stale results
    assert page.locator("#json").inner_text() == ""
    # No script errors; the browser only logs the refused request itself.
    assert all("422" in p for p in page.problems), page.problems
    print(f"screenshots: {extract_shot} {classify_shot}")
    assert all(p.stat().st_size > 10_000 for p in (extract_shot, classify_shot))


def test_every_task_runs_from_its_form(page: Any, artefacts: Path) -> None:
    # The page adds the composite tasks when /v1/tasks answers: wait for them (read at once,
    # a busy machine saw only extract and classify).
    sync_api.expect(page.locator("#task option")).to_have_count(12, timeout=30_000)
    tasks = page.eval_on_selector_all("#task option", "options => options.map(o => o.value)")
    assert len(tasks) == 12 and {"relations", "nli", "extract_json"} <= set(tasks)
    sent = {}
    for task in tasks:
        page.select_option("#task", task)
        page.locator("#example-buttons button").first.click()
        sent[task] = _run(page)
        sync_api.expect(page.locator("#results")).to_be_visible()
        sync_api.expect(page.locator("#error")).to_be_hidden()
        assert '"model": "default"' in page.locator("#json").inner_text(), task
        page.screenshot(path=str(artefacts / f"serve_page_{task}.png"), full_page=True)
    # Only what the form filled is sent: no "" for the relation limits left empty.
    assert sent["relations"] == {"text": "Tim Cook works for Apple.",
                                 "relation_types": ["works for"],
                                 "entity_types": ["person", "company"]}
    assert sent["nli"]["hypothesis"] == "A person is making music."
    assert sent["events"]["schema"] == {"acquisition": ["buyer", "target", "price", "date"]}
    assert sent["extract_json"]["schema"] == {"person": ["name", "employer"], "city": "string",
                                              "company": "array"}
    assert sent["answer"]["questions"] == ["Who visited Beijing?", "When?"]
    assert sent["entity_type"]["span"] == "Apple"
    sync_api.expect(page.locator('#highlighted mark[data-label="Who visited Beijing?"]')
                    ).to_have_count(0)  # the last task run was another one
    page.select_option("#task", "relations")
    page.locator("#example-buttons button").first.click()
    page.fill("#field-min_score", "0.3")
    page.fill("#field-max_pairs", "10")
    assert _run(page)["min_score"] == 0.3
    sync_api.expect(page.locator("#results")).to_be_visible()
    page.fill("#field-max_pairs", "1000")  # over the API's limit: named, results cleared
    _run(page)
    sync_api.expect(page.locator("#error")).to_contain_text("max_pairs")
    sync_api.expect(page.locator("#field-max_pairs")).to_have_class("invalid")
    sync_api.expect(page.locator("#results")).to_be_hidden()
    assert all("422" in p for p in page.problems), page.problems


def test_chinese_text_is_drawn_with_a_cjk_font(page: Any, artefacts: Path,
                                               cjk_fonts: list[str]) -> None:
    page.locator('#example-buttons button[data-example="中文"]').click()
    _run(page)
    sync_api.expect(page.locator("#highlighted .doc")).to_contain_text("阿里巴巴集团")
    sync_api.expect(page.locator("#highlighted mark").first).to_be_visible()
    shot = artefacts / "serve_page_chinese.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    if not cjk_fonts:
        pytest.skip("no CJK font installed and apt-get could not install fonts-noto-cjk "
                    "(needs root and the network); the screenshot may show boxes")
    # The fonts Chromium really drew the text with (DevTools protocol), not just the CSS.
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "#highlighted .doc"})
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]
    used = {f["familyName"] for f in fonts if f["glyphCount"] > 0}
    assert any("CJK" in name or name in cjk_fonts for name in used), (used, cjk_fonts)
