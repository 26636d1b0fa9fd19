"""Which tracked countries a story is about, its domain and how relevant it is.

A lexicon, not a model: names, demonyms, capitals, institutions and leaders, checked
against a labelled set of headlines (tests/data/headlines.tsv; figures in bench/feeds.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.models import Domain

TRACKED = ("US", "JP", "KR", "KP", "CN", "RU")
CORE = frozenset({"US", "JP", "KR"})

# (pattern, codes). Case-insensitive unless the pattern starts with (?-i:...).
_LEXICON: tuple[tuple[str, tuple[str, ...]], ...] = (
    # --- United States
    (r"\bU\.\s?S\.(?:A\.)?", ("US",)),
    (r"(?-i:\bUSA?\b)", ("US",)),
    (r"\bUnited States\b", ("US",)),
    (r"(?<!Latin )(?<!South )(?<!North )(?<!Central )\bAmerican?s?\b", ("US",)),
    (r"\bWashington\b", ("US",)),
    (r"\bWhite House\b|\bPentagon\b|\bState Department\b|\bDepartment of State\b", ("US",)),
    (r"\bSecretary of State\b|\bFederal Reserve\b|\bWall Street\b|(?-i:\bFed\b)", ("US",)),
    (r"\b(?:Trump|Biden|Rubio|Blinken|Hegseth|Bessent|Lutnick|Vance|Harris)\b", ("US",)),
    (r"\bTexas\b|\bLouisiana\b|\bCalifornia\b|\bLos Angeles\b|\bNew York\b|\bHawaii\b", ("US",)),
    (r"\bGuam\b|\bAlaska\b|\bArizona\b|\bGeorgia plant\b|\bSilicon Valley\b", ("US",)),
    (r"(?-i:\bUSTR\b)|\bIndo-Pacific Command\b|\bINDOPACOM\b", ("US",)),
    (r"(?-i:\bUSFK\b)|\bU\.?S\.? Forces Korea\b", ("US", "KR")),
    (r"(?-i:\bUSFJ\b)|\bU\.?S\.? Forces Japan\b", ("US", "JP")),
    # --- Japan
    (r"\bJapan(?:ese)?\b|\bTokyo\b|\bOkinawa\b|\bOsaka\b|\bHokkaido\b|\bFukushima\b", ("JP",)),
    (r"\b(?:Kishida|Ishiba|Takaichi|Motegi|Iwaya|Koizumi|Nakatani|Shinzo Abe|Suga)\b", ("JP",)),
    (r"\bBank of Japan\b|(?-i:\bBOJ\b)|\bNikkei\b|(?-i:\byen\b)|\bSenkakus?\b", ("JP",)),
    (r"\bSelf-Defense Forces?\b|(?-i:\bSDF\b|\bLDP\b)|\bLiberal Democratic Party\b", ("JP",)),
    (r"\bToyota\b|\bNippon\b|\bHonda\b|\bNissan\b|\bSoftBank\b|\bPanasonic\b", ("JP",)),
    (r"\bNagasaki\b|\bHiroshima\b|\bYokosuka\b|\bKyushu\b|\bTaro Kono\b", ("JP",)),
    # --- South Korea
    (
        r"\bSouth Korea(?:ns?)?\b|\bS\.\s?Korea(?:ns?)?\b|\bRepublic of Korea\b|(?-i:\bROK\b)",
        ("KR",),
    ),
    (r"(?<!North )(?<!N\. )(?<!N\.)(?<!inter-)\bKorea(?:ns?)?\b(?! Peninsula)", ("KR",)),
    (r"\bSeoul\b|\bBusan\b|\bIncheon\b|\bJeju\b|\bGyeongju\b|\bPyeongtaek\b|\bDokdo\b", ("KR",)),
    (r"\bYoon\b|\bLee Jae-myung\b|\bPresident Lee\b|\bCho Hyun\b|\bHan Duck-soo\b", ("KR",)),
    (r"\bAhn Gyu-back\b|\bPark Jin\b|\bCho Tae-yul\b|\bChung Dong-young\b", ("KR",)),
    (r"\bSamsung\b|\bHyundai\b|\bSK Hynix\b|\bKOSPI\b|\bBank of Korea\b", ("KR",)),
    (r"\bUnification Ministry\b|\bK-pop\b|\bBTS\b|\bKorea Herald\b", ("KR",)),
    (r"\bHanwha\b|\bKorea Zinc\b|\bLG Energy\b|\bNational Assembly\b(?= .*Korea)", ("KR",)),
    # --- North Korea
    (r"\bNorth Korea(?:ns?)?\b|\bN\.\s?Korea(?:ns?)?\b|(?-i:\bDPRK\b)|\bPyongyang\b", ("KP",)),
    (r"\bKim Jong[- ]?Un\b|\bKim Yo[- ]?Jong\b|(?-i:\bKCNA\b)|\bChoe Son[- ]?Hui\b", ("KP",)),
    (r"\bKaesong\b|\bYongbyon\b|\bHwasong\b|\bSohae\b|\bKim Jong[- ]?Il\b", ("KP",)),
    (r"\binter-Korean\b|\btwo Koreas\b|\bKorean Peninsula\b", ("KR", "KP")),
    # --- China
    (
        r"(?<!South )(?<!East )\bChina\b(?! Sea)|\bChinese\b|\bBeijing\b|(?-i:\bPRC\b|\bPLA\b|\bXi\b)|\bXi Jinping\b",
        ("CN",),
    ),
    (r"\bWang Yi\b|\bLi Qiang\b|\bShanghai\b|(?-i:\byuan\b)|\bSino-", ("CN",)),
    # --- Russia
    (r"\bRussia(?:ns?)?\b|\bMoscow\b|\bKremlin\b|\bPutin\b|\bLavrov\b|\bShoigu\b", ("RU",)),
    (r"\bSakhalin\b|\bKursk\b|\bLukoil\b", ("RU",)),
    (r"\bVladivostok\b|\bPeskov\b|\bRosneft\b|\bGazprom\b", ("RU",)),
)
_COMPILED = tuple((re.compile(p, re.IGNORECASE), codes) for p, codes in _LEXICON)

_DOMAIN_WORDS: dict[Domain, str] = {
    "security": (
        "missile|missiles|ballistic|icbm|drill|drills|exercise|exercises|military|militaries|"
        "defense|defence|defense budget|defence budget|troops|nuclear|warship|warships|navy|"
        "naval|army|air force|fighter|fighters|fighter jets|jets|bomber|bombers|artillery|fires|"
        "fired|test-fires|deterrence|deterrent|thaad|submarine|submarines|radar|warhead|"
        "warheads|weapons|weapon|munitions|ammunition|satellite|spy|cyber|hackers|hacking|"
        "intelligence|gsomia|coast guard|incursion|drone|drones|uranium|enrichment|"
        "denuclearization|provocation|provocations|combat|dmz|soldiers|arms|"
        "aircraft carrier|carrier|destroyer|destroyers|interceptor|war|hypersonic|usfk|usfj|"
        "forces|brigade|marines|howitzer|howitzers|tank|tanks|attack|attacks|"
        "reciprocal access|counterstrike|warning shots|balloons|loudspeakers|scrambles"
    ),
    "economy": (
        "trade|tariff|tariffs|export|exports|import|imports|economy|economic|gdp|growth|"
        "inflation|yen|won|yuan|currency|semiconductor|semiconductors|chip|chips|chipmaker|"
        "investment|investments|invest|market|markets|stocks|shares|kospi|nikkei|bank|rates|"
        "interest rate|interest rates|key rate|jobless rate|exchange rate|bond|bonds|"
        "supply chain|supply chains|minerals|critical minerals|rare earths|rare earth|"
        "batteries|battery|shipbuilding|shipbuilders|steel|automakers|autos|car|cars|jobs|"
        "unemployment|fiscal|financial|finance|budget|deficit|surplus|energy|lng|oil|gas|"
        "pipeline|prices|price|output|factory|factories|manufacturing|revenue|profit|profits|"
        "earnings|samsung|hyundai|hynix|toyota|sony|nvidia|tsmc|currency swap|swap|fta|"
        "exporters|consumer|retail|sales|economic security|export controls|crypto|contracts|"
        "acquisition|merger|bridge|stake|venture|whitelist"
    ),
    "diplomacy": (
        "summit|summits|talks|meeting|meets|meet|met|foreign minister|foreign ministers|"
        "minister|ministers|visit|visits|envoy|envoys|ambassador|diplomatic|diplomacy|"
        "bilateral|trilateral|agreement|accord|statement|joint statement|condemn|condemns|"
        "protest|protests|summons|urges|calls|phone|dialogue|relations|ties|cooperation|"
        "partnership|alliance|apec|g7|g20|un|united nations|asean|secretariat|secretary|"
        "consultations|normalization|apology|state visit|president|premier|prime minister|"
        "leaders|delegation|negotiations|sanctions|treaty|recognition|embassy|consulate|"
        "election|impeachment|impeached|sworn|martial law|cabinet|parliament|party|"
        "resigns|step down|travels|framework"
    ),
    "society": (
        "population|birth|births|fertility|fertility rate|aging|tourists|tourism|visitors|"
        "students|school|schools|university|culture|k-pop|film|festival|earthquake|"
        "earthquakes|typhoon|flood|floods|heat|heat wave|wildfire|wildfires|weather|disaster|"
        "crime|police|court|trial|protesters|rally|workers|strike|health|hospital|hospitals|"
        "doctors|medical|virus|covid|measles|outbreak|education|survey|poll|public opinion|"
        "families|women|marriage|immigrants|immigration|foreign residents|language|sports|"
        "olympics|baseball|football|marathon|runners|religion|church|accident|fire|ferry|"
        "crash|victims|comfort women|forced labor|abductees|abduction|defectors|defector|"
        "refugees|human rights|visa|visas|exchange|exchanges|youth|anime|media|climate|"
        "pollution|expats|cost of living|world tour|concert|bts|treated water|fish|rain|"
        "crowd crush|mvp|evacuate|evacuations"
    ),
}
# Phrases first, so "foreign minister" is not also counted as "minister".
_DOMAIN_PATTERNS = {
    domain: re.compile(
        r"\b(?:"
        + "|".join(re.escape(w) for w in sorted(words.split("|"), key=len, reverse=True))
        + r")\b",
        re.IGNORECASE,
    )
    for domain, words in _DOMAIN_WORDS.items()
}
# How telling one hit is: a missile is security almost surely; "talks" could be anything.
_DOMAIN_WEIGHT: dict[Domain, float] = {
    "security": 1.3,
    "economy": 1.2,
    "diplomacy": 0.8,
    "society": 1.1,
}


# "SEOUL, April 29 (Yonhap) -- ": where the wire filed from, not what the story is about.
_DATELINE = re.compile(
    r"^[A-Z][A-Z .,'-]{1,40}?,? [A-Z][a-z]+\.? \d{1,2}\s*(?:\([^)]{1,40}\))?\s*(?:--|—|-)\s*"
)


@dataclass(frozen=True)
class Classification:
    """What a story is about, as the queue needs it."""

    countries: tuple[str, ...]
    domain: Domain
    relevance: float

    @property
    def relevant(self) -> bool:
        """About at least one tracked country."""
        return bool(self.countries)


def countries_in(text: str) -> set[str]:
    """Tracked country codes the text names (by name, place, institution or leader)."""
    found: set[str] = set()
    for pattern, codes in _COMPILED:
        if pattern.search(text):
            found.update(codes)
    return found


def domain_of(title: str, summary: str = "") -> Domain:
    """The best-scoring domain; title words count double; diplomacy when nothing fits."""
    scores: dict[Domain, float] = {}
    for domain, pattern in _DOMAIN_PATTERNS.items():
        hits = 2 * len(pattern.findall(title)) + len(pattern.findall(summary))
        scores[domain] = hits * _DOMAIN_WEIGHT[domain]
    best = max(scores, key=lambda d: scores[d])
    return best if scores[best] > 0 else "diplomacy"


# A summary alone makes a story ours only when it names this many tracked countries: one
# passing mention ("at the Met Gala in New York", "American tours") is not the story.
SUMMARY_ONLY_COUNTRIES = 2


def classify(title: str, summary: str = "") -> Classification:
    """Countries (title first; the summary adds to a title that names one, and stands
    alone only when it names `SUMMARY_ONLY_COUNTRIES`), domain and a relevance in [0, 1]."""
    summary = _DATELINE.sub("", summary)
    in_title = countries_in(title)
    in_summary = countries_in(summary)
    if in_title:
        found = in_title | in_summary
    else:
        found = in_summary if len(in_summary) >= SUMMARY_ONLY_COUNTRIES else set()
    codes = tuple(c for c in TRACKED if c in found)
    relevance = 0.0
    if codes:
        core = len(CORE & found)
        relevance = 0.3 if in_title else 0.15
        relevance += 0.2 * core + 0.05 * (len(codes) - core)
        relevance += 0.1 if core >= 2 else 0.0
    return Classification(codes, domain_of(title, summary), round(min(relevance, 1.0), 2))
