"""Publishing: immutable, versioned fact-checks written to a folder; a correction is a new dated version."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from factdesk.config import PublishConfig
from factdesk.errors import FactdeskError
from factdesk.explain.render import blockquote, render, render_html
from factdesk.explain.writer import format_date
from factdesk.fetch.archive import WarcRecord, archive_folder, record_bytes
from factdesk.fetch.log import archived_copies
from factdesk.publish.averitec import averitec_record
from factdesk.publish.claimreview import claim_review
from factdesk.publish.desk import current_check, overrule
from factdesk.publish.ratings import load_scale
from factdesk.records import FactCheck, factcheck_from_jsonable, to_jsonable
from factdesk.store import StoreBackend


@dataclass(frozen=True)
class Publication:
    slug: str
    version: int
    check_id: int
    check: FactCheck
    claim_review: dict[str, Any]
    corrections: tuple[str, ...]
    folder: Path | None = None
    # doc_id → its archived copy (``fetch.log.archived_copies``): the HTML links each fetched source's WARC record
    archived: dict[str, dict[str, Any]] = field(default_factory=dict)

    def files(self) -> dict[str, str]:
        """File name → content; rendering is deterministic, so a version always yields the same bytes."""
        links = {doc_id: str(copy["file"]) for doc_id, copy in self.archived.items()}
        return {
            "index.html": render_html(self.check, self.claim_review, self.corrections, links),
            "report.md": "".join(map(blockquote, self.corrections)) + render(self.check, "markdown"),
            "claimreview.json": json.dumps(self.claim_review, ensure_ascii=False, indent=2) + "\n",
            "averitec.json": json.dumps(averitec_record(self.check), ensure_ascii=False, indent=2) + "\n",
            "factcheck.json": json.dumps(to_jsonable(self.check), ensure_ascii=False, indent=2) + "\n",
        }


def _encoded(content: str | bytes) -> bytes:
    return content if isinstance(content, bytes) else content.encode("utf-8")


def slugify(text: str) -> str:
    words = re.sub(r"[^a-z0-9]+", " ", text.lower()).split()[:8]
    return "-".join(words) + "-" + hashlib.sha256(text.encode()).hexdigest()[:6]


class Publisher:
    def __init__(self, store: StoreBackend, config: PublishConfig | None = None) -> None:
        self.store = store
        self.config = config or PublishConfig()
        self.scale = load_scale(self.config.rating_scale)

    def publish(self, check_id: int, out: Path, today: date | None = None) -> Publication:
        """Publishes a stored fact-check, as it now stands (its latest revision), as version 1; publishing it again
        only rewrites missing files."""
        existing = self.store.publications(check_id=check_id)
        if existing:
            return self._materialise(self._from_row(existing[-1]), out)
        check = current_check(self.store, check_id)
        return self._add(self._new_slug(check), 1, check_id, check, (), out, today)

    def preview(self, check_id: int, today: date | None = None) -> Publication:
        """What publishing the fact-check would publish (what it did, if it is published); stores and writes
        nothing."""
        existing = self.store.publications(check_id=check_id)
        if existing:
            return self._from_row(existing[-1])
        check = current_check(self.store, check_id)
        return self._build(self._new_slug(check), 1, check_id, check, (), today)

    def _new_slug(self, check: FactCheck) -> str:
        slug = slugify(check.claim.text)
        if self.store.publications(slug=slug):
            raise FactdeskError(f"{slug} is already published from another fact-check; use `factdesk correct {slug}`")
        return slug

    def correct(
        self,
        slug: str,
        note: str,
        out: Path,
        check_id: int | None = None,
        label: str | None = None,
        today: date | None = None,
    ) -> Publication:
        """A new version with a dated correction note; earlier versions stay as they were."""
        versions = self.store.publications(slug=slug)
        if not versions:
            raise FactdeskError(f"nothing published under {slug!r}")
        if not note.strip():
            raise FactdeskError("a correction needs a note saying what changed and why")
        latest = self._from_row(versions[-1])
        new_id = check_id if check_id is not None else latest.check_id
        check = current_check(self.store, new_id) if check_id is not None else latest.check
        if label is not None:
            check = self._overrule(check, label)
        day = today or datetime.now(UTC).date()
        corrections = (*latest.corrections, f"Correction, {format_date(day)}: {note.strip()}")
        return self._add(slug, latest.version + 1, new_id, check, corrections, out, day)

    def get(self, slug: str, version: int | None = None) -> Publication:
        versions = self.store.publications(slug=slug)
        chosen = [v for v in versions if version is None or v["version"] == version]
        if not chosen:
            raise FactdeskError(f"no published version {version or ''} of {slug!r}".replace("  ", " "))
        return self._from_row(chosen[-1])

    def _overrule(self, check: FactCheck, label: str) -> FactCheck:
        """The editor's ruling: a verdict label, or any rating of the scale (see ``RatingScale.ruling``)."""
        return overrule(check, *self.scale.ruling(label))

    def _add(
        self,
        slug: str,
        version: int,
        check_id: int,
        check: FactCheck,
        corrections: tuple[str, ...],
        out: Path,
        today: date | None,
    ) -> Publication:
        publication = self._build(slug, version, check_id, check, corrections, today)
        self.store.add_publication(
            slug,
            version,
            check_id,
            {
                "factcheck": to_jsonable(check),
                "claim_review": publication.claim_review,
                "corrections": list(corrections),
                "archived": publication.archived,
            },
        )
        return self._materialise(publication, out)

    def _build(
        self,
        slug: str,
        version: int,
        check_id: int,
        check: FactCheck,
        corrections: tuple[str, ...],
        today: date | None,
    ) -> Publication:
        day = today or datetime.now(UTC).date()
        verdict = check.verdict
        # the verdict's own rating if this scale has it (an editor's may be one no label maps to), else the scale's
        if verdict.rating in self.scale.levels:
            rating = self.scale.level(verdict.rating)
        elif verdict.confidence is None:  # an editor's ruling on another scale: this scale's rating of the label
            rating = self.scale.level(self.scale.ruling(verdict.label)[1])
        else:
            rating = self.scale.rate(verdict.label, verdict.confidence)
        review = claim_review(
            check,
            rating,
            f"{self.config.base_url}{slug}/v{version}/",
            self.config.organization,
            self.config.organization_url,
            day,
        )
        archived = archived_copies(self.store, [item.passage.doc_id for item in check.evidence])
        return Publication(slug, version, check_id, check, review, corrections, archived=archived)

    @staticmethod
    def _from_row(row: dict[str, Any]) -> Publication:
        payload = row["payload"]
        return Publication(
            row["slug"],
            row["version"],
            row["factcheck_id"],
            factcheck_from_jsonable(payload["factcheck"]),
            payload["claim_review"],
            tuple(payload["corrections"]),
            archived=payload.get("archived", {}),
        )

    def _archived_files(self, publication: Publication) -> dict[str, bytes]:
        """Each fetched source's WARC record, copied from the store's archive into the version's folder."""
        files = {}
        for copy in publication.archived.values():
            record = WarcRecord(str(copy["warc_file"]), int(copy["warc_offset"]), int(copy["warc_length"]))
            try:
                files[str(copy["file"])] = record_bytes(archive_folder(self.store), record)
            except OSError as exc:
                raise FactdeskError(f"cannot copy the archived copy of {copy['url']}: {exc}") from exc
        return files

    def _materialise(self, publication: Publication, out: Path) -> Publication:
        """Writes the version's folder atomically (temp folder, then rename); an existing one must match."""
        folder = out / publication.slug / f"v{publication.version}"
        files: dict[str, str | bytes] = {**publication.files(), **self._archived_files(publication)}
        if folder.exists():
            for name, content in files.items():
                path = folder / name
                if path.exists() and path.read_bytes() != _encoded(content):
                    raise FactdeskError(f"{path} differs from the published version; published files are immutable")
            missing = {name: content for name, content in files.items() if not (folder / name).exists()}
            for name, content in missing.items():
                (folder / name).parent.mkdir(exist_ok=True)
                (folder / name).write_bytes(_encoded(content))
            return replace(publication, folder=folder)
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".v{publication.version}-", dir=folder.parent))
        try:
            for name, content in files.items():
                (staging / name).parent.mkdir(exist_ok=True)
                (staging / name).write_bytes(_encoded(content))
            os.rename(staging, folder)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return replace(publication, folder=folder)
