"""Write ``tests/data/privacy_labelled.jsonl``: comments with planted names and identifiers, labelled.

Built from the demo blog's commenters (``demoblog.generate.COMMENTERS``) and bylines, plus a few
readers whose first names are ordinary English words (Grace, Will, Mark, Faith, Hope...), so the
ordinary-word rule is tested against real collisions. Line 1 is a ``meta`` record (the site's
commenters of this batch, those seen only in earlier runs, the bloggers); every other line is
``{"id", "category", "text", "must_remove": [...], "must_keep": [...]}``:

* ``must_remove``: strings (names, e-mails, phones, profile URLs) that must not survive;
* ``must_keep``: ordinary words (and bloggers' bylines) that must survive, counted per occurrence.

Run ``python tests/support/make_privacy_labelled.py`` to regenerate (deterministic, seeded).
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "data" / "privacy_labelled.jsonl"

# Readers whose names collide with ordinary words or with a blogger's first name.
EXTRA_READERS = ("Grace Kim", "Will Turner", "Mark D.", "Faith M.", "Hope Reyes", "Margaret Ellison",
                 "Joe Castellano", "Kevin", "Rosa P.", "Bill O'Hara", "Dawn", "Frank Mills")
# Readers who commented only in earlier runs (known to the warehouse as hashes).
EARLIER_READERS = ("Theodora Quist", "Nadia K.", "walking_wounded", "Pastor Dan", "Ivy Chen", "May Lin")
GENERIC = {"Anonymous"}

SALUTATIONS = ("{n}, that is so encouraging.", "Hi {n}, try your local clinic first.",
               "Dear {n}: thank you for sharing this.", "Thanks, {n}! The sleep log helped.",
               "Thank you {n} for the tip about the insurance appeal.", "{n} - have you asked about a sliding scale?",
               "Hello {n}. Same thing happened to me with the night shifts.", "Hey {n}, hang in there.")
SIGN_OFFS = ("I went through the same thing last year.\n- {n}", "Hang in there everyone. Take care, {n}",
             "That's my two cents. — {n}", "Cheers,\n{n}", "Thanks for listening. ~{n}",
             "The waiting list was four months for me.\nBest, {n}")
QUOTES = ('As "{n}" said above, the waiting list is long.', "{n} wrote: the insurance denied it twice. Same here.",
          "Like {n} said, ask for the records in writing.", "“{n}” put it better than I could.")
POSSESSIVES = ("{n}'s advice about lithium levels helped me.", "I tried {n}'s trick with the pill organizer.",
               "Was it {n}’s clinic that had the evening hours?")
MID = ("I agree with {n} about the night shifts.", "Has anyone heard from {n} lately?",
       "My doctor said what {n} said, almost word for word.", "Both {n} and I had that side effect.",
       "Ask {n}; the forms are confusing.", "Is {n}? still around here?", "(see {n}) the appeal worked.")
LOWER = ("i agree with {n}, therapy helped", "thanks {n}!", "same as {n} said, the copay went up",
         "@{n} did the new dose help?")

ORDINARY = (
    ("I hope the new dose works for you.", ["hope"]),
    ("Hope you feel better soon!", ["Hope"]),
    ("Hope is what kept me going that winter.", ["Hope"]),
    ("There is always hope, even on bad days.", ["hope"]),
    ("Will the insurance cover it this time?", ["Will"]),
    ("I will ask my psychiatrist tomorrow.", ["will"]),
    ("It will get easier, I promise.", ["will"]),
    ("Will power alone did not fix my sleep.", ["Will"]),
    ("By the grace of a good therapist I made it through.", ["grace"]),
    ("There is a grace period of thirty days on the premium.", ["grace"]),
    ("Grace periods saved me twice last year.", ["Grace"]),
    ("She handled the relapse with grace.", ["grace"]),
    ("Mark my words, the forms only get longer.", ["Mark"]),
    ("I put a mark on the calendar for each good day.", ["mark"]),
    ("The six month mark was the hardest.", ["mark"]),
    ("Keep the faith, it gets better.", ["faith"]),
    ("Faith in the system is hard after a denial.", ["Faith"]),
    ("I lost faith in that clinic.", ["faith"]),
    ("You may want to ask about side effects.", ["may"]),
    ("May I ask what dose you started on?", ["May"]),
    ("My appointment is in May, finally.", ["May"]),
    ("The bill came to four hundred dollars.", ["bill"]),
    ("Bill paying is the worst part of being ill.", ["Bill"]),
    ("They sent the bill to my old address.", ["bill"]),
    ("Joy came back slowly, in small pieces.", ["Joy"]),
    ("There was no joy in anything for months.", ["joy"]),
    ("Art therapy helped me more than talk therapy.", ["Art"]),
    ("It was a frank talk about the risks.", ["frank"]),
    ("Frank answers from a doctor are rare.", ["Frank"]),
    ("I woke at dawn every day on that medication.", ["dawn"]),
    ("Dawn is the hardest time for me.", ["Dawn"]),
    ("The roses in the clinic garden rose early this year.", ["rose"]),
    ("My rich aunt paid for the first sessions.", ["rich"]),
    ("I tried to max out the sleep hygiene tips.", ["max"]),
    ("We kept a sunny room for the bad days.", ["sunny"]),
    ("I have little patience for long waits.", ["patience"]),
    ("Patience is not my strong suit.", ["Patience"]),
    ("Honor your limits, that's what my counselor says.", ["Honor"]),
    ("There is a chance the insurer will reconsider.", ["chance", "will"]),
    ("Ray of light in a dark week, this post.", ["Ray"]),
    ("I hope, and I will keep hoping.", ["hope", "will"]),
    ("The pharmacist was kind and frank with me.", ["frank"]),
    ("Summer was hard; winter was harder.", ["Summer"]),
    ("Mark the date: my first full night of sleep in a year!", ["Mark"]),
    ("Faith, hope and a good psychiatrist.", ["Faith", "hope"]),
    ("Grace under pressure is overrated.", ["Grace"]),
    ("Will do, thanks for the reminder.", ["Will"]),
    ("I hope so too.", ["hope"]),
    ("We will see what the next refill costs.", ["will"]),
    ("Hope this helps someone.", ["Hope"]),
)
# Posts' bylines must stay (bloggers are public).
BYLINE_TEXTS = ("{b} wrote a great post on this last spring.", "Thanks to {b} for the follow-up.",
                "I emailed {b} and got a kind answer.")


def _surfaces(name: str, rng: random.Random) -> list[tuple[str, str]]:
    """(category, surface) forms a reader's name takes in text."""
    tokens = name.split()
    forms = [("full", name), ("lower", name.lower())]
    first = next((t for t in tokens if t.rstrip(".").lower() not in {"dr", "rev", "pastor"}), tokens[0])
    if len(tokens) > 1 and first[:1].isupper() and len(first.rstrip(".")) >= 2 and first.isalpha():
        forms.append(("first_name", first))
        if first.lower() not in {"grace", "will", "mark", "faith", "hope", "bill", "may", "dawn", "frank", "ivy"}:
            forms.append(("first_name_lower", first.lower()))
    if len(tokens) == 1:
        forms.append(("handle", "@" + name))
    return forms


def _plant(template: str, surface: str) -> str:
    if template.startswith("@"):
        return template.format(n=surface.lstrip("@"))
    return template.format(n=surface)


def build(seed: int = 13) -> list[dict]:
    sys.path.insert(0, str(ROOT))
    from demoblog.generate import _SITES as SITES, COMMENTERS

    rng = random.Random(seed)
    readers = [c for c in COMMENTERS if c not in GENERIC] + list(EXTRA_READERS)
    bloggers = [a for site in SITES.values() for a, _ in site["authors"]]
    rows: list[dict] = [{"type": "meta", "site_id": "demo", "commenters": readers + ["Anonymous"],
                         "earlier_commenters": list(EARLIER_READERS), "bloggers": bloggers,
                         "profile_urls": {}}]
    profile_urls: dict[str, str] = rows[0]["profile_urls"]
    n = 0

    def add(category: str, text: str, remove: list[str], keep: list[str] = ()) -> None:
        nonlocal n
        n += 1
        rows.append({"id": n, "category": category, "text": text, "must_remove": remove, "must_keep": list(keep)})

    for name in readers + list(EARLIER_READERS):
        origin = "earlier_run" if name in EARLIER_READERS else "this_run"
        for form, surface in _surfaces(name, rng):
            if form == "handle":
                templates = ["@{n} did the new dose help?", "Agreed, @{n}."]
            elif form in ("lower", "first_name_lower"):
                templates = [t for t in LOWER if not t.startswith("@")]
            else:
                templates = list(SALUTATIONS + SIGN_OFFS + QUOTES + POSSESSIVES + MID)
            for template in rng.sample(templates, min(len(templates), 3 if form in ("full", "first_name") else 1)):
                text = _plant(template, surface.lstrip("@") if form == "handle" and not template.startswith("@") else surface)
                if form == "handle":
                    text = template.format(n=surface.lstrip("@"))
                kind = _kind_of(template)
                add(f"name:{origin}:{form}:{kind}", text, [surface.lstrip("@")])
    # Identifiers: e-mails, phones, profile URLs (some inside a sentence with a name).
    phones = ("(555) 123-4567", "555-867-5309", "+44 20 7946 0958", "020 7946 0958", "+1 415 555 0199",
              "07700 900123", "555.234.9876", "+49 30 901820")
    for i, name in enumerate(rng.sample(readers, 24)):
        handle = re.sub(r"[^a-z0-9]+", ".", name.lower()).strip(".")
        email = f"{handle}@example.org" if i % 2 else f"{handle.replace('.', '_')}{i}@mail.example.com"
        add("email", f"You can write to me at {email} if you want the list of clinics.", [email])
        add("phone", f"Their intake line is {phones[i % len(phones)]}, ask for the evening nurse.",
            [phones[i % len(phones)]])
        url = (f"https://twitter.com/{handle.replace('.', '_')}", f"https://{handle.replace('.', '')}.blogspot.com/2024/05/my-story.html",
               f"https://www.facebook.com/{handle}", f"http://medium.com/@{handle.replace('.', '')}")[i % 4]
        if "blogspot" in url:  # a personal blog as the commenter's profile link: its host identifies
            profile_urls[name] = url.split("/2024/")[0] + "/"
        add("profile_url", f"I wrote more about it here: {url} (long read).", [url.split("://", 1)[1]])
    for text, keep in ORDINARY:
        add("ordinary", text, [], keep)
        add("ordinary", "Thanks for this post. " + text, [], keep)
    for b in bloggers:
        for template in BYLINE_TEXTS[:2]:
            surface = b.split(",")[0]
            add("blogger_byline", template.format(b=surface), [], [surface])
    # A reader who shares a first name with a blogger (Rosa P. vs Rosa Delgado) is still a reader.
    add("name:this_run:first_name:shared_with_blogger", "Rosa, the night shift thing is so true.", ["Rosa"])
    add("name:this_run:first_name:shared_with_blogger", "Hang in there. Take care, Rosa", ["Rosa"])
    return rows


def _kind_of(template: str) -> str:
    for kind, bank in (("salutation", SALUTATIONS), ("sign_off", SIGN_OFFS), ("quote", QUOTES),
                       ("possessive", POSSESSIVES), ("mid_sentence", MID), ("lower", LOWER)):
        if template in bank:
            return kind
    return "handle"


def main() -> None:
    rows = build()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows) - 1} labelled comments to {OUT}")


if __name__ == "__main__":
    main()
