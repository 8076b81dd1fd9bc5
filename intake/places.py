"""Where a supplier processes data, from a typed answer: a recognised country or region, or
nothing (then the requester is asked again; "Mars" is not a place data is processed)."""

from __future__ import annotations

import re
from functools import cache

import pycountry

from intake.rules_org import detect_supplier

_REGIONS: tuple[tuple[str, str], ...] = (
    (r"asia[- ]?pacific|\bapac\b", "Asia-Pacific"),
    (r"middle east|\bmena\b", "Middle East"),
    (r"latin america|south america|\blatam\b", "Latin America"),
    (r"north america", "North America"),
    (r"\bafrica\b", "Africa"),
    (r"\basia\b", "Asia"),
    (r"\boceania\b", "Oceania"),
    (r"\bemea\b", "EMEA"),
    (
        r"worldwide|global(?:ly)?|multiple (?:regions|countries)|several (?:regions|countries)",
        "Several regions",
    ),
)
# Everyday names pycountry files under their formal ones.
_ALSO_KNOWN_AS = {
    "russia": "Russian Federation",
    "south korea": "Korea, Republic of",
    "korea": "Korea, Republic of",
    "taiwan": "Taiwan",
    "vietnam": "Viet Nam",
    "iran": "Iran",
    "czech republic": "Czechia",
    "turkey": "Türkiye",
    "holland": "Netherlands",
    "uae": "United Arab Emirates",
}


@cache
def _country_names() -> list[tuple[re.Pattern[str], str]]:
    names: dict[str, str] = dict(_ALSO_KNOWN_AS)
    for country in pycountry.countries:
        shown = getattr(country, "common_name", None) or country.name
        for name in {country.name, shown, getattr(country, "official_name", country.name)}:
            plain = name.split(",")[0].strip().lower()
            if len(plain) > 3:
                names.setdefault(plain, shown)
    ordered = sorted(names.items(), key=lambda item: -len(item[0]))
    return [(re.compile(rf"\b{re.escape(name)}\b", re.I), shown) for name, shown in ordered]


def place(text: str) -> str | None:
    """UK, EU/EEA or US as the register names them, another country by its name, a region, or
    None when the text names no place."""
    found = detect_supplier(text, answering=True).values.get("data_location")
    if found and found != "unknown":
        return str(found)
    for pattern, shown in _country_names():
        if pattern.search(text):
            return shown
    for pattern_text, shown in _REGIONS:
        if re.search(pattern_text, text, re.I):
            return shown
    return None
