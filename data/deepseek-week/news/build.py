"""Writes the demo news files from items.py: one RSS 2.0 feed, one Atom 1.0 feed, one JSON Feed 1.1 and one
NDJSON archive, so the replay exercises every format ingest-news reads. Deterministic: run it after editing
items.py and commit the outputs (python3 build.py)."""

import json
import re
import unicodedata
from datetime import datetime, timezone
from email.utils import format_datetime
from xml.sax.saxutils import escape

from items import ITEMS

SOURCES = {
    "wire": ("Harbour Markets Wire", "https://harbour-markets.example"),
    "tech": ("Lantern Tech Desk", "https://lantern-tech.example"),
    "chips": ("Die Shot Chip Letter", "https://dieshot.example"),
    "ledger": ("Ledger Street Journal", "https://ledger-street.example"),
    "fil": ("Le Fil Éco", "https://lefil-eco.example"),
}


def when(text):
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=timezone.utc)


def slug(title):
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:70]


def link(source, at, title):
    return f"{SOURCES[source][1]}/{at:%Y/%m/%d}/{slug(title)}"


def items_of(*keys):
    chosen = [item for item in ITEMS if item[1] in keys]
    return sorted(chosen, key=lambda item: (item[0], item[2]))


def write_rss(path, source):
    name, home = SOURCES[source]
    entries = []
    for stamp, _, title, body, _ in items_of(source):
        at = when(stamp)
        url = link(source, at, title)
        entries.append(
            "    <item>\n"
            f"      <title>{escape(title)}</title>\n"
            f"      <link>{escape(url)}?utm_source=rss&amp;utm_medium=feed</link>\n"
            f"      <guid isPermaLink=\"true\">{escape(url)}</guid>\n"
            f"      <pubDate>{format_datetime(at, usegmt=True)}</pubDate>\n"
            f"      <description>{escape('<p>' + escape(body) + '</p>')}</description>\n"
            "    </item>\n"
        )
    with open(path, "w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0">\n  <channel>\n')
        out.write(f"    <title>{escape(name)}</title>\n    <link>{home}/</link>\n")
        out.write("    <description>Synthetic demo feed written for shockwave (see PROVENANCE.md).</description>\n")
        out.write("    <language>en</language>\n")
        out.writelines(entries)
        out.write("  </channel>\n</rss>\n")


def write_atom(path, source):
    name, home = SOURCES[source]
    chosen = items_of(source)
    updated = when(chosen[-1][0]).isoformat().replace("+00:00", "Z")
    with open(path, "w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">\n')
        out.write(f"  <title>{escape(name)}</title>\n  <id>{home}/atom</id>\n  <updated>{updated}</updated>\n")
        out.write(f'  <link rel="self" href="{home}/atom.xml"/>\n')
        for stamp, _, title, body, _ in chosen:
            at = when(stamp)
            url = link(source, at, title)
            iso = at.isoformat().replace("+00:00", "Z")
            out.write(
                "  <entry>\n"
                f"    <title>{escape(title)}</title>\n"
                f"    <id>tag:{home.split('//')[1]},{at:%Y-%m-%d}:{slug(title)}</id>\n"
                f'    <link rel="alternate" type="text/html" href="{escape(url)}"/>\n'
                f"    <published>{iso}</published>\n    <updated>{iso}</updated>\n"
                f'    <summary type="html">{escape("<p>" + escape(body) + "</p>")}</summary>\n'
                "  </entry>\n"
            )
        out.write("</feed>\n")


def write_json_feed(path, source):
    name, home = SOURCES[source]
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": name,
        "home_page_url": f"{home}/",
        "feed_url": f"{home}/feed.json",
        "description": "Synthetic demo feed written for shockwave (see PROVENANCE.md).",
        "language": "en",
        "items": [
            {
                "id": slug(title),
                "url": link(source, when(stamp), title),
                "title": title,
                "content_html": "<p>" + escape(body) + "</p>",
                "date_published": when(stamp).isoformat(),
            }
            for stamp, _, title, body, _ in items_of(source)
        ],
    }
    with open(path, "w", encoding="utf-8") as out:
        json.dump(feed, out, ensure_ascii=False, indent=1)
        out.write("\n")


def write_archive(path, *sources):
    with open(path, "w", encoding="utf-8") as out:
        for stamp, source, title, body, _ in items_of(*sources):
            at = when(stamp)
            line = {
                "url": link(source, at, title),
                "title": title,
                "body": body,
                "published_at": at.isoformat().replace("+00:00", "Z"),
                "feed_id": source,
                "source_name": SOURCES[source][0],
            }
            out.write(json.dumps(line, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    write_rss("harbour-markets-wire.rss.xml", "wire")
    write_atom("lantern-tech-desk.atom.xml", "tech")
    write_json_feed("die-shot-chip-letter.json", "chips")
    write_archive("archive.ndjson", "ledger", "fil")
    ai = sum(1 for item in ITEMS if item[4] == "ai")
    print(f"{len(ITEMS)} items: {ai} AI, {len(ITEMS) - ai} other")
