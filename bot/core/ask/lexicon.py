"""What /ask knows about words: the catalogue's key terms in English, Japanese and Korean,
the countries, and the words a question is made of that say nothing about its subject.

The glossary is what lets `日本は韓国への輸出規制を解除したか` find an English development
titled "Japan lifts the additional export inspections imposed on South Korea": each concept
lists the English words the catalogue uses (searched in the word index) and the Japanese and
Korean ways to say it (recognised in questions, and searched in the CJK index). Kept small
and hand-made: the terms of a curated US–Japan–Korea catalogue, not a dictionary.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Concept:
    """One idea in three languages. `en` holds the catalogue's English wordings (the first
    is searched first); `ja` and `ko` how questions put it. `countries`: a place (or pair
    of places) is matched by a development's countries, not only its words."""

    key: str
    en: tuple[str, ...]
    ja: tuple[str, ...] = ()
    ko: tuple[str, ...] = ()
    countries: frozenset[str] = frozenset()


def _c(key: str, en: str, ja: str = "", ko: str = "", countries: str = "") -> Concept:
    """A concept from `|`-separated wordings (readable tables below)."""

    def split(text: str) -> tuple[str, ...]:
        return tuple(w.strip() for w in text.split("|") if w.strip())

    return Concept(key, split(en), split(ja), split(ko), frozenset(countries.split()))


COUNTRY_CONCEPTS: tuple[Concept, ...] = (
    _c(
        "north-korea",
        "north korea|north korean|north koreans|dprk|pyongyang|n. korea|n. k.",
        "北朝鮮|平壌|朝鮮",
        "북한|평양|북측|조선",
        "KP",
    ),
    _c(
        "south-korea",
        "south korea|south korean|south koreans|korea|korean|koreans|seoul|rok",
        "韓国|ソウル",
        "한국|대한민국|서울|남한|우리나라",
        "KR",
    ),
    _c("japan", "japan|japanese|tokyo", "日本|東京|日本政府", "일본|도쿄", "JP"),
    _c(
        "united-states",
        "united states|u.s.|usa|america|american|americans|washington",
        "米国|アメリカ|米|ワシントン|米政府",
        "미국|워싱턴",
        "US",
    ),
    _c("china", "china|chinese|beijing|prc|sino", "中国|北京|中", "중국|베이징", "CN"),
    _c("russia", "russia|russian|russians|moscow|kremlin", "ロシア|モスクワ|露", "러시아|모스크바", "RU"),
    _c(
        "trilateral",
        "trilateral|three countries|three allies|trio",
        "3か国|三か国|3カ国|三カ国|3国|三国|日米韓3か国",
        "3국|3자|삼국|3개국|세 나라",
        "US JP KR",
    ),
    # Pairs and the trio as one word (日韓, 한미일): every country they name.
    _c("us-japan-korea", "", "日米韓|日韓米|米日韓|韓米日|米韓日", "한미일|한일미|미한일|한미일", "US JP KR"),
    _c("japan-korea", "", "日韓|韓日", "한일|일한", "JP KR"),
    _c("us-japan", "", "日米|米日", "미일|일미", "US JP"),
    _c("us-korea", "", "米韓|韓米", "한미|미한", "US KR"),
    _c("us-china", "", "米中|中米", "미중|중미", "US CN"),
    _c("north-korea-russia", "", "朝露|露朝", "북러|러북", "KP RU"),
    _c("north-korea-china", "", "中朝|朝中", "북중|중북", "KP CN"),
)

GLOSSARY: tuple[Concept, ...] = (
    _c(
        "export-controls",
        "export controls|export control|export inspections|export restrictions|export curbs"
        "|additional inspections",
        "輸出規制|輸出管理|輸出制限|輸出厳格化|輸出優遇",
        "수출규제|수출 규제|수출통제|수출 통제|수출 제한|수출제한",
    ),
    _c(
        "lift",
        "lift|lifts|lifted|lifting|remove|removed|scrap|scrapped|ease|eased|end|ended",
        "解除|撤廃|緩和|撤回",
        "해제|철회|완화|풀었|풀어|풀렸|풀린|폐지",
    ),
    _c(
        "forced-labour",
        "forced labour|forced labor|forced-labour|conscripted|conscription|wartime labour",
        "徴用工|元徴用工|強制労働|強制徴用|徴用",
        "강제징용|강제 징용|징용|강제노동|강제 노동",
    ),
    _c("compensation", "compensation|reparations|damages", "賠償|補償", "배상|보상"),
    _c(
        "trade-volume",
        "trade volume|volume|billion|$80 billion|size|large|big",
        "貿易額|貿易規模|取引額|規模",
        "교역액|교역 규모|무역 규모|무역액|규모",
    ),
    _c("trade", "trade|bilateral trade|commerce|commercial", "貿易|通商|交易", "무역|교역|통상"),
    _c("exports", "exports|export|exporting", "輸出", "수출"),
    _c(
        "forecast",
        "expected|forecast|outlook|projected|expect",
        "見通し|予測|見込み|予想",
        "전망|예상|예측|기대",
    ),
    _c(
        "summit",
        "summit|summits|met|meeting|leaders",
        "首脳会談|首脳会議|会談|サミット|首脳",
        "정상회담|정상 회담|정상회의|회담|정상",
    ),
    _c("yoon", "yoon suk-yeol|yoon|suk-yeol", "尹錫悦|尹大統領|ユン・ソンニョル", "윤석열"),
    _c("kishida", "kishida|fumio kishida", "岸田|岸田文雄", "기시다|기시다 후미오"),
    _c(
        "tourism",
        "tourism|tourists|tourist|visitors|visits|travel",
        "観光|観光客|旅行|訪日|訪韓|旅行者|訪問",
        "관광|관광객|여행|방문객|방한|방일|방문",
    ),
    _c("minister", "minister|ministers|counterpart", "大臣|閣僚", "장관"),
    _c("park-bo-gyoon", "park bo-gyoon|bo-gyoon", "朴保均|パク・ボギュン", "박보균"),
    _c("saito", "saito tetsuo|saito", "斉藤鉄夫|斉藤", "사이토"),
    _c(
        "defense-talks",
        "defense talks|defence talks|trilateral defense talks",
        "防衛協議|防衛実務者協議|安保協議|防衛当局",
        "국방회담|국방 회담|안보회의|안보 회의|국방당국",
    ),
    _c("drills", "drills|drill|exercises|exercise", "訓練|演習", "훈련|연습"),
    _c(
        "missile-defence",
        "missile defence|missile-defence|missile defense|anti-missile|missile|missiles",
        "ミサイル防衛|ミサイル",
        "미사일 방어|미사일방어|미사일",
    ),
    _c("submarine", "anti-submarine|submarine|submarines", "対潜|潜水艦", "대잠|잠수함"),
    _c("regular", "regularly|regular|repeat", "定例|定期|定期的", "정례|정기|정기적"),
    _c(
        "intelligence",
        "intelligence|intelligence sharing|information sharing",
        "情報共有|情報協力|機密情報|情報",
        "정보 공유|정보공유|정보 협력|정보협력|정보",
    ),
    _c(
        "gsomia",
        "gsomia|military information agreement|general security of military information",
        "GSOMIA|ジーソミア|軍事情報包括保護協定|軍事情報",
        "지소미아|군사정보보호협정|군사정보|GSOMIA",
    ),
    _c("kim-tae-hyo", "kim tae-hyo|tae-hyo", "金泰孝|キム・テヒョ", "김태효"),
    _c("join", "join|joining|include|including|bring", "参加|加入|加わ|参画", "참여|합류|가입|포함"),
    _c("agenda", "agenda", "議題", "의제"),
    _c("weapons", "weapons|arms|weapon", "武器|兵器", "무기"),
    _c("food", "food|food supplies", "食料|食糧", "식량"),
    _c("wagner", "wagner|mercenary|mercenaries", "ワグネル|傭兵", "바그너|용병"),
    _c("deal", "deal|agreement|pact|accord", "取引|合意|協定|契約", "거래|합의|협정|계약"),
    _c("ukraine", "ukraine|ukrainian", "ウクライナ", "우크라이나"),
    _c("rivalry", "rivalry|rival|competition|rivals", "対立|競争|覇権", "경쟁|대립|패권"),
    _c("threat", "threat|threats|concern|concerns|concerned|worried|worry|worries", "脅威|懸念", "위협|우려"),
    _c("nuclear", "nuclear", "核", "핵"),
    _c(
        "security",
        "security perception|security|defence|defense",
        "安全保障|安保|防衛",
        "안보|안전보장|국방",
    ),
    _c("influence", "influence|influential", "影響力|影響", "영향력|영향"),
    _c(
        "closeness",
        "closeness|close relations|close|closer",
        "緊密|親密|接近",
        "밀착|가까운|친밀",
    ),
    _c(
        "improve",
        "improve|improved|improving|positive|thaw|rapprochement|better|deepening|deepen",
        "改善|好転|雪解け|深化|接近",
        "개선|호전|해빙|심화|가까워",
    ),
    _c("interests", "interests|interest|expectations", "利益|国益|思惑", "이익|국익|이해관계"),
    _c(
        "increase",
        "increase|increased|increasing|rise|risen|rising|grow|grown|growing|further",
        "増加|増え|増大|伸び",
        "늘었|늘어|증가|늘어날|늘|성장",
    ),
    _c("decide", "decided|decide|decision|agreed|agree", "決定|決ま", "결정"),
    _c("relations", "relations|ties|relationship|relationships", "関係", "관계"),
    _c("alliance", "alliance|allies|ally|alliances", "同盟", "동맹"),
    _c(
        "semiconductors",
        "semiconductors|semiconductor|chips|chip|smartphone|displays|materials",
        "半導体|チップ|スマートフォン|ディスプレイ|スマホ|素材",
        "반도체|칩|스마트폰|디스플레이|소재",
    ),
    _c(
        "normalise",
        "normalise|normalize|normalised|normalized|normalises|normalisation|normalization",
        "正常化",
        "정상화",
    ),
    _c("dispute", "dispute|disputes|issue|long-standing", "紛争|懸案|問題|対立", "분쟁|현안|갈등|문제"),
    _c("history", "history|historical|wartime", "歴史|戦時|戦時中", "역사|전시"),
    _c("resolve", "resolve|settle|settling|steps|solution", "解決|解決策", "해결|해법"),
    _c("cooperation", "cooperation|cooperate|cooperating", "協力", "협력"),
    _c("digital", "digital|technology", "デジタル|技術", "디지털|기술"),
    _c("economy", "economic|economy|economies", "経済", "경제"),
    _c("military", "military", "軍事|軍", "군사|군"),
    _c("perception", "perception|perceptions|views|sees", "認識|見方", "인식|시각"),
)

ALL_CONCEPTS: tuple[Concept, ...] = COUNTRY_CONCEPTS + GLOSSARY

ENGLISH_STOPWORDS = frozenset(
    """
    a about above after again against all also am an and any anything are aren't as at be
    because been before being below between both but by can could did didn't do does doesn't
    doing done don't down during each else ever every few for from further get got had has
    have having he her here hers him his how i if in into is isn't it it's its itself just
    know let like made make many may me might more most much must my no nor not now of off
    on once only or other our out over own please recent recently same say says said she
    should since so some still such tell than that that's the their them then there these
    they this those through to too under until up very was wasn't we were what what's when
    where which while who whom why will with would yet you your latest news happen happened
    happening going anything something thing things know known current currently there's
    lately regarding concerning kind sort way ways both either whether
    amount status state plan plans planned planning again affect affects affected
    change changed changes decide decided sign signed
    """.split()
)

# Question words and endings a Japanese or Korean question is built from. Kana is dropped
# anyway (particles and endings); these are the kanji and Hangul ones.
JAPANESE_STOPWORDS = frozenset(
    "何 誰 何時 何故 最近 最新 現在 今後 状況 について 教え 知り 以降 以前 どう".split()
)
KOREAN_STOPWORDS = frozenset(
    """
    무엇 무엇인가요 뭐 뭔가요 뭐야 언제 어디 어디서 누가 누구 어떻게 왜 얼마 얼마나 얼마인가요
    어떤 어느 무슨 있나요 있었나요 했나요 했습니까 인가요 입니까 대해 대해서 대한 관련 관련해
    알려줘 알려주세요 알려 주세요 최근 최신 요즘 현재 것 수 등 그리고 또는 이후 이전 했는지
    있는지 되었나요 됐나요 되었습니까 어떻게 됐나요 상황 소식 관해 관한 정말 혹시
    """.split()
)
# Korean particles and endings, longest first: `규모는` → `규모`, `해제했나요` → `해제`.
KOREAN_ENDINGS: tuple[str, ...] = tuple(
    sorted(
        """
        에서는 으로는 에게서 이라고 했습니까 합니까 했나요 인가요 였나요 입니까 했는지 하였나요
        됐나요 되었나요 나요 까지 부터 에서 에게 으로 하고 이나 처럼 보다 했다 한다 하나요
        은 는 이 가 을 를 의 에 로 와 과 도 만 요 했 한
        """.split(),
        key=len,
        reverse=True,
    )
)
