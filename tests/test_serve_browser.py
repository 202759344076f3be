"""The web page in a real browser: Debian's chromium driven by Playwright (no downloaded
browser), against ``seqgpt serve``'s app on a loopback port with the real default model.

Screenshots go to ``$SEQGPT_TEST_ARTIFACTS`` when set (CI keeps that folder), else to the
test's tmp_path; the path is printed either way.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

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


def test_page_highlights_spans_and_draws_label_bars(base_url: str, artefacts: Path) -> None:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                             args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(base_url + "/")
            sync_api.expect(page.locator("#status")).to_have_text("model: default")
            sync_api.expect(page.locator("#key-box")).to_be_hidden()  # no key configured

            page.fill("#text", "Tim Cook visited Beijing.")
            page.fill("#labels", "person，city")  # the Chinese comma splits labels too
            page.click("#run")
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
            page.fill("#text", "I loved it, the best film this year.")
            page.fill("#labels", "positive, negative")
            page.click("#run")
            sync_api.expect(page.locator("#bars .bar")).to_have_count(2)
            sync_api.expect(page.locator("#bars .bar.chosen")).to_have_attribute(
                "data-label", "positive")
            classify_shot = artefacts / "serve_page_classify.png"
            page.screenshot(path=str(classify_shot), full_page=True)

            page.fill("#labels", "good, good")  # refused by the API: the page shows why
            page.click("#run")
            sync_api.expect(page.locator("#error")).to_contain_text("duplicate")
            sync_api.expect(page.locator("#labels")).to_have_class("invalid")
            # A composite task: the body is built from the text and labels, spans found in
            # the result are highlighted the same way.
            page.select_option("#task", "ner")
            page.fill("#text", "Angela Merkel met Emmanuel Macron in Paris.")
            page.fill("#labels", "person, city")
            assert '"types"' in page.input_value("#body")
            page.click("#run")
            city = page.locator('#highlighted mark[data-label="city"]')
            sync_api.expect(city).to_have_text(re.compile(r"^Paris"))  # then its tag
            ner_shot = artefacts / "serve_page_ner.png"
            page.screenshot(path=str(ner_shot), full_page=True)

            # No script errors; the browser only logs the refused request itself.
            assert all("422" in p for p in problems), problems
        finally:
            browser.close()
    print(f"screenshots: {extract_shot} {classify_shot} {ner_shot}")
    assert all(p.stat().st_size > 10_000 for p in (extract_shot, classify_shot, ner_shot))
