"""Per-hut static profiles of the simulator (capacity, bed categories, season style, horizon).

Everything here is derived once from the catalog and the seed, so the same seed always gives
the same huts; the time-dependent part lives in `model.py`.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PACKAGED_CATALOG = Path(__file__).resolve().parent.parent / "data" / "hut_catalog_2026-06.json"
DEFAULT_CAPACITY = 40
MIN_HORIZON_DAYS = 15  # real horizons range from 15 to 731 days
MAX_HORIZON_DAYS = 731
SHORT_HORIZON_SHARE = 0.08  # huts that publish only the coming weeks (15 to 120 days)

SERVICED = "SERVICED"
CLOSED = "CLOSED"
UNSERVICED = "UNSERVICED"
NOT_SERVICED = "NOT_SERVICED"

ROOM = "ROOM"
_BIVOUAC = re.compile(r"biwak|bivacco|bivouac", re.IGNORECASE)

TENANTS = {"CH": "SAC", "AT": "OEAV", "DE": "DAV", "IT": "AVS", "LI": "LAV"}
LANGUAGES = {
    "CH": ["DE_CH", "FR", "IT", "EN"],
    "AT": ["DE", "EN"],
    "DE": ["DE", "EN"],
    "IT": ["DE", "IT", "EN"],
    "LI": ["DE", "EN"],
}
# label, short label per language family; DE_CH and DE share the German labels.
LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "dorm": {
        "DE": ("Massenlager", "ML"),
        "FR": ("Dortoir", "Dort"),
        "IT": ("Dormitorio", "Dorm"),
        "EN": ("Dormitory", "Dorm"),
    },
    "multi": {
        "DE": ("Mehrbettzimmer", "MZ"),
        "FR": ("Chambre", "Cham"),
        "IT": ("Camera", "Came"),
        "EN": ("Small rooms", "Room"),
    },
    "room": {
        "DE": ("Zimmer", "ZI"),
        "FR": ("Chambre double", "CD"),
        "IT": ("Camera doppia", "CD"),
        "EN": ("Double room", "DR"),
    },
    "winter": {
        "DE": ("Winterraum", "WR"),
        "FR": ("Local d'hiver", "LH"),
        "IT": ("Locale invernale", "LI"),
        "EN": ("Winter room", "WR"),
    },
}
_WARDENS = ["Anna Meier", "Peter Huber", "Seraina Wicky", "Lukas Gruber", "Maria Steiner", "Jon Caduff"]


@dataclass(frozen=True)
class Category:
    """One bed category of a hut: its id, places, kind (label family) and reservation mode."""

    category_id: int
    places: int
    kind: str
    mode: str = ROOM


@dataclass(frozen=True)
class HutProfile:
    """Static simulation parameters of one hut, derived from its catalog entry and the seed."""

    hut_id: int
    name: str
    country: str
    coordinates: str
    altitude: str
    altitude_m: int
    total_beds_info: str
    capacity: int
    rooms: tuple[Category, ...]
    winter_room: Category | None
    off_status: str  # status outside the serviced seasons: UNSERVICED, NOT_SERVICED or CLOSED
    shoulder_closed: bool  # winter-room huts that are fully CLOSED from late October to December
    bivouac: bool  # never serviced: the winter room is the whole hut
    spring_season: bool
    horizon_days: int
    release_days: int | None  # serviced nights further ahead are not bookable online yet (None: all released)
    configured_days: int | None  # nights further ahead are unconfigured placeholders, every bed free
    sells_out_online: bool  # nearly full nights come and go as "not bookable online" (freeBeds null)
    popularity: float
    tau_days: float
    extra: dict[str, Any]


def load_catalog(path: str | Path | None = None) -> list[dict[str, Any]]:
    """The catalog's hut list: from `path`, or the catalog packaged with the project."""
    data = json.loads(Path(path or PACKAGED_CATALOG).read_text(encoding="utf-8"))
    huts = data["huts"] if isinstance(data, dict) else data
    return [h for h in huts if isinstance(h, dict) and isinstance(h.get("hutId"), int)]


def parse_int(text: object) -> int | None:
    """First integer in a free-text field ("2.060 m", "1'291 m", "17"), or None."""
    if not isinstance(text, str):
        return None
    cleaned = re.sub(r"(?<=\d)[.'’](?=\d{3}\b)", "", text)
    match = re.search(r"\d+", cleaned)
    return int(match.group()) if match else None


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    """Split `total` places into `parts` positive shares, the first being the largest (dormitory)."""
    if parts <= 1:
        return [total]
    weights = sorted((rng.uniform(0.2, 1.0) for _ in range(parts)), reverse=True)
    weights[0] += 0.6
    shares = [max(1, int(total * w / sum(weights))) for w in weights]
    shares[0] += total - sum(shares)
    if shares[0] < 1:  # tiny huts: fall back to one category
        return [total]
    return shares


def build_profile(entry: dict[str, Any], seed: int) -> HutProfile:
    """Derive one hut's profile; a pure function of the catalog entry and the seed."""
    hut_id = int(entry["hutId"])
    rng = random.Random(f"profile:{seed}:{hut_id}")
    name = str(entry.get("hutName") or f"Hut {hut_id}")
    country = str(entry.get("hutCountry") or "CH")
    beds = parse_int(entry.get("totalBedsInfo"))
    capacity = beds if beds and beds > 0 else DEFAULT_CAPACITY
    altitude_m = parse_int(entry.get("altitude")) or 2000
    bivouac = bool(_BIVOUAC.search(name))

    max_parts = 1 if capacity < 2 else (2 if capacity < 10 else 3)
    parts = rng.randint(1, max_parts)
    ids = sorted(rng.sample(range(1, 1200), parts + 1))
    kinds = ["dorm", "multi", "room"]
    rooms = tuple(
        Category(category_id=ids[i], places=p, kind=kinds[i]) for i, p in enumerate(_split(capacity, parts, rng))
    )
    spelling = UNSERVICED if rng.random() < 0.5 else NOT_SERVICED
    short = rng.random() < SHORT_HORIZON_SHARE
    horizon = rng.randint(MIN_HORIZON_DAYS, 120) if short else rng.randint(180, MAX_HORIZON_DAYS)
    if bivouac:
        winter_room: Category | None = Category(ids[-1], capacity, "winter", UNSERVICED)
        off_status = spelling
    elif rng.random() < 0.6:
        places = max(1, min(rng.randint(4, 16), max(2, capacity // 2)))
        winter_room = Category(ids[-1], places, "winter", UNSERVICED)
        off_status = spelling
    else:
        winter_room = None
        off_status = CLOSED
    return HutProfile(
        hut_id=hut_id,
        name=name,
        country=country,
        coordinates=str(entry.get("coordinatesRaw") or ""),
        altitude=str(entry.get("altitude") or ""),
        altitude_m=altitude_m,
        total_beds_info=str(entry.get("totalBedsInfo") or ""),
        capacity=capacity,
        rooms=rooms,
        winter_room=winter_room,
        off_status=off_status,
        shoulder_closed=winter_room is not None and not bivouac and rng.random() < 0.4,
        bivouac=bivouac,
        spring_season=not bivouac and rng.random() < (0.5 if altitude_m > 2300 else 0.15),
        horizon_days=horizon,
        release_days=rng.randint(60, 240) if not bivouac and rng.random() < 0.3 else None,
        configured_days=rng.randint(300, 520) if horizon > 300 and rng.random() < 0.35 else None,
        sells_out_online=not bivouac and rng.random() < 0.4,
        popularity=rng.uniform(0.4, 1.25),
        tau_days=rng.uniform(20.0, 90.0),
        extra={
            "warden": rng.choice(_WARDENS),
            "phone": f"+{rng.randint(41, 49)} {rng.randint(10, 99)} {rng.randint(100, 999)} "
            f"{rng.randint(10, 99)} {rng.randint(10, 99)}",
            "max_nights": rng.choice([3, 5, 7, 14, 20]),
            "waiting_list": rng.random() < 0.5,
        },
    )


def _language_data(kind: str, languages: list[str]) -> list[dict[str, str]]:
    labels = LABELS[kind]
    out = []
    for language in languages:
        label, short = labels.get(language[:2], labels["EN"])
        out.append({"language": language, "label": label, "shortLabel": short, "description": "-"})
    return out


def hut_info(profile: HutProfile) -> dict[str, Any]:
    """The `hutInfo/{id}` answer of a hut, with the real endpoint's keys and key order."""
    languages = LANGUAGES.get(profile.country, ["DE", "EN"])
    categories = [*profile.rooms, *([profile.winter_room] if profile.winter_room else [])]
    return {
        "hutWebsite": f"https://www.hut-{profile.hut_id}.example.org",
        "hutId": profile.hut_id,
        "tenantCode": TENANTS.get(profile.country, "SAC"),
        "hutUnlocked": False,
        "maxNumberOfNights": profile.extra["max_nights"],
        "hutName": profile.name,
        "hutWarden": profile.extra["warden"],
        "phone": profile.extra["phone"],
        "coordinates": profile.coordinates,
        "altitude": profile.altitude,
        "totalBedsInfo": profile.total_beds_info,
        "tenantCountry": profile.country,
        "picture": {
            "fileType": "HUT_PICTURE",
            "blobPath": f"https://www.hut-reservation.org/data/files/hut_picture_{profile.hut_id}.jpg",
            "fileName": f"picture_{profile.hut_id}.jpg",
            "fileData": None,
        },
        "hutLanguages": languages,
        "hutBedCategories": [
            {
                "index": i + 1,
                "categoryID": c.category_id,
                "rooms": [],
                "isVisible": True,
                "totalSleepingPlaces": c.places,
                "reservationMode": c.mode,
                "hutBedCategoryLanguageData": _language_data(c.kind, languages),
                "isLinkedToReservation": False,
                "tenantBedCategoryId": i + 1,
            }
            for i, c in enumerate(categories)
        ],
        "providerName": "NO_EPAYMENT",
        "hutGeneralDescriptions": [
            {
                "description": "Online-Reservationen sind bis 18.00 Uhr am Vortag möglich.",
                "language": languages[0],
            }
        ],
        "supportLink": "",
        "waitingListEnabled": profile.extra["waiting_list"],
    }
