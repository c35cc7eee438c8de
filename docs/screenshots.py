"""The workbench's screenshots in docs/screenshots/: the demo corpus in a new store, the workbench on loopback, and
Debian Chromium walking the whole flow (tests/workbench_tour.py, as the accessibility test does), one PNG of the
window at each page named here, reduced to 256 colours.

    python docs/screenshots.py [--width 1000] [--height 720]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import pytest
from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from workbench_site import chromium_browser, serve  # noqa: E402
from workbench_tour import USERS, tour  # noqa: E402

from factdesk import FactDesk  # noqa: E402
from factdesk.demo import demo_corpus  # noqa: E402

SHOTS = ("login", "extract", "queue", "check", "curation", "report", "claimant", "search", "signoff", "publish-preview")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--width", type=int, default=1000)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--out", type=Path, default=HERE / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="factdesk-shots-") as tmp:
        root = Path(tmp)
        with FactDesk(root / "store") as desk:
            desk.ingest([demo_corpus()])
        with serve(root / "store", root / "site", USERS) as site:
            try:
                with chromium_browser() as browser:
                    for name, page in tour(site, browser, args.width, args.height):
                        if name in SHOTS:
                            path = args.out / f"{name}.png"
                            page.screenshot(path=str(path))
                            Image.open(path).convert("RGB").quantize(256).save(path, optimize=True)
                            print(f"{path.relative_to(HERE.parent)}: {path.stat().st_size // 1024} KiB")
                    browser.close()
            except pytest.skip.Exception as reason:
                sys.exit(f"cannot take screenshots: {reason}")


if __name__ == "__main__":
    main()
