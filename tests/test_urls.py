"""The one URL-domain helper: an archived page's domain is the domain of the page archived, not archive.org."""

import pytest

from factdesk.urls import domain


@pytest.mark.parametrize(
    ("url", "site"),
    [
        ("https://web.archive.org/web/2020/https://www.example.com/a?b=1", "example.com"),
        ("http://archive.org/web/2020/https://www.example.com/a", "example.com"),
        ("https://web.archive.org/web/20200101000000id_/http://www.Example.com/a", "example.com"),
        ("web.archive.org/web/2020/https://bbc.co.uk/news", "bbc.co.uk"),  # a bare host, as lists write them
        ("https://web.archive.org/web/2021/https://web.archive.org/web/2019/https://x.org/", "x.org"),
        ("https://archive.org/details/some-film", "archive.org"),  # archive.org's own pages are archive.org's
        ("http://WWW.News.Example:8080/x", "news.example"),
        ("example.com/redirect?to=https://other.example/", "example.com"),
        ("", ""),
    ],
)
def test_domain(url: str, site: str) -> None:
    assert domain(url) == site
