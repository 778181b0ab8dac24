"""report.html: a self-contained page per run, each finding a timeline, checked as a browser
renders it (Debian's headless Chromium; the test is skipped, saying so, where it is absent)."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import settings

from harness import profiles
from harness.campaign import Campaign
from harness.config import CONFIG
from harness.events import Stream
from harness.reporting import Reporter
from harness.reports.trace import load

REPO = Path(__file__).resolve().parents[1]
SCREENSHOTS = REPO / "reports" / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0"]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder with a finding of two runners racing (no-lease: both run one agent)."""
    profiles.register()
    old = (CONFIG.target, CONFIG.face)
    CONFIG.target, CONFIG.face = "mutant:no-lease", "inproc"
    try:
        reports = tmp_path_factory.mktemp("reports")
        reporter = Reporter(reports, target=CONFIG.target, target_version="reference-1", face="inproc",
                            seed=1, machines=["webhook"], profile="ci")
        campaign = Campaign(["webhook"], profile=settings.get_profile("ci"), seed=1, events=Stream([reporter]))
        reporter.finish(campaign.run())
        return reporter.folder.path
    finally:
        CONFIG.target, CONFIG.face = old


class _Text(HTMLParser):
    """The page's text per finding article, its tags, and the cells marked as bad effects."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.article: str | None = None
        self.text: dict[str, list[str]] = {}
        self.bad: dict[str, int] = {}
        self.never = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        found = dict(attrs)
        if tag == "article":
            self.article = found.get("id")
            self.text[self.article or ""] = []
        if found.get("class") == "bad" and self.article:
            self.bad[self.article] = self.bad.get(self.article, 0) + 1
        if found.get("class") == "never":
            self.never += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "article":
            self.article = None

    def handle_data(self, data: str) -> None:
        if self.article:
            self.text[self.article].append(data)


def test_each_finding_is_a_timeline_with_its_steps_its_first_bad_effect_and_its_files(run: Path) -> None:
    page = (run / "report.html").read_text(encoding="utf-8")
    parsed = _Text()
    parsed.feed(page)
    assert "script" not in parsed.tags and "http://" not in page and "https://" not in page  # self-contained
    assert str(run) not in page  # links are relative to the run folder
    traces = sorted(run.glob("trace-*.json"))
    assert traces and len(parsed.text) == len(traces)
    for path in traces:
        number = path.stem.split("-")[1]
        article = f"finding-{number}"
        text = " ".join(parsed.text[article])
        trace = load(path)
        for step in trace.steps:  # every shrunk step, in the person's words
            assert step["text"][:60] in text, (article, step["text"])
        assert parsed.bad.get(article, 0) >= 1  # the first bad effect is marked
        assert f'href="{path.name}"' in page and f'href="test_regression_{number}.py"' in page
        assert f"python -m harness replay {path.name}" in text
    races = [t for t in traces if any(s["rule"] == "race" for s in load(t).steps)]
    assert races, "the no-lease finding is two runners racing"
    race = load(races[0])
    lanes = re.search(rf'<article id="finding-{races[0].stem.split("-")[1]}">.*?<tr>(.*?)</tr>', page, re.S)
    assert lanes and sum(1 for r in ("orchestrate#", "poll#", "webhook#") if r in lanes.group(1)) >= 1
    assert len({e["actor"] for e in race.journal if "#" in e["actor"]}) >= 2  # two runners' lanes
    assert parsed.never >= 1  # what the run never reached is flagged (step kinds no rule of its machine makes)


def test_hostile_card_text_is_shown_not_run(tmp_path: Path) -> None:
    from harness.reports.html import render_timeline

    journal = [{"seq": 1, "kind": "human", "actor": "human", "step": 1,
                "data": {"action": "create_card", "task_id": 1, "title": "<script>alert(1)</script>"}}]
    shown = render_timeline(journal, [1])
    assert "<script>" not in shown and html.escape("<script>", quote=False) in shown
    assert 'class="bad"' in shown


def _render(page: Path, shot: Path | None = None) -> tuple[str, list[str]]:
    """The DOM Chromium rendered, and the console messages it logged."""
    assert CHROMIUM is not None
    profile = page.parent / ".chromium-profile"
    extra = [f"--screenshot={shot}", "--window-size=1400,2400"] if shot else ["--dump-dom"]
    done = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()],
                          capture_output=True, text=True, timeout=120, check=False)
    console = [line for line in done.stderr.splitlines() if "CONSOLE" in line]
    return done.stdout, console


def assert_renders_every_step(folder: Path) -> None:
    """The run folder's report.html renders with no console error, every step of every trace
    visible (both fronts' reports get this check)."""
    dom, console = _render(folder / "report.html")
    assert console == []
    for path in sorted(folder.glob("trace-*.json")):
        for step in load(path).steps:
            assert html.escape(step["text"][:60], quote=False) in dom


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_the_browser_renders_the_report_with_every_step_and_no_console_error(run: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.html"  # the console check itself: it must see an error
    broken.write_text("<!doctype html><script>console.error('boom')</script>", encoding="utf-8")
    assert any("boom" in line for line in _render(broken)[1])
    assert_renders_every_step(run)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / "report-no-lease.png"
    _render(run / "report.html", shot)
    assert shot.stat().st_size > 10_000
