"""A realistic corpus of co-signed credentials for measuring and testing the QR transport.

Holders of every script our corridors serve (Latin with diacritics, with long Spanish and
Filipino double surnames; Burmese, Thai, Khmer, Bengali, Devanagari), names up to 60
characters, qualification titles up to 100 characters, prior-skills evidence summaries of
60, 150 and 300 characters in English, Spanish and Filipino, in the three demo corridors and
four more (one per remaining script). Every credential is issued and co-signed with real keys,
and the corpus carries the signed trust lists (with their catalogues) and status lists that
verify it.

The name parts, titles and narrative phrases below are written for this corpus; the transport's
frozen dictionary is built from its own word lists (``certsvc/qr/vocabulary.py``), not from
these, so that the sizes measured here say something about names and texts it has not seen.
``build_corpus`` takes other name parts, titles and phrases for exactly that purpose.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from certsvc.credentials import identifiers
from certsvc.credentials.cosigned import CoSignedCredential
from certsvc.credentials.keys import SigningKey
from certsvc.credentials.openbadge import AssessmentMethod, Holder, PriorSkillsAssessment, Qualification
from certsvc.credentials.statuslist import VerifiedStatusList, parse_status_list_token
from certsvc.credentials.trustlist import Equivalence, OrgKind, TrustList, parse_trust_list
from certsvc.demo.world import Corridor, Party, corridors, issue, signed_status_list, signed_trust_list

BASE = "https://skills.example.org"
VERIFY_URL = BASE + "/v"
NOW = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
STATUS_LIST_SIZE = 1 << 16
EVIDENCE_LENGTHS = (60, 150, 300)
NAME_LENGTHS = (18, 34, 48, 60)
MAX_TITLE = 100

# --- holders' names, by script ------------------------------------------------------------------

FILIPINO_GIVEN = (
    "Maria",
    "Ma. Cristina",
    "José",
    "Juan Miguel",
    "Rosario",
    "Jocelyn",
    "Rodrigo",
    "Lourdes",
    "Marites",
    "Jonalyn",
    "Ma. Luisa",
    "Arnel",
    "Reynaldo",
    "Marivic",
    "Josefina",
    "Rowena",
    "Danilo",
    "Analyn",
    "Ma. Concepción",
    "Niño",
    "Rhea Mae",
    "Jun-Jun",
    "Leonora",
    "Efrén",
)
FILIPINO_FAMILY = (
    "Santos",
    "Reyes",
    "dela Cruz",
    "Bautista",
    "Ocampo",
    "Macaraeg",
    "Dimaculangan",
    "Magbanua",
    "Pangilinan",
    "Manalastas",
    "Evangelista",
    "Tolentino",
    "Panganiban",
    "Castañeda",
    "Peñaflor",
    "Nuñez",
    "Ibañez",
    "de los Santos",
    "del Rosario",
    "Villanueva",
    "Sumulong",
    "Dizon",
    "Mañalac",
    "Buenaventura",
    "Lacsamana",
    "Quiñones",
)
SPANISH_GIVEN = (
    "José",
    "María",
    "Juan Carlos",
    "Ana Lucía",
    "Luis Ángel",
    "Jesús",
    "Sofía",
    "Andrés",
    "Martín",
    "Rubén",
    "Óscar",
    "Mónica",
    "Verónica",
    "Héctor",
    "Inés",
    "Raúl",
    "Rocío",
    "Iván",
    "Nicolás",
    "María José",
    "José Ramón",
    "Ximena",
    "Noé",
    "Darío",
)
SPANISH_FAMILY = (
    "Hernández",
    "Martínez",
    "Rodríguez",
    "González",
    "Pérez",
    "Sánchez",
    "Ramírez",
    "Rivera",
    "Gómez",
    "Jiménez",
    "Vásquez",
    "Muñoz",
    "Peña",
    "Núñez",
    "Quintanilla",
    "Menjívar",
    "Argueta",
    "Guardado",
    "Alvarado",
    "Chávez",
    "Orellana",
    "Zelaya",
    "de la O",
    "de León",
    "del Cid",
    "Beltrán",
    "Ibáñez",
    "Montañez",
)
BURMESE_SYLLABLES = (
    "အောင်",
    "ကျော်",
    "မင်း",
    "ဇော်",
    "ဝင်း",
    "ထက်",
    "နိုင်",
    "လှိုင်",
    "သူ",
    "စု",
    "ခင်",
    "မေ",
    "မြင့်",
    "သန့်",
    "ဖြိုး",
    "မိုး",
    "ညွန့်",
    "သိန်း",
    "ဌေး",
    "လွင်",
    "ချို",
    "နွယ်",
    "ဟိန်း",
    "သီရိ",
    "ဇင်",
    "မာ",
    "ယု",
    "ဆွေ",
    "တင်",
    "ထွန်း",
    "ပိုင်",
    "ရဲ",
    "နန္ဒာ",
    "ဖြူ",
    "ဝေ",
    "စိုး",
)
BURMESE_PREFIXES = ("ဒေါ်", "ဦး", "မောင်", "ကို", "မ")
THAI_GIVEN = (
    "สมชาย",
    "สมศักดิ์",
    "ประเสริฐ",
    "วิชัย",
    "สุนทร",
    "นภา",
    "สุดา",
    "มาลี",
    "กัญญา",
    "ปราณี",
    "ธนพล",
    "อภิชาติ",
    "ณัฐวุฒิ",
    "พิมพ์ชนก",
    "ศิริพร",
    "วันเพ็ญ",
    "จิราพร",
    "ชัยวัฒน์",
)
THAI_FAMILY = (
    "ศรีสุข",
    "แก้วมณี",
    "บุญมา",
    "ทองดี",
    "สุขสวัสดิ์",
    "วงศ์สวัสดิ์",
    "จันทร์เพ็ญ",
    "ศรีวิไลวรรณ",
    "พงษ์พานิช",
    "เจริญผล",
    "รัตนวงศ์",
    "ชัยประเสริฐ",
    "สิทธิโชค",
    "บุญยืน",
    "อินทร์แก้ว",
    "ธนาภิรมย์",
)
KHMER_GIVEN = (
    "សុខ",
    "ចាន់",
    "ស្រី",
    "ពៅ",
    "ដារ៉ា",
    "សុភា",
    "វណ្ណា",
    "រតនា",
    "សុផល",
    "ចន្ថា",
    "សំណាង",
    "វិចិត្រ",
    "ធារី",
    "បុប្ផា",
    "មករា",
    "សុវណ្ណ",
    "ស្រីមុំ",
    "បូរ៉ា",
)
KHMER_FAMILY = ("ហេង", "គឹម", "ជា", "លី", "ម៉ៅ", "សែម", "ឈុន", "អ៊ុំ", "ពេជ្រ", "ខៀវ", "សួន", "ទេព")
BENGALI_GIVEN = (
    "মোহাম্মদ",
    "আব্দুল",
    "করিম",
    "রহিম",
    "হাসান",
    "নুসরাত",
    "ফাতেমা",
    "মাহমুদ",
    "রফিকুল",
    "শফিকুল",
    "আমিনুল",
    "মোস্তফা",
    "কামাল",
    "সুমাইয়া",
    "তানভীর",
    "জান্নাতুল",
)
BENGALI_FAMILY = (
    "হোসেন",
    "ইসলাম",
    "আলী",
    "উদ্দিন",
    "রহমান",
    "জাহান",
    "বেগম",
    "খাতুন",
    "আক্তার",
    "সুলতানা",
    "মিয়া",
    "চৌধুরী",
    "শেখ",
    "সরকার",
    "মজুমদার",
    "তালুকদার",
)
DEVANAGARI_GIVEN = (
    "राम",
    "सीता",
    "हरि",
    "कृष्ण",
    "लक्ष्मी",
    "बिष्णु",
    "माया",
    "गणेश",
    "दीपक",
    "सुनिता",
    "पुष्पा",
    "बहादुर",
    "कुमारी",
    "प्रसाद",
    "शान्ति",
    "मीना",
    "सूर्य",
)
DEVANAGARI_FAMILY = (
    "थापा",
    "श्रेष्ठ",
    "शर्मा",
    "गुरुङ",
    "तामाङ",
    "मगर",
    "राई",
    "लिम्बु",
    "अधिकारी",
    "पौडेल",
    "भट्टराई",
    "खड्का",
    "सुनार",
    "विश्वकर्मा",
    "ढकाल",
    "घिमिरे",
)


@dataclass(frozen=True)
class NameStyle:
    """How a script's names are put together: given parts, family parts, the joiner."""

    given: Sequence[str]
    family: Sequence[str]
    joiner: str = " "
    prefixes: Sequence[str] = ()
    family_parts: int = 2


NAME_STYLES: dict[str, NameStyle] = {
    "latin_fil": NameStyle(FILIPINO_GIVEN, FILIPINO_FAMILY),
    "latin_es": NameStyle(SPANISH_GIVEN, SPANISH_FAMILY),
    # Burmese names have no family name: syllables, often written without spaces, after a title.
    "burmese": NameStyle(BURMESE_SYLLABLES, BURMESE_SYLLABLES, joiner="", prefixes=BURMESE_PREFIXES),
    "thai": NameStyle(THAI_GIVEN, THAI_FAMILY, family_parts=1),
    "khmer": NameStyle(KHMER_FAMILY, KHMER_GIVEN),  # family name first
    "bengali": NameStyle(BENGALI_GIVEN, BENGALI_FAMILY),
    "devanagari": NameStyle(DEVANAGARI_GIVEN, DEVANAGARI_FAMILY),
}


def make_name(style: NameStyle, length: int, rng: random.Random) -> str:
    """A name of at most ``length`` characters, as close to it as the parts allow."""
    best = ""
    for _ in range(40):
        parts = [rng.choice(style.prefixes)] if style.prefixes and rng.random() < 0.6 else []
        pools = [style.given] * 2 + [style.family] * style.family_parts
        while True:
            pool = pools.pop(0) if pools else (style.given if rng.random() < 0.5 else style.family)
            candidate = style.joiner.join([*parts, rng.choice(pool)])
            if len(candidate) > length:
                break
            parts = candidate.split(style.joiner) if style.joiner else [candidate]
        name = style.joiner.join(parts)
        if len(name) > len(best):
            best = name
        if len(best) >= length - 2:
            break
    return best


# --- qualifications -----------------------------------------------------------------------------

LONG_TITLES = (
    "Certificate III in Commercial Cookery and Kitchen Operations for Hotels, Resorts and Catering",
    "National Competency Certificate in Shielded Metal Arc Welding of Carbon Steel Plate and Pipe",
    "Construction Trade Test: Electrical Wiring, Installation and Maintenance of Low-Voltage Systems",
    "Skills Certificate Level 2 in Home-based Personal Care, Elderly Care and Help with Daily Living",
    "Certificado de Competencia Laboral en Soldadura Estructural de Acero al Carbono (AWS D1.1)",
    "Advanced Certificate in Refrigeration and Air-Conditioning Servicing for Commercial Buildings",
    "Certificate in Industrial Sewing Machine Operation, Garment Assembly and Quality Inspection",
    "Diploma in Front Office, Housekeeping and Food and Beverage Service Operations (Hospitality)",
    "Certificate in Plantation Agriculture: Oil Palm Harvesting, Grading and Safe Tool Handling",
    "Competency Certificate in Scaffolding Erection, Inspection and Dismantling (Supported Types)",
)


@dataclass(frozen=True)
class Trade:
    code: str
    title: str
    framework: str
    level: str
    isco: str
    isco_title: str
    asean: int | None


def _trade_titles(titles: Sequence[str]) -> list[Trade]:
    isco = (("7212", "Welders and flamecutters"), ("5120", "Cooks"), ("7411", "Building and related electricians"))
    trades = []
    for n, title in enumerate(titles):
        code, name = isco[n % len(isco)]
        trades.append(Trade(f"LT{n + 1}", title[:MAX_TITLE], "SKM", str(2 + n % 3), code, name, 2 + n % 3))
    return trades


# --- evidence narratives ------------------------------------------------------------------------

NARRATIVES: dict[str, tuple[str, ...]] = {
    "en": (
        "Practical test at the training workshop: {task}; passed on first attempt.",
        "Observed for two full shifts by a qualified assessor; work met the standard.",
        "Reference from {employer}, where the candidate worked {years} years as {role}.",
        "Portfolio of {count} photographed work samples reviewed and verified.",
        "Interview on safety procedures and tool care answered well.",
        "Supervisor statement confirms {years} years of daily work on {task}.",
        "Logbook entries from {year} to 2025 checked against payslips.",
        "Minor gaps in written documentation; oral questions covered them.",
        "Third-party report by the site foreman attached; no safety incidents recorded.",
        "Demonstrated correct use of personal protective equipment throughout.",
    ),
    "es": (
        "Prueba práctica en taller: {task_es}; aprobada en el primer intento.",
        "Constancia de {employer}, donde trabajó {years} años como {role_es}.",
        "Portafolio de {count} trabajos fotografiados revisado y verificado.",
        "Entrevista sobre normas de seguridad y cuidado de herramientas satisfactoria.",
        "Observado durante dos turnos completos por un evaluador certificado.",
        "Declaración del supervisor confirma experiencia diaria desde {year}.",
        "Uso correcto del equipo de protección personal en todo momento.",
        "Informe de tercero del jefe de obra adjunto; sin incidentes de seguridad.",
    ),
    "fil": (
        "Praktikal na pagsusulit sa workshop: {task_fil}; pumasa sa unang subok.",
        "May sulat mula sa {employer}, kung saan siya nagtrabaho nang {years} taon bilang {role_fil}.",
        "Sinuri ang portfolio ng {count} litrato ng mga natapos na gawain.",
        "Pumasa sa panayam tungkol sa kaligtasan at pag-aalaga ng kagamitan.",
        "Binantayan ng assessor sa loob ng dalawang buong shift; pasado ang gawa.",
        "Kinumpirma ng superbisor ang araw-araw na trabaho mula {year}.",
        "Wastong paggamit ng personal protective equipment sa buong pagsusulit.",
    ),
}
FILLERS = {
    "task": (
        "6G pipe weld with root and cap passes",
        "three-course menu to recipe and hygiene rules",
        "bed bath, transfers and medication log",
        "wiring of a distribution board and motor starter",
    ),
    "task_es": (
        "soldadura de tubo en posición 6G",
        "menú de tres tiempos según receta",
        "instalación de tablero eléctrico",
    ),
    "task_fil": (
        "pagluluto ng tatlong putahe ayon sa resipe",
        "pagwelding ng tubo sa posisyong 6G",
        "pag-aalaga sa matanda: paliligo at paglipat",
    ),
    "employer": (
        "Sarawak Steel Fabricators",
        "Hotel Mirador",
        "Constructora del Pacífico",
        "Golden Harvest Care Home",
        "Jurong Shipyard Pte Ltd",
        "Taller Hermanos Ayala",
    ),
    "role": ("welder", "line cook", "caregiver", "electrician's helper"),
    "role_es": ("soldador", "cocinera", "electricista"),
    "role_fil": ("kusinero", "welder", "tagapag-alaga"),
    "years": ("2", "3", "4", "6", "11"),
    "count": ("8", "12", "15", "24"),
    "year": ("2017", "2019", "2021"),
}


def make_narrative(language: str, length: int, rng: random.Random, phrases: Mapping[str, Sequence[str]]) -> str:
    """An evidence summary of at most ``length`` characters, made of whole sentences where it can."""
    pool = list(phrases[language])
    rng.shuffle(pool)
    text = ""
    unused = []
    for template in pool:
        sentence = template.format(**{k: rng.choice(v) for k, v in FILLERS.items()})
        candidate = f"{text} {sentence}".strip()
        if len(candidate) <= length:
            text = candidate
        else:
            unused.append(sentence)
    if unused and len(text) < length - 12:  # fill up with the start of one more sentence, cut at a word
        room = length - len(text) - 1
        text = f"{text} {unused[0][:room].rsplit(' ', 1)[0]}".strip()
    return text[:length]


# --- the corridors ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExtraCorridor:
    origin: str
    origin_name: str
    authority: tuple[str, str]
    embassy: tuple[str, str, str]
    provider: tuple[str, str, str]


EXTRA_CORRIDORS = (
    ExtraCorridor(
        "TH",
        "Thailand",
        ("th-dsd", "Department of Skill Development"),
        ("th-tpe", "Thai Labour Office, Taipei", "TW"),
        ("tyc", "Taoyuan Precision Machining Training Centre", "TW"),
    ),
    ExtraCorridor(
        "KH",
        "Cambodia",
        ("kh-ntb", "National Training Board"),
        ("kh-bkk", "Royal Embassy of Cambodia in Bangkok, Labour Attaché", "TH"),
        ("bhsi", "Bangkok Hospitality Skills Institute", "TH"),
    ),
    ExtraCorridor(
        "BD",
        "Bangladesh",
        ("bd-nsda", "National Skills Development Authority"),
        ("bd-kl", "High Commission of Bangladesh, Kuala Lumpur, Labour Wing", "MY"),
        ("scsi", "Selangor Construction Skills Institute", "MY"),
    ),
    ExtraCorridor(
        "NP",
        "Nepal",
        ("np-ctevt", "Council for Technical Education and Vocational Training"),
        ("np-doh", "Embassy of Nepal, Doha, Labour Section", "QA"),
        ("dttc", "Doha Technical Training Centre", "QA"),
    ),
)
#: Which script and narrative languages each corridor's holders have.
CORRIDOR_PEOPLE = {
    "PH": ("latin_fil", ("en", "fil")),
    "MM": ("burmese", ("en",)),
    "SV": ("latin_es", ("es", "en")),
    "TH": ("thai", ("en",)),
    "KH": ("khmer", ("en",)),
    "BD": ("bengali", ("en",)),
    "NP": ("devanagari", ("en",)),
}


def _qualification(base: str, slug: str, trade: Trade) -> tuple[Qualification, Equivalence]:
    qualification = Qualification(
        id=identifiers.qualification_uri(base, slug, trade.code),
        name=trade.title,
        description=f"{trade.framework} level {trade.level} certificate in {trade.title}",
        framework=trade.framework,
        level=trade.level,
        isco_code=trade.isco,
        isco_title=trade.isco_title,
        asean_level=trade.asean,
    )
    rule = Equivalence(qualification.id, f"N-{trade.code}", trade.title[:60], "NQF", trade.level)
    return qualification, rule


def _with_titles(corridor: Corridor, base: str, trades: Sequence[Trade]) -> Corridor:
    extra = tuple(_qualification(base, corridor.provider.slug, t) for t in trades)
    return Corridor(
        corridor.origin,
        corridor.origin_name,
        corridor.authority,
        corridor.embassy,
        corridor.provider,
        corridor.qualifications + extra,
    )


def _extra_corridor(entry: ExtraCorridor, es256: bool) -> Corridor:
    def party(slug: str, name: str, kind: OrgKind, country: str, host: str | None = None) -> Party:
        key = SigningKey.generate("ES256") if es256 and kind is OrgKind.PROVIDER else SigningKey.generate()
        return Party(slug, name, kind, country, host, key)

    return Corridor(
        entry.origin,
        entry.origin_name,
        party(*entry.authority, OrgKind.AUTHORITY, entry.origin),
        party(entry.embassy[0], entry.embassy[1], OrgKind.EMBASSY, entry.origin, entry.embassy[2]),
        party(entry.provider[0], entry.provider[1], OrgKind.PROVIDER, entry.provider[2]),
        (),
    )


# --- the corpus ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One credential of the corpus and what it was made of."""

    label: str
    kind: str
    script: str
    corridor: str
    name: str
    title: str
    evidence: str | None
    credential: CoSignedCredential

    @property
    def group(self) -> str:
        """The row of the size table this credential counts in."""
        if self.evidence is None:
            return "training"
        return f"prior_{min(n for n in EVIDENCE_LENGTHS if len(self.evidence) <= n)}"


@dataclass
class Corpus:
    """The credentials with the signed documents that verify them."""

    cases: list[Case]
    corridors: list[Corridor]
    trust_tokens: list[str]
    trust_lists: list[TrustList]
    status_lists: dict[str, VerifiedStatusList] = field(default_factory=dict)
    now: datetime = NOW


def build_corpus(
    seed: int = 13,
    *,
    base: str = BASE,
    name_styles: Mapping[str, NameStyle] | None = None,
    titles: Sequence[str] = LONG_TITLES,
    phrases: Mapping[str, Sequence[str]] = NARRATIVES,
    repeat: int = 1,
) -> Corpus:
    """Build the corpus: per corridor, names of four lengths, both kinds, evidence of three lengths."""
    rng = random.Random(seed)
    styles = name_styles or NAME_STYLES
    trades = _trade_titles(titles)
    built = [_with_titles(c, base, trades) for c in corridors(base)]
    built += [_with_titles(_extra_corridor(e, es256=i % 2 == 1), base, trades) for i, e in enumerate(EXTRA_CORRIDORS)]
    cases: list[Case] = []
    indexes: dict[str, dict[int, int]] = {c.provider.slug: {} for c in built}
    for _ in range(repeat):
        for corridor in built:
            cases += _cases(corridor, base, styles, phrases, rng, indexes[corridor.provider.slug])
    trust_tokens = [signed_trust_list(c, base, NOW - timedelta(days=1)) for c in built]
    corpus = Corpus(cases, built, trust_tokens, [parse_trust_list(t) for t in trust_tokens])
    for corridor in built:
        token = signed_status_list(corridor, base, {}, NOW, size=STATUS_LIST_SIZE)
        key = corridor.provider.key.public
        verified = parse_status_list_token(
            token, lambda kid, key=key, c=corridor: key if kid == c.provider.kid_uri(base) else None, NOW
        )
        corpus.status_lists[verified.uri] = verified
    return corpus


def _cases(
    corridor: Corridor,
    base: str,
    styles: Mapping[str, NameStyle],
    phrases: Mapping[str, Sequence[str]],
    rng: random.Random,
    used: dict[int, int],
) -> list[Case]:
    script, languages = CORRIDOR_PEOPLE[corridor.origin]
    qualifications = [q for q, _ in corridor.qualifications]
    cases = []
    for n, length in enumerate(NAME_LENGTHS):
        name = make_name(styles[script], length, rng)
        # The longest names get the longest titles: the worst case the targets speak of.
        qualification = (
            max(qualifications, key=lambda q: len(q.name))
            if length == max(NAME_LENGTHS)
            else rng.choice(qualifications)
        )
        cases.append(_case(corridor, base, script, name, qualification, None, rng, used))
        for evidence_length in EVIDENCE_LENGTHS:
            language = languages[(n + evidence_length) % len(languages)]
            narrative = make_narrative(language, evidence_length, rng, phrases)
            cases.append(_case(corridor, base, script, name, qualification, narrative, rng, used))
    return cases


def _case(
    corridor: Corridor,
    base: str,
    script: str,
    name: str,
    qualification: Qualification,
    narrative: str | None,
    rng: random.Random,
    used: dict[int, int],
) -> Case:
    holder = Holder.create(
        name,
        date(rng.randint(1965, 2004), rng.randint(1, 12), rng.randint(1, 28)),
        corridor.origin,
        f"{rng.choice('PENKX')}{rng.randint(1000000, 99999999)}",
    )
    # Issued at any second of a working day, as the service does (its clock, to the second).
    issued = datetime(2025, 1, 6, tzinfo=UTC) + timedelta(seconds=rng.randint(0, 500 * 86400))
    assessment = None
    if narrative is not None:
        method = rng.choice(list(AssessmentMethod))
        assessment = PriorSkillsAssessment(method, narrative, (issued - timedelta(days=rng.randint(3, 60))).date())
    idx = rng.randrange(STATUS_LIST_SIZE)
    while idx in used:
        idx = rng.randrange(STATUS_LIST_SIZE)
    used[idx] = 0
    credential = issue(corridor, base, holder, qualification, idx, issued, assessment)
    kind = "training" if narrative is None else "prior_skills"
    label = f"{corridor.origin}-{script}-{len(name)}-{kind}" + (f"-{len(narrative)}" if narrative else "")
    return Case(label, kind, script, corridor.origin, name, qualification.name, narrative, credential)


# --- held out: names and narratives written apart from the dictionary's word lists --------------

HELD_OUT_NAME_STYLES: dict[str, NameStyle] = {
    "latin_fil": NameStyle(
        ("Ligaya", "Dalisay", "Bayani", "Marilag", "Florante", "Amihan", "Leonisa", "Crisanto", "Herminigildo"),
        (
            "Abrenica",
            "Bumanglag",
            "Cabansag",
            "Dimaano",
            "Ebarle",
            "Galang",
            "Ilagan",
            "Lagman",
            "Macapagal",
            "Nepomuceno",
            "Quijano",
            "Sumaoang",
            "Ybañez",
            "Gatchalian",
        ),
    ),
    "latin_es": NameStyle(
        ("Rigoberto", "Purificación", "Querubín", "Úrsula", "Wilfredo", "Zenaida", "Gilberto", "Herminia"),
        (
            "Urquilla",
            "Valladares",
            "Yanes",
            "Zepeda",
            "Cañas",
            "Argüello",
            "Solórzano",
            "Echeverría",
            "Peñate",
            "Recinos",
            "Sandoval",
            "Trejo",
            "Olivares",
            "Palacios",
        ),
    ),
    "burmese": NameStyle(
        (
            "ဟန်",
            "ဇေယျာ",
            "ဖုန်း",
            "သက်",
            "ဝဏ္ဏ",
            "ရန်",
            "နောင်",
            "လှ",
            "ချစ်",
            "စန္ဒာ",
            "သဇင်",
            "ဟေမာ",
            "ရွှေ",
            "ငြိမ်း",
            "မော်",
            "ပန်း",
        ),
        (
            "ဟန်",
            "ဇေယျာ",
            "ဖုန်း",
            "သက်",
            "ဝဏ္ဏ",
            "ရန်",
            "နောင်",
            "လှ",
            "ချစ်",
            "စန္ဒာ",
            "သဇင်",
            "ဟေမာ",
            "ရွှေ",
            "ငြိမ်း",
            "မော်",
            "ပန်း",
        ),
        joiner="",
    ),
    "thai": NameStyle(
        ("อนุชา", "ปิยะ", "รัชนี", "เกศินี", "ธีระ", "นิพนธ์", "อรุณ", "สายสุนีย์"),
        ("บัวขาว", "ศรีสมบัติ", "ปัญญาดี", "แสงทอง", "มีสุข", "หอมจันทร์", "คำแก้ว", "พรหมมา"),
        family_parts=1,
    ),
    "khmer": NameStyle(
        ("ប៊ុន", "ស៊ន", "អ៊ុក", "ទូច", "យឹម", "ព្រំ", "នួន", "ប្រាក់"),
        ("វាសនា", "ពិសិដ្ឋ", "សុធា", "ចរិយា", "កញ្ញា", "ណាវី", "ឧត្តម", "បញ្ញា"),
    ),
    "bengali": NameStyle(
        ("সাকিব", "তাসলিমা", "নাজমুল", "হাবিবুর", "মাসুদ", "রুবিনা", "পারভীন", "জাকির", "সাইফুল"),
        ("বিশ্বাস", "প্রামানিক", "হাওলাদার", "ভূঁইয়া", "খান", "সিদ্দিকী", "মোল্লা", "পাটোয়ারী"),
    ),
    "devanagari": NameStyle(
        ("अनिता", "सरिता", "रमेश", "सुरेश", "महेश", "गीता", "कमला", "नारायण", "उमेश"),
        ("पाण्डे", "खत्री", "बराल", "रेग्मी", "कोइराला", "न्यौपाने", "जोशी", "लामिछाने"),
    ),
}
HELD_OUT_NARRATIVES: dict[str, tuple[str, ...]] = {
    "en": (
        "Built a {count}-metre run of cable tray and terminated it, checked by the foreman at {employer}.",
        "Brought photos of {count} finished jobs and a letter signed by the owner of {employer}.",
        "Spent {years} years abroad doing {task}; every answer on the oral quiz was right.",
        "Two mistakes in measuring were fixed without prompting; overall result satisfactory.",
        "Hands-on check in March: {task}. Tidy, quick, followed every instruction given.",
        "Former manager phoned back and confirmed the dates and duties stated by the applicant.",
        "Needed help only once, with the paperwork; the practical part was flawless.",
        "Knows the hazards of the trade and explained how to report an accident.",
    ),
    "es": (
        "Trajo {count} fotos de obras terminadas y una carta firmada por el dueño de {employer}.",
        "Pasó {years} años en el extranjero haciendo {task_es}; respondió bien a todo.",
        "Corrigió dos errores de medida sin que se le pidiera; resultado general bueno.",
        "El antiguo jefe llamó y confirmó las fechas y funciones declaradas por el solicitante.",
        "Conoce los riesgos del oficio y explicó cómo reportar un accidente laboral.",
        "Revisión práctica en marzo: ordenado, rápido y siguió cada instrucción dada.",
    ),
    "fil": (
        "Nagdala ng {count} larawan ng natapos na proyekto at liham mula sa may-ari ng {employer}.",
        "Gumugol ng {years} taon sa ibang bansa sa {task_fil}; tama lahat ng sagot.",
        "Dalawang mali sa pagsukat ang naitama niya agad; mabuti ang kabuuang resulta.",
        "Tumawag ang dating manedyer at pinatotohanan ang mga petsa at tungkulin.",
        "Alam niya ang mga panganib sa hanapbuhay at kung paano mag-ulat ng aksidente.",
        "Pagsubok sa kamay noong Marso: maayos, mabilis at sumunod sa bawat utos.",
    ),
}
