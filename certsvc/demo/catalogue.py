"""The demo's three corridors: fictional providers, real qualification names and ISCO-08 codes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OrgEntry:
    slug: str
    name: str
    country: str
    host_country: str | None = None


@dataclass(frozen=True)
class QualificationEntry:
    """A provider's qualification and the origin authority's national equivalent."""

    code: str
    name: str
    framework: str
    level: str
    isco_code: str
    isco_title: str
    asean_level: int | None
    national_code: str
    national_title: str
    national_framework: str
    national_level: str

    @property
    def description(self) -> str:
        return f"{self.framework} level {self.level} certificate in {self.name}"


@dataclass(frozen=True)
class CorridorEntry:
    origin: str
    origin_name: str
    authority: OrgEntry
    embassy: OrgEntry
    provider: OrgEntry
    qualifications: tuple[QualificationEntry, ...]


CORRIDORS = (
    CorridorEntry(
        "PH",
        "the Philippines",
        OrgEntry("ph-tesda", "TESDA", "PH"),
        OrgEntry("ph-kl", "Philippine Embassy Kuala Lumpur, Labour Office", "PH", "MY"),
        OrgEntry("klwa", "Kuala Lumpur Welding Academy", "MY"),
        (
            QualificationEntry(
                "SMAW2",
                "Shielded Metal Arc Welding",
                "SKM",
                "2",
                "7212",
                "Welders and flamecutters",
                2,
                "SMAW-NCII",
                "Shielded Metal Arc Welding NC II",
                "PQF",
                "2",
            ),
            QualificationEntry(
                "COOK2", "Commercial Cookery", "SKM", "2", "5120", "Cooks", 2, "COOK-NCII", "Cookery NC II", "PQF", "2"
            ),
            QualificationEntry(
                "CARE2",
                "Home-based Personal Care",
                "SKM",
                "2",
                "5322",
                "Home-based personal care workers",
                2,
                "CARE-NCII",
                "Caregiving NC II",
                "PQF",
                "2",
            ),
        ),
    ),
    CorridorEntry(
        "MM",
        "Myanmar",
        OrgEntry("mm-nssa", "National Skills Standards Authority (NSSA)", "MM"),
        OrgEntry("mm-sg", "Embassy of Myanmar in Singapore, Labour Section", "MM", "SG"),
        OrgEntry("jcsc", "Jurong Construction Skills Centre", "SG"),
        (
            QualificationEntry(
                "ELEC2",
                "Construction Trade Test: Electrical Wiring",
                "SEC(K)",
                "2",
                "7411",
                "Building and related electricians",
                2,
                "NSSA-EL-2",
                "NSSA Skilled Worker Certificate (Electrician)",
                "NSSA",
                "2",
            ),
        ),
    ),
    CorridorEntry(
        "SV",
        "El Salvador",
        OrgEntry("sv-insaforp", "INSAFORP", "SV"),
        OrgEntry("sv-hou", "Consulado General de El Salvador en Houston", "SV", "US"),
        OrgEntry("hwi", "Houston Welding Institute", "US"),
        (
            QualificationEntry(
                "SW1",
                "Structural Welding (AWS D1.1)",
                "NCCER",
                "1",
                "7212",
                "Welders and flamecutters",
                None,
                "SOLD-2",
                "Soldador Estructural",
                "MNC",
                "2",
            ),
        ),
    ),
)
