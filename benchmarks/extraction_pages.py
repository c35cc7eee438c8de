"""Writes the extraction-quality set: news pages in many layouts, made from the project's own HTML templates with
text in the project's own words (no copied article), each with what a reader sees as its title, publication date,
a sentence of its main text, and a sentence that must not be in the main text (navigation, footer, comments,
promotions, related links). Outlets, people and places are invented.

    python benchmarks/extraction_pages.py     # rewrites benchmarks/data/extraction/ (pages and expected.jsonl)

The pages are written once and saved; ``benchmarks/extraction_quality.py`` measures the extractor on them. They
were written before the extractor was measured on them and are not to be tuned to it."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from html import escape
from pathlib import Path

OUT = Path(__file__).resolve().parent / "data" / "extraction"


@dataclass(frozen=True)
class Story:
    outlet: str
    domain: str
    slug: str
    headline: str
    published: date
    author: str
    paragraphs: tuple[str, ...]
    language: str = "en"


STORIES = [
    Story(
        "Lakeside Courier",
        "lakeside-courier.example",
        "ferry-timetable",
        "Winter ferry timetable cuts evening crossings to the islands",
        date(2023, 1, 12),
        "Mara Ellison",
        (
            "The island ferry company will run two fewer evening crossings from the end of January, its operations "
            "manager told a public meeting in Westhaven on Wednesday.",
            "Under the winter timetable the last boat from the mainland leaves at 19:40 instead of 21:15, which "
            "commuters who work late shifts at the hospital said would leave them stranded.",
            "The company said passenger numbers on the late crossings had fallen by a third since 2019 and that each "
            "sailing cost about 1,800 pounds in fuel and crew.",
            "Councillors asked the company to keep one late crossing on Fridays and promised to raise the matter "
            "with the regional transport board next month.",
        ),
    ),
    Story(
        "Valley Standard",
        "valley-standard.example",
        "reservoir-levels",
        "Reservoir levels fall below half for the first time in a decade",
        date(2022, 8, 19),
        "Tomas Reyes",
        (
            "The three reservoirs that supply the valley held 47 percent of their capacity on Thursday, the water "
            "board said, the lowest August reading since 2012.",
            "A hosepipe ban that began in July will stay in place until the reservoirs are back above 60 percent, "
            "the board's chief engineer said.",
            "Farmers in the lower valley said they had been allowed to draw irrigation water on only two days a "
            "week since the middle of the month.",
            "Forecasters expect rain at the end of September, but said one wet week would not refill reservoirs "
            "that had been drawn down over a dry spring and summer.",
        ),
    ),
    Story(
        "Northern Ledger",
        "northern-ledger.example",
        "steelworks-jobs",
        "Steelworks to keep furnace running as buyer agrees terms",
        date(2023, 5, 3),
        "Ingrid Salo",
        (
            "The last blast furnace at the Harrowgate steelworks will keep running after a buyer agreed terms with "
            "the administrators, saving about 1,100 jobs.",
            "The administrators said the buyer, a family-owned engineering group, would invest 90 million euros "
            "over five years in a new rolling mill.",
            "Union officials welcomed the agreement but said 140 contract workers at the site had not been told "
            "whether their jobs were part of the deal.",
            "The sale still needs the approval of the competition authority, which is expected to rule in July.",
        ),
    ),
    Story(
        "Coastline Daily",
        "coastline-daily.example",
        "lifeboat-rescues",
        "Lifeboat crews answered a record number of calls this summer",
        date(2022, 9, 30),
        "Owen Prideaux",
        (
            "Volunteer lifeboat crews on the south coast were called out 412 times between June and August, more "
            "than in any summer since the station log began.",
            "Most calls were to paddleboarders and swimmers carried out by the tide, the charity that runs the "
            "stations said in its seasonal report.",
            "Crews rescued 96 people and gave help to a further 230, including the crews of eleven small fishing "
            "boats whose engines had failed.",
            "The charity is asking for new volunteers in three harbours where crews have been short for much of "
            "the year.",
        ),
    ),
    Story(
        "Metro Review",
        "metro-review.example",
        "tram-extension",
        "Tram extension to the airport opens six months late",
        date(2024, 2, 26),
        "Priya Natarajan",
        (
            "Trams began carrying passengers to the airport on Monday morning, six months later than planned and "
            "about 40 million over the original budget.",
            "The 7-kilometre extension has four new stops, and the city says the journey from the central station "
            "now takes 22 minutes.",
            "Delays were blamed on the discovery of an old gas main under the ring road and on a shortage of "
            "signalling engineers last spring.",
            "Taxi drivers who wait at the airport said they expected to lose a quarter of their fares to the new line.",
        ),
    ),
    Story(
        "Highland Echo",
        "highland-echo.example",
        "school-closures",
        "Snow closes forty rural schools for a second day",
        date(2023, 12, 5),
        "Callum Baird",
        (
            "Forty rural primary schools stayed shut on Tuesday after a second night of heavy snow blocked minor "
            "roads across the northern district.",
            "The council said its gritters had worked through the night but that drifts of up to a metre had "
            "closed eleven single-track roads.",
            "Parents were told to check the council website before seven each morning for the list of schools "
            "that would open.",
            "Power was cut to about 2,300 homes for several hours on Monday evening when lines came down near "
            "Glenmorrow.",
        ),
    ),
    Story(
        "Riverside Gazette",
        "riverside-gazette.example",
        "library-hours",
        "Central library to open on Sundays from April",
        date(2023, 3, 14),
        "Helena Brandt",
        (
            "The central library will open on Sundays from the first week of April, the city's culture committee "
            "decided on Tuesday.",
            "The extra opening hours will cost about 85,000 a year and will be paid for by closing two mobile "
            "library routes that carried few readers.",
            "Library staff said Sunday opening had been the most common request in last year's survey of users, "
            "ahead of longer evening hours.",
            "The committee also agreed to waive fines on overdue children's books for a trial period of twelve months.",
        ),
    ),
    Story(
        "Plains Observer",
        "plains-observer.example",
        "wheat-harvest",
        "Wheat harvest smaller than expected after late frost",
        date(2022, 7, 28),
        "Dana Kowalczyk",
        (
            "The regional wheat harvest will be about 12 percent smaller than last year after a late frost in May "
            "damaged crops on higher ground, the growers' association estimates.",
            "Yields on the eastern plateau averaged 5.1 tonnes a hectare in the first fields cut, compared with "
            "6.3 tonnes a year ago.",
            "Millers said the quality of the grain was good and that they did not expect a shortage of flour "
            "before next year's harvest.",
            "The association wants the regional government to extend its frost insurance scheme to smaller farms.",
        ),
    ),
]
# Stories in other languages, written for this set, for non-English pages and date formats.
FOREIGN = {
    "de": Story(
        "Rheintal Bote",
        "rheintal-bote.example",
        "radweg",
        "Neuer Radweg entlang des Flusses wird im Mai eröffnet",
        date(2023, 3, 14),
        "Jonas Weber",
        (
            "Der neue Radweg zwischen Altdorf und Neumühle soll Anfang Mai eröffnet werden, teilte die Stadtverwaltung "
            "am Dienstag mit.",
            "Die Strecke ist elf Kilometer lang und führt fast überall direkt am Ufer entlang.",
            "Die Kosten liegen nach Angaben der Stadt bei rund vier Millionen Euro, etwas weniger als geplant.",
        ),
        "de",
    ),
    "fr": Story(
        "Le Veilleur du Val",
        "veilleur-du-val.example",
        "marche-couvert",
        "Le marché couvert rouvrira ses portes après deux ans de travaux",
        date(2022, 11, 8),
        "Claire Morvan",
        (
            "Le marché couvert de la place Haute rouvrira samedi après deux ans de travaux, a annoncé la mairie mardi.",
            "Une trentaine de commerçants ont déjà signé un bail, dont plusieurs producteurs de la vallée.",
            "Le chantier a coûté près de six millions d'euros, dont un tiers pris en charge par la région.",
        ),
        "fr",
    ),
    "es": Story(
        "El Heraldo de la Sierra",
        "heraldo-sierra.example",
        "incendio-forestal",
        "Los bomberos controlan el incendio forestal de la sierra norte",
        date(2023, 8, 21),
        "Lucía Ferrer",
        (
            "Los bomberos dieron por controlado el domingo el incendio que había quemado unas 900 hectáreas en la "
            "sierra norte, según el servicio regional de emergencias.",
            "Unos 300 vecinos de dos aldeas pudieron volver a sus casas por la tarde.",
            "Las autoridades investigan si el fuego empezó por una chispa de maquinaria agrícola.",
        ),
        "es",
    ),
}
NAV = ["Home", "News", "Politics", "Business", "Sport", "Culture", "Weather", "Opinion", "Podcasts", "Newsletters"]
FOOTER = "Contact the newsroom, advertise with us, read our privacy notice and terms of use."
COOKIE = "We and our 214 partners use cookies to personalise content and measure how our site is used."
PROMO = "Sign up for the morning briefing and get the day's top stories in your inbox every weekday."
PAYWALL = "Subscribe today to keep reading: unlimited access for the price of a coffee a month."
COMMENT = "I have taken that route for years and the service has never been worse than it is now."
RELATED = "Council approves plan to reopen the old swimming baths next summer"
BIO = "She has covered local government and transport for the paper since joining from a radio station."
MOST_READ = "Five walks to try before the clocks go back this autumn"
DISCLAIMER = "This article was corrected to fix the spelling of a councillor's name."
ENGLISH_MONTHS = "January February March April May June July August September October November December".split()
GERMAN_MONTHS = "Januar Februar März April Mai Juni Juli August September Oktober November Dezember".split()
FRENCH_MONTHS = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split()
SPANISH_MONTHS = "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split()


@dataclass(frozen=True)
class Page:
    name: str
    layout: str
    url: str
    html: str
    title: str
    published: date
    key: str  # a sentence the main text must hold
    absent: str  # a sentence it must not hold


def url_of(story: Story, dated_path: bool = False) -> str:
    day = story.published
    path = f"{day:%Y/%m/%d}/{story.slug}" if dated_path else f"news/{story.slug}-{day:%y%j}"
    return f"https://www.{story.domain}/{path}"


def long_date(day: date) -> str:
    return f"{day.day} {ENGLISH_MONTHS[day.month - 1]} {day.year}"


def us_date(day: date) -> str:
    return f"{ENGLISH_MONTHS[day.month - 1]} {day.day}, {day.year}"


def paragraphs(story: Story, extra: dict[int, str] | None = None) -> str:
    """The story's paragraphs, with ``extra`` HTML inserted after paragraph n."""
    out = []
    for n, text in enumerate(story.paragraphs):
        out.append(f"<p>{escape(text)}</p>")
        if extra and n in extra:
            out.append(extra[n])
    return "\n".join(out)


def nav(big: bool = False) -> str:
    items = NAV * (4 if big else 1)
    links = "".join(f'<li><a href="/{item.lower()}">{item}</a></li>' for item in items)
    return f'<header class="site-header"><nav class="main-nav"><ul>{links}</ul></nav></header>'


def footer() -> str:
    return f'<footer class="site-footer"><p>{FOOTER}</p><p>© The publishers.</p></footer>'


def head(story: Story, title: str, extra: str = "") -> str:
    return (
        f'<!doctype html><html lang="{story.language}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width"><title>{escape(title)}</title>{extra}</head>'
    )


def json_ld(data: dict[str, object]) -> str:
    return f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>'


def article_ld(story: Story, kind: str = "NewsArticle", **extra: object) -> dict[str, object]:
    return {
        "@context": "https://schema.org",
        "@type": kind,
        "headline": story.headline,
        "datePublished": f"{story.published.isoformat()}T07:30:00+00:00",
        "author": {"@type": "Person", "name": story.author},
        "publisher": {"@type": "Organization", "name": story.outlet},
        **extra,
    }


def og(story: Story, title: str | None = None, published: bool = True) -> str:
    tags = [
        f'<meta property="og:title" content="{escape(title or story.headline)}">',
        f'<meta property="og:site_name" content="{escape(story.outlet)}">',
        '<meta property="og:type" content="article">',
    ]
    if published:
        tags.append(f'<meta property="article:published_time" content="{story.published.isoformat()}T06:00:00Z">')
    return "".join(tags)


def byline(story: Story, when: str) -> str:
    return f'<div class="byline"><span class="author">By {escape(story.author)}</span> {when}</div>'


Layout = Callable[[Story], tuple[Story, str, str, str]]  # the story shown, html, key sentence, absent sentence
LAYOUTS: dict[str, Layout] = {}


def layout(name: str) -> Callable[[Layout], Layout]:
    def add(function: Layout) -> Layout:
        LAYOUTS[name] = function
        return function

    return add


@layout("jsonld-newsarticle")
def _jsonld(story: Story) -> tuple[Story, str, str, str]:
    html = (
        head(story, f"{story.headline} | {story.outlet}", json_ld(article_ld(story)))
        + f"<body>{nav()}<main><article><h1>{escape(story.headline)}</h1>{byline(story, '')}"
        + f"{paragraphs(story)}</article></main>{footer()}</body></html>"
    )
    return story, html, story.paragraphs[1], FOOTER


@layout("jsonld-graph")
def _jsonld_graph(story: Story) -> tuple[Story, str, str, str]:
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "name": story.outlet, "url": f"https://www.{story.domain}/"},
            {"@type": "WebPage", "name": f"{story.headline} - {story.outlet}", "datePublished": "2021-01-01"},
            {k: v for k, v in article_ld(story).items() if k != "@context"},
        ],
    }
    html = (
        head(story, f"{story.headline} - {story.outlet}", json_ld(graph))
        + f'<body>{nav()}<div id="content"><h1 class="headline">{escape(story.headline)}</h1>'
        + f'<div class="story-body">{paragraphs(story)}</div></div>{footer()}</body></html>'
    )
    return story, html, story.paragraphs[2], FOOTER


@layout("opengraph-only")
def _opengraph(story: Story) -> tuple[Story, str, str, str]:
    html = (
        head(story, f"{story.outlet}: {story.headline}", og(story))
        + f'<body>{nav()}<div class="wrapper"><div class="content">{paragraphs(story)}</div></div>'
        + f"{footer()}</body></html>"
    )
    return story, html, story.paragraphs[0], FOOTER


@layout("meta-name-date")
def _meta_name(story: Story) -> tuple[Story, str, str, str]:
    meta = (
        f'<meta name="date" content="{story.published.isoformat()}">'
        f'<meta name="author" content="{escape(story.author)}">'
        f'<meta name="description" content="{escape(story.paragraphs[0][:120])}">'
    )
    html = (
        head(story, story.headline, meta)
        + f"<body>{nav()}<article><h1>{escape(story.headline)}</h1>{paragraphs(story)}</article>{footer()}"
        + "</body></html>"
    )
    return story, html, story.paragraphs[3], FOOTER


@layout("microdata")
def _microdata(story: Story) -> tuple[Story, str, str, str]:
    html = (
        head(story, f"{story.headline} | {story.outlet}")
        + f'<body>{nav()}<div itemscope itemtype="https://schema.org/NewsArticle">'
        + f'<h1 itemprop="headline">{escape(story.headline)}</h1>'
        + '<span itemprop="author" itemscope itemtype="https://schema.org/Person"><span itemprop="name">'
        + f"{escape(story.author)}</span></span> "
        + f'<meta itemprop="datePublished" content="{story.published.isoformat()}">'
        + f'<div itemprop="articleBody">{paragraphs(story)}</div></div>{footer()}</body></html>'
    )
    return story, html, story.paragraphs[1], FOOTER


@layout("byline-time")
def _byline_time(story: Story) -> tuple[Story, str, str, str]:
    when = f'<time datetime="{story.published.isoformat()}T09:15:00+01:00">{long_date(story.published)}</time>'
    html = (
        head(story, f"{story.headline} | {story.outlet}")
        + f"<body>{nav()}<main><article><header><h1>{escape(story.headline)}</h1>{byline(story, when)}</header>"
        + f"{paragraphs(story)}</article></main>{footer()}</body></html>"
    )
    return story, html, story.paragraphs[2], FOOTER


def _visible(story: Story, when: str) -> str:
    return (
        head(story, f"{story.headline} | {story.outlet}")
        + f'<body>{nav()}<div class="main"><h1>{escape(story.headline)}</h1>'
        + f'<p class="meta">{escape(story.author)} · {when}</p>{paragraphs(story)}</div>{footer()}</body></html>'
    )


@layout("visible-date-long")
def _visible_long(story: Story) -> tuple[Story, str, str, str]:
    return story, _visible(story, f"Published {long_date(story.published)}"), story.paragraphs[1], FOOTER


@layout("visible-date-us")
def _visible_us(story: Story) -> tuple[Story, str, str, str]:
    return story, _visible(story, f"Updated {us_date(story.published)} 4:05 p.m."), story.paragraphs[2], FOOTER


@layout("visible-date-dotted")
def _visible_dotted(story: Story) -> tuple[Story, str, str, str]:
    return story, _visible(story, f"{story.published:%d.%m.%Y}, 08:40"), story.paragraphs[3], FOOTER


@layout("visible-date-iso")
def _visible_iso(story: Story) -> tuple[Story, str, str, str]:
    return story, _visible(story, f"Posted {story.published.isoformat()} 11:02"), story.paragraphs[0], FOOTER


@layout("updated-and-published")
def _updated(story: Story) -> tuple[Story, str, str, str]:
    later = date(story.published.year + 1, 1, 9)
    meta = og(story) + f'<meta property="article:modified_time" content="{later.isoformat()}T10:00:00Z">'
    ld = json_ld(article_ld(story, dateModified=f"{later.isoformat()}T10:00:00Z"))
    note = f'<p class="updated">Last updated {long_date(later)}</p>'
    html = (
        head(story, f"{story.headline} | {story.outlet}", meta + ld)
        + f"<body>{nav()}<article><h1>{escape(story.headline)}</h1>{note}{paragraphs(story)}</article>"
        + f"{footer()}</body></html>"
    )
    return story, html, story.paragraphs[1], FOOTER


@layout("amp-like")
def _amp(story: Story) -> tuple[Story, str, str, str]:
    extra = (
        f'<link rel="canonical" href="{url_of(story)}">'
        '<script async src="https://cdn.ampproject.example/v0.js"></script>'
        "<style amp-boilerplate>body{visibility:hidden}</style>" + json_ld(article_ld(story))
    )
    html = (
        head(story, f"{story.headline} | {story.outlet}", extra).replace("<html ", "<html amp ", 1)
        + f'<body><header class="amp-header"><a href="/">{escape(story.outlet)}</a></header>'
        + f'<article class="amp-article"><h1>{escape(story.headline)}</h1>'
        + '<amp-img src="/photo.jpg" width="800" height="450" layout="responsive" alt="The scene"></amp-img>'
        + f'{paragraphs(story)}</article><amp-social-share type="email"></amp-social-share>{footer()}</body></html>'
    )
    return story, html, story.paragraphs[2], FOOTER


@layout("live-blog")
def _live_blog(story: Story) -> tuple[Story, str, str, str]:
    updates = "".join(
        f'<div class="live-update"><time datetime="{story.published.isoformat()}T{9 + n:02d}:00:00Z">'
        f"{9 + n:02d}:00</time><p>{escape(text)}</p></div>"
        for n, text in enumerate(reversed(story.paragraphs))
    )
    ld = json_ld(
        article_ld(
            story,
            "LiveBlogPosting",
            headline=f"Live: {story.headline}",
            coverageStartTime=f"{story.published.isoformat()}T09:00:00Z",
            coverageEndTime=f"{story.published.isoformat()}T18:00:00Z",
        )
    )
    html = (
        head(story, f"Live: {story.headline} | {story.outlet}", ld + og(story, f"Live: {story.headline}"))
        + f'<body>{nav()}<main><h1>Live: {escape(story.headline)}</h1><div class="live-blog">{updates}</div></main>'
        + f"{footer()}</body></html>"
    )
    return story, html, story.paragraphs[1], FOOTER


@layout("paywall-teaser")
def _paywall(story: Story) -> tuple[Story, str, str, str]:
    teaser = paragraphs(Story(**{**story.__dict__, "paragraphs": story.paragraphs[:2]}))
    wall = (
        f'<div class="paywall"><h2>This story is for subscribers</h2><p>{PAYWALL}</p><a href="/subscribe">Subscribe</a>'
        "</div>"
    )
    ld = json_ld(article_ld(story, isAccessibleForFree=False))
    html = (
        head(story, f"{story.headline} | {story.outlet}", og(story) + ld)
        + f'<body>{nav()}<article><h1>{escape(story.headline)}</h1><div class="teaser">{teaser}</div>{wall}</article>'
        + f"{footer()}</body></html>"
    )
    return story, html, story.paragraphs[0], PAYWALL


@layout("big-nav-footer")
def _big_nav(story: Story) -> tuple[Story, str, str, str]:
    columns = "".join(
        f'<div class="col"><h4>{section}</h4><ul>'
        + "".join(f'<li><a href="/{section.lower()}/{n}">{section} story number {n}</a></li>' for n in range(8))
        + "</ul></div>"
        for section in NAV[:6]
    )
    big_footer = f'<footer class="mega-footer">{columns}<p>{FOOTER}</p></footer>'
    html = (
        head(story, f"{story.headline} | {story.outlet}", og(story))
        + f"<body>{nav(big=True)}<main><article><h1>{escape(story.headline)}</h1>{paragraphs(story)}</article></main>"
        + f"{big_footer}</body></html>"
    )
    return story, html, story.paragraphs[3], FOOTER


@layout("cookie-banner")
def _cookie(story: Story) -> tuple[Story, str, str, str]:
    banner = (
        f'<div id="cookie-consent" class="consent-banner"><p>{COOKIE} You can change your choices at any time '
        "in the privacy centre.</p><button>Accept all</button><button>Manage options</button></div>"
    )
    html = (
        head(story, f"{story.headline} | {story.outlet}", og(story))
        + f"<body>{banner}{nav()}<article><h1>{escape(story.headline)}</h1>{paragraphs(story)}</article>"
        + f"{footer()}</body></html>"
    )
    return story, html, story.paragraphs[0], COOKIE


@layout("comments")
def _comments(story: Story) -> tuple[Story, str, str, str]:
    comments = "".join(
        f'<li class="comment"><span class="comment-author">{who}</span><p>{text}</p></li>'
        for who, text in (
            ("harbourwatcher", COMMENT),
            ("anon42", "Typical. Nobody asked the people who actually live here what they think."),
            ("k.m.", "Does anyone know if the change affects weekend services as well?"),
        )
    )
    html = (
        head(story, f"{story.headline} | {story.outlet}", og(story))
        + f"<body>{nav()}<article><h1>{escape(story.headline)}</h1>{paragraphs(story)}</article>"
        + f'<section id="comments" class="comments"><h3>3 comments</h3><ol>{comments}</ol></section>'
        + f"{footer()}</body></html>"
    )
    return story, html, story.paragraphs[2], COMMENT


@layout("related-links")
def _related(story: Story) -> tuple[Story, str, str, str]:
    related = (
        '<aside class="related"><h3>Related stories</h3><ul>'
        f'<li><a href="/news/baths">{RELATED}</a></li>'
        '<li><a href="/news/bridge">Bridge repairs to close the north road for a fortnight</a></li>'
        '<li><a href="/news/market">Farmers market moves to the old bus station</a></li></ul></aside>'
    )
    html = (
        head(story, f"{story.headline} | {story.outlet}", og(story))
        + f"<body>{nav()}<article><h1>{escape(story.headline)}</h1>{paragraphs(story)}{related}</article>"
        + f"{footer()}</body></html>"
    )
    return story, html, story.paragraphs[1], RELATED


@layout("multi-page")
def _multi_page(story: Story) -> tuple[Story, str, str, str]:
    pager = (
        '<div class="pagination"><span>Page 1 of 3</span> <a href="?page=2" rel="next">Next page</a> '
        '<a href="?page=3">3</a></div>'
    )
    first = Story(**{**story.__dict__, "paragraphs": story.paragraphs[:3]})
    html = (
        head(story, f"{story.headline} (page 1) | {story.outlet}", og(story))
        + f'<link rel="next" href="?page=2"><body>{nav()}<article><h1>{escape(story.headline)}</h1>'
        + f"{paragraphs(first)}{pager}</article>{footer()}</body></html>"
    )
    return story, html, story.paragraphs[2], FOOTER


def _foreign(story: Story, when: str) -> str:
    return (
        head(story, f"{story.headline} – {story.outlet}")
        + f"<body>{nav()}<article><h1>{escape(story.headline)}</h1>"
        + f'<p class="dateline">{escape(story.author)}, {when}</p>{paragraphs(story)}</article>{footer()}'
        + "</body></html>"
    )


@layout("german-date")
def _german(story: Story) -> tuple[Story, str, str, str]:
    story = FOREIGN["de"]
    day = story.published
    return story, _foreign(story, f"{day.day}. {GERMAN_MONTHS[day.month - 1]} {day.year}"), story.paragraphs[1], FOOTER


@layout("french-date")
def _french(story: Story) -> tuple[Story, str, str, str]:
    story = FOREIGN["fr"]
    day = story.published
    when = f"publié le {day.day} {FRENCH_MONTHS[day.month - 1]} {day.year} à 10h12"
    return story, _foreign(story, when), story.paragraphs[0], FOOTER


@layout("spanish-date")
def _spanish(story: Story) -> tuple[Story, str, str, str]:
    story = FOREIGN["es"]
    day = story.published
    return (
        story,
        _foreign(story, f"{day.day} de {SPANISH_MONTHS[day.month - 1]} de {day.year}"),
        story.paragraphs[2],
        FOOTER,
    )


@layout("title-with-site-suffix")
def _suffix(story: Story) -> tuple[Story, str, str, str]:
    meta = f'<meta name="pubdate" content="{story.published:%Y%m%d}">'
    html = (
        head(story, f"{story.headline} | {story.outlet} | Local news, sport and weather", meta)
        + f"<body>{nav()}<article><h1>{escape(story.headline)}</h1>{paragraphs(story)}</article>{footer()}"
        + "</body></html>"
    )
    return story, html, story.paragraphs[1], FOOTER


@layout("seo-title-differs")
def _seo(story: Story) -> tuple[Story, str, str, str]:
    seo = f"{story.slug.replace('-', ' ').title()} news and updates"
    html = (
        head(story, seo, og(story) + json_ld(article_ld(story)))
        + f'<body>{nav()}<article><h1 class="article-title">{escape(story.headline)}</h1>'
        + f"{paragraphs(story)}</article>{footer()}</body></html>"
    )
    return story, html, story.paragraphs[3], FOOTER


@layout("div-soup")
def _div_soup(story: Story) -> tuple[Story, str, str, str]:
    body = "".join(f'<div class="txt">{escape(text)}</div>' for text in story.paragraphs)
    html = (
        head(story, f"{story.headline} | {story.outlet}", og(story))
        + f'<body><div class="top">{nav()}</div><div class="page"><div class="col-main">'
        + f'<div class="ttl">{escape(story.headline)}</div><div class="content-body">{body}</div></div>'
        + f'<div class="col-side"><div class="ad">Advertisement</div></div></div>{footer()}</body></html>'
    )
    return story, html, story.paragraphs[2], FOOTER


@layout("table-layout")
def _table(story: Story) -> tuple[Story, str, str, str]:
    links = "<br>".join(f'<a href="/{item.lower()}">{item}</a>' for item in NAV)
    html = (
        head(story, f"{story.outlet} - {story.headline}")
        + f'<body><table width="100%"><tr><td colspan="2"><b>{escape(story.outlet)}</b></td></tr>'
        + f'<tr><td width="150" valign="top">{links}</td><td valign="top"><font size="5"><b>'
        + f"{escape(story.headline)}</b></font><br><i>{long_date(story.published)}</i>{paragraphs(story)}</td></tr>"
        + f'<tr><td colspan="2"><small>{FOOTER}</small></td></tr></table></body></html>'
    )
    return story, html, story.paragraphs[1], FOOTER


@layout("sidebar-most-read")
def _sidebar(story: Story) -> tuple[Story, str, str, str]:
    most = "".join(
        f"<li><a href='/{n}'>{text}</a></li>"
        for n, text in enumerate([MOST_READ, "Ten years on, the flood defences are tested", "Quiz of the week"])
    )
    html = (
        head(story, f"{story.headline} | {story.outlet}", og(story))
        + f'<body>{nav()}<div class="layout"><article><h1>{escape(story.headline)}</h1>{paragraphs(story)}</article>'
        + f'<aside class="sidebar"><h3>Most read</h3><ol>{most}</ol></aside></div>{footer()}</body></html>'
    )
    return story, html, story.paragraphs[0], MOST_READ


@layout("inline-promo")
def _promo(story: Story) -> tuple[Story, str, str, str]:
    box = f'<div class="newsletter-promo"><p>{PROMO}</p><form><input type="email"><button>Sign up</button></form>'
    box += "</div>"
    html = (
        head(story, f"{story.headline} | {story.outlet}", og(story))
        + f"<body>{nav()}<article><h1>{escape(story.headline)}</h1>{paragraphs(story, {1: box})}</article>"
        + f"{footer()}</body></html>"
    )
    return story, html, story.paragraphs[2], PROMO


@layout("figures-captions")
def _figures(story: Story) -> tuple[Story, str, str, str]:
    figure = (
        '<figure><img src="/picture.jpg" alt="">'
        "<figcaption>The scene on Wednesday afternoon. Photograph: staff photographer</figcaption></figure>"
    )
    html = (
        head(story, f"{story.headline} | {story.outlet}", og(story))
        + f"<body>{nav()}<article><h1>{escape(story.headline)}</h1>{figure}{paragraphs(story, {0: figure})}"
        + f"</article>{footer()}</body></html>"
    )
    return story, html, story.paragraphs[1], FOOTER


@layout("press-release")
def _press(story: Story) -> tuple[Story, str, str, str]:
    dateline = f"WESTHAVEN, {long_date(story.published).upper()} –"
    first = f"<p><strong>{dateline}</strong> {escape(story.paragraphs[0])}</p>"
    rest = "".join(f"<p>{escape(text)}</p>" for text in story.paragraphs[1:])
    html = (
        head(story, f"Press release: {story.headline}")
        + f'<body>{nav()}<div class="press"><p>FOR IMMEDIATE RELEASE</p><h1>{escape(story.headline)}</h1>{first}'
        + f"{rest}<p>###</p><p>Media contact: press office.</p></div>{footer()}</body></html>"
    )
    return story, html, story.paragraphs[2], FOOTER


@layout("wordpress-blog")
def _wordpress(story: Story) -> tuple[Story, str, str, str]:
    when = (
        f'<time class="entry-date published" datetime="{story.published.isoformat()}T12:00:00+00:00">'
        f"{us_date(story.published)}</time>"
    )
    html = (
        head(story, f"{story.headline} – {story.outlet}", '<meta name="generator" content="WordPress 6.4">')
        + f'<body class="single-post">{nav()}<div id="primary"><article class="post type-post">'
        + f'<header class="entry-header"><h1 class="entry-title">{escape(story.headline)}</h1>'
        + f'<div class="entry-meta">Posted on {when} by {escape(story.author)}</div></header>'
        + f'<div class="entry-content">{paragraphs(story)}</div>'
        + '<footer class="entry-footer">Categories: Local</footer></article></div>'
        + f'<div id="secondary" class="widget-area"><p>{FOOTER}</p></div></body></html>'
    )
    return story, html, story.paragraphs[3], FOOTER


@layout("author-bio")
def _bio(story: Story) -> tuple[Story, str, str, str]:
    bio = f'<div class="author-bio"><h4>About {escape(story.author)}</h4><p>{BIO}</p></div>'
    html = (
        head(story, f"{story.headline} | {story.outlet}", og(story) + json_ld(article_ld(story)))
        + f"<body>{nav()}<article><h1>{escape(story.headline)}</h1>{paragraphs(story)}{bio}</article>"
        + f"{footer()}</body></html>"
    )
    return story, html, story.paragraphs[1], BIO


@layout("short-wire")
def _wire(story: Story) -> tuple[Story, str, str, str]:
    short = Story(**{**story.__dict__, "paragraphs": story.paragraphs[:2]})
    html = (
        head(story, f"{story.headline} | {story.outlet}", og(story))
        + f"<body>{nav()}<article><h1>{escape(story.headline)}</h1>{paragraphs(short)}"
        + f'<p class="credit">(Reporting by {escape(story.author)}; editing by the desk)</p></article>'
        + f"{footer()}</body></html>"
    )
    return story, html, story.paragraphs[1], FOOTER


@layout("date-in-url-only")
def _url_date(story: Story) -> tuple[Story, str, str, str]:
    html = (
        head(story, f"{story.headline} | {story.outlet}")
        + f"<body>{nav()}<article><h1>{escape(story.headline)}</h1>{paragraphs(story)}</article>{footer()}"
        + "</body></html>"
    )
    return story, html, story.paragraphs[0], FOOTER


@layout("breadcrumbs-tags")
def _breadcrumbs(story: Story) -> tuple[Story, str, str, str]:
    crumbs = '<ol class="breadcrumb"><li><a href="/">Home</a></li><li><a href="/news">News</a></li><li>Local</li></ol>'
    tags = '<ul class="tags"><li>transport</li><li>council</li><li>local news</li></ul>'
    share = '<div class="share">Share this article on social media or copy the link to send it to a friend.</div>'
    html = (
        head(story, f"{story.headline} | {story.outlet}", json_ld(article_ld(story)))
        + f"<body>{nav()}{crumbs}<article><h1>{escape(story.headline)}</h1>{share}{paragraphs(story)}{tags}"
        + f"</article>{footer()}</body></html>"
    )
    return story, html, story.paragraphs[2], "Share this article on social media"


@layout("correction-note")
def _correction(story: Story) -> tuple[Story, str, str, str]:
    note = f'<p class="correction"><em>{DISCLAIMER}</em></p>'
    html = (
        head(story, f"{story.headline} | {story.outlet}", og(story))
        + f"<body>{nav()}<article><h1>{escape(story.headline)}</h1>{paragraphs(story)}{note}</article>"
        + f"{footer()}</body></html>"
    )
    return story, html, story.paragraphs[3], FOOTER


def pages() -> list[Page]:
    """One page per layout, the stories taken in turn (the foreign-language layouts bring their own)."""
    found = []
    for n, (name, make) in enumerate(LAYOUTS.items()):
        story = STORIES[n % len(STORIES)]
        story, html, key, absent = make(story)
        title = f"Live: {story.headline}" if name == "live-blog" else story.headline
        found.append(
            Page(
                f"{n + 1:02d}-{name}",
                name,
                url_of(story, dated_path=name == "date-in-url-only"),
                html,
                title,
                story.published,
                key,
                absent,
            )
        )
    return found


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.html"):
        old.unlink()
    lines = []
    for page in pages():
        (OUT / f"{page.name}.html").write_text(page.html + "\n", encoding="utf-8")
        record = {
            "file": f"{page.name}.html",
            "layout": page.layout,
            "url": page.url,
            "title": page.title,
            "published": page.published.isoformat(),
            "key_sentence": page.key,
            "absent_sentence": page.absent,
        }
        lines.append(json.dumps(record, ensure_ascii=False))
    (OUT / "expected.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} pages in {OUT}")


if __name__ == "__main__":
    main()
