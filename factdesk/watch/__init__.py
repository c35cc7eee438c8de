"""Watching feeds (``factdesk watch``): new items fetched and ingested, their check-worthy claims extracted and
matched against known fact-checks, resuming where the last run stopped (see README, "Watching feeds")."""

from factdesk.fetch.feeds import FeedSource, feed_sources, read_opml
from factdesk.watch.watcher import FeedReport, FeedWatcher, ItemReport, WatchReport

__all__ = ["FeedReport", "FeedSource", "FeedWatcher", "ItemReport", "WatchReport", "feed_sources", "read_opml"]
