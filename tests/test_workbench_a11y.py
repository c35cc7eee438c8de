"""Accessibility: axe-core (from npm, `make axe`) on every page of the workbench in Debian Chromium, the reports in
their frames included, along the whole flow: no serious or critical violation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from workbench_site import Site, chromium_browser, serve
from workbench_tour import AXE, PAGES, USERS, axe_violations, tour

from factdesk import FactDesk
from factdesk.demo import demo_corpus


@pytest.fixture
def site(tmp_path) -> Iterator[Site]:
    with FactDesk(tmp_path / "store") as desk:
        assert desk.ingest([demo_corpus()]).ok
    with serve(tmp_path / "store", tmp_path / "site", USERS) as running:
        yield running


@pytest.fixture
def engine() -> str:
    """axe-core's script; the test is skipped, saying why, without it (before the site is set up)."""
    if not AXE.is_file():
        pytest.skip(f"axe-core is not installed ({AXE.relative_to(AXE.parents[3])} is missing): `make axe` installs it")
    return AXE.read_text(encoding="utf-8")


@pytest.mark.slow
def test_no_page_has_a_serious_or_critical_axe_violation(engine, site):
    found: dict[str, list[str]] = {}
    with chromium_browser() as browser:
        for name, page in tour(site, browser):
            found[name] = axe_violations(page, engine)
        browser.close()
    assert tuple(found) == PAGES  # every page was reached and checked
    assert {name: problems for name, problems in found.items() if problems} == {}
