"""Writes ranks.csv: daily top-free chart positions (US App Store and US Google Play) for DeepSeek, ChatGPT
and a few other apps over the demo window. DeepSeek's and ChatGPT's path follows the public reports listed in
PROVENANCE.md; every other position is illustrative. Deterministic: python3 build.py."""

import csv
from datetime import date, timedelta

START, END = date(2024, 12, 20), date(2025, 2, 7)

# DeepSeek on the App Store: launched 10 January, ~No. 31 on the 24th, No. 1 on Sunday the 26th.
DEEPSEEK_APPLE = {
    "2025-01-13": 188, "2025-01-14": 171, "2025-01-15": 160, "2025-01-16": 149, "2025-01-17": 140,
    "2025-01-18": 131, "2025-01-19": 124, "2025-01-20": 110, "2025-01-21": 84, "2025-01-22": 63,
    "2025-01-23": 45, "2025-01-24": 31, "2025-01-25": 6, "2025-01-26": 1, "2025-01-27": 1, "2025-01-28": 1,
    "2025-01-29": 1, "2025-01-30": 2, "2025-01-31": 2, "2025-02-01": 3, "2025-02-02": 3, "2025-02-03": 4,
    "2025-02-04": 5, "2025-02-05": 6, "2025-02-06": 8, "2025-02-07": 9,
}
# Google Play: No. 133 on the 24th, No. 14 on the morning of the 27th.
DEEPSEEK_PLAY = {
    "2025-01-20": 190, "2025-01-21": 176, "2025-01-22": 160, "2025-01-23": 147, "2025-01-24": 133,
    "2025-01-25": 61, "2025-01-26": 29, "2025-01-27": 14, "2025-01-28": 5, "2025-01-29": 3, "2025-01-30": 3,
    "2025-01-31": 4, "2025-02-01": 5, "2025-02-02": 6, "2025-02-03": 7, "2025-02-04": 9, "2025-02-05": 11,
    "2025-02-06": 12, "2025-02-07": 14,
}

APPS = {
    "apple": [
        ("6737597349", "DeepSeek - AI Assistant", "DeepSeek"),
        ("6448311069", "ChatGPT", "OpenAI"),
        ("6446901002", "Threads", "Meta Platforms, Inc."),
        ("1641486558", "Temu: Shop Like a Billionaire", "Temu"),
        ("284815942", "Google", "Google"),
        ("310633997", "WhatsApp Messenger", "WhatsApp Inc."),
        ("389801252", "Instagram", "Instagram, Inc."),
    ],
    "google_play": [
        ("com.deepseek.chat", "DeepSeek - AI Assistant", "DeepSeek"),
        ("com.openai.chatgpt", "ChatGPT", "OpenAI"),
        ("com.einnovation.temu", "Temu: Shop Like a Billionaire", "Temu"),
        ("com.instagram.barcelona", "Threads", "Instagram"),
        ("com.whatsapp", "WhatsApp Messenger", "WhatsApp LLC"),
        ("com.instagram.android", "Instagram", "Instagram"),
    ],
}


def chatgpt_rank(store, day):
    if store == "apple" and day == "2025-01-26":
        return 2
    return 2 + (hash_day(day) % 3)


def hash_day(day):
    return sum(ord(c) * (i + 1) for i, c in enumerate(day))


def rows():
    day = START
    while day <= END:
        key = day.isoformat()
        for store, apps in APPS.items():
            deepseek = (DEEPSEEK_APPLE if store == "apple" else DEEPSEEK_PLAY).get(key)
            taken = {}
            if deepseek is not None:
                taken[apps[0][0]] = deepseek
            chatgpt = chatgpt_rank(store, key)
            while chatgpt in taken.values():
                chatgpt += 1
            taken[apps[1][0]] = chatgpt
            # The others fill the free places from the top, in an order that shifts a little each day.
            others = apps[2:]
            shift = hash_day(key + store) % len(others)
            rank = 1
            for app_id, _, _ in others[shift:] + others[:shift]:
                while rank in taken.values():
                    rank += 1
                taken[app_id] = rank + (hash_day(app_id + key) % 2)
                while list(taken.values()).count(taken[app_id]) > 1:
                    taken[app_id] += 1
                rank += 1
            for app_id, name, developer in apps:
                if app_id in taken:
                    yield [key, store, "us", "top-free", taken[app_id], app_id, name, developer]
        day += timedelta(days=1)


if __name__ == "__main__":
    with open("ranks.csv", "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["date", "store", "country", "chart", "rank", "app_id", "app_name", "developer"])
        all_rows = list(rows())
        writer.writerows(all_rows)
    seen = set()
    for row in all_rows:
        slot = (row[0], row[1], row[4])
        assert slot not in seen, f"two apps share {slot}"
        seen.add(slot)
    print(f"{len(all_rows)} rows")
