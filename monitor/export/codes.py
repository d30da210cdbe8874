"""The codes of every exported parameter: LOINC and ISO/IEEE 11073-10101 (MDC), in one table.

A parameter's words, UCUM unit and plausible range are not here: they are its row in devices.values.PARAMS,
which the screen, the alarms and the plausibility gate read too.

Where each code was checked (the FHIR, HL7 and EDF exports all read this table):
- MDC context-free codes are the partition offset (SCADA 2 * 65536 = 131072, DIM 4 * 65536 = 262144)
  plus the term code; both the term codes and the resulting codes were checked against the FHIR
  value set "devicemetric-type" (ISO/IEEE 11073-10101), as generated in fhir-typescript/fhir-typescript
  core/r4b/dist/fhirValueSets/DevicemetricTypeCodes.d.ts: 150456 MDC_PULS_OXIM_SAT_O2,
  149530 MDC_PULS_OXIM_PULS_RATE, 147842 MDC_ECG_HEART_RATE, 150020..150023 MDC_PRESS_BLD_NONINV(_SYS,
  _DIA, _MEAN), 149546 MDC_PULS_RATE_NON_INV, 151562 MDC_RESP_RATE, 150448 MDC_PULS_OXIM_PERF_REL,
  150452 MDC_PULS_OXIM_PLETH, 151708 MDC_CONC_AWAY_CO2_ET. Perfusion index: 150448 is the pulse
  oximeter's relative perfusion (OpenICE maps Masimo's PI to it); 150488 in the same value set is
  MDC_BLD_PERF_INDEX. Units: 262688 MDC_DIM_PERCENT (4*65536+544), 264864 MDC_DIM_BEAT_PER_MIN (+2720),
  264928 MDC_DIM_RESP_PER_MIN (+2784), 266016 MDC_DIM_MMHG (+3872), term codes from the same
  nomenclature tables (e.g. signove/antidote src/dim/nomenclature.h). HL7 OBX-3 "150456^MDC_PULS_OXIM_SAT_O2^MDC"
  and OBX-6 "262688^MDC_DIM_PERCENT^MDC" as in IHE PCD-01 messages.
- LOINC: 59408-5 with 2708-6 for SpO2 as in the US Core pulse-oximetry example (hl7.org/fhir/us/core,
  Observation-satO2-fiO2, which also carries urn:iso:std:iso:11073:10101 150456); 8867-4 heart rate,
  8480-6 / 8462-4 / 85354-9 BP (FHIR R4 vital-signs profiles heartrate and bp); 8889-8 heart rate by
  pulse oximetry; 8478-0 mean blood pressure; 9279-1 respiratory rate (resprate profile); 61006-3
  "Perfusion index Tissue by Pulse oximetry"; 19889-5 "Carbon dioxide [Partial pressure] in Exhaled
  gas --at end expiration"; 44261-6 PHQ-9 total, 44260-8 PHQ-9 item 9, 70274-6 GAD-7 total,
  101698-9 "PTSD PCL-5 score [PCL-5]" (LOINC term pages). Questionnaire items in form order: PHQ-9
  (panel 44249-1) 44250-9, 44255-8, 44259-0, 44254-1, 44251-7, 44258-2, 44252-5, 44253-3, 44260-8;
  GAD-7 (panel 69737-5) 69725-0, 68509-9, 69733-4, 69734-2, 69735-9, 69689-8, 69736-7 (as in the HL7
  Personal Health Record IG's GAD-7 example and LOINC-coded PHQ-9 Questionnaires). PCL-5 items are not
  coded here (no item codes were checked): they are exported with their wording only.
- Ketamine: ATC N01AX03 (WHO ATC index).
"""

from __future__ import annotations

from dataclasses import dataclass

from devices.values import PARAMS
from monitor.clinical.scales import SCALE_NAMES

LOINC = "http://loinc.org"
MDC = "urn:iso:std:iso:11073:10101"
UCUM = "http://unitsofmeasure.org"
ATC = "http://www.whocc.no/atc"
#: Codes this app defines itself (scales without a LOINC code, the infusion's figures).
LOCAL = "urn:infusion-monitor:code"
VITALS_PROFILE = "http://hl7.org/fhir/StructureDefinition/vitalsigns"


@dataclass(frozen=True)
class MdcUnit:
    """A unit's MDC code and reference id (its UCUM and written forms are the parameter's, devices.values.PARAMS)."""

    code: int
    ref: str


@dataclass(frozen=True)
class Unit:
    """A unit in UCUM and in MDC (code and reference id), with how people write it."""

    ucum: str
    mdc: int
    mdc_ref: str
    text: str


PERCENT = MdcUnit(262688, "MDC_DIM_PERCENT")
PER_MIN = MdcUnit(264864, "MDC_DIM_BEAT_PER_MIN")
BREATHS_PER_MIN = MdcUnit(264928, "MDC_DIM_RESP_PER_MIN")
MMHG = MdcUnit(266016, "MDC_DIM_MMHG")
DIMLESS = MdcUnit(262656, "MDC_DIM_DIMLESS")
#: EDF physical range of a parameter without a plausible range (a waveform: 16-bit samples).
SAMPLE_RANGE = (-32768.0, 32767.0)


@dataclass(frozen=True)
class ParamCode:
    """How one parameter is coded: LOINC (first = the most specific), MDC, MDC unit, FHIR vital-sign profile.

    loinc holds (code, display) pairs; a FHIR vital-signs profile may require a
    second, more general code (2708-6 for SpO2, 8867-4 for a pulse rate). Its
    words, UCUM unit and range are the parameter's row in devices.values.PARAMS,
    read when asked, so the exports name a parameter as the screen and the alarms do.
    A panel (BP) is no parameter: it has its own words and no unit.
    """

    parameter: str
    loinc: tuple[tuple[str, str], ...]
    mdc: int
    mdc_ref: str
    mdc_unit: MdcUnit | None
    profile: str = ""
    panel: str = ""  # a panel's name in words

    @property
    def label(self) -> str:
        """Return the words FHIR and HL7 give the code ("Systolic BP")."""
        return self.panel or PARAMS[self.parameter].name

    @property
    def short(self) -> str:
        """Return the EDF signal label in ASCII (the source is added: at most 16 characters in all)."""
        return PARAMS[self.parameter].ascii

    @property
    def unit(self) -> Unit:
        """Return the unit in UCUM, in MDC and in words (KeyError for a panel, which has no value of its own)."""
        if self.mdc_unit is None:
            raise KeyError(f"{self.parameter} has no unit")
        spec = PARAMS[self.parameter]
        return Unit(spec.ucum, self.mdc_unit.code, self.mdc_unit.ref, spec.unit)

    @property
    def physical_range(self) -> tuple[float, float]:
        """Return the EDF signal's physical range: the plausible range, outside which no stored value lies."""
        return PARAMS[self.parameter].plausible or SAMPLE_RANGE


_VS = "http://hl7.org/fhir/StructureDefinition/"

PARAMETERS: dict[str, ParamCode] = {p.parameter: p for p in (
    ParamCode("spo2", (("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"),
                       ("2708-6", "Oxygen saturation in Arterial blood")),
              150456, "MDC_PULS_OXIM_SAT_O2", PERCENT, _VS + "oxygensat"),
    ParamCode("pulse_rate", (("8889-8", "Heart rate by Pulse oximetry"), ("8867-4", "Heart rate")),
              149530, "MDC_PULS_OXIM_PULS_RATE", PER_MIN, _VS + "heartrate"),
    ParamCode("heart_rate", (("8867-4", "Heart rate"),), 147842, "MDC_ECG_HEART_RATE", PER_MIN, _VS + "heartrate"),
    ParamCode("sbp", (("8480-6", "Systolic blood pressure"),), 150021, "MDC_PRESS_BLD_NONINV_SYS", MMHG),
    ParamCode("dbp", (("8462-4", "Diastolic blood pressure"),), 150022, "MDC_PRESS_BLD_NONINV_DIA", MMHG),
    ParamCode("map", (("8478-0", "Mean blood pressure"),), 150023, "MDC_PRESS_BLD_NONINV_MEAN", MMHG),
    ParamCode("nibp_pulse_rate", (("8867-4", "Heart rate"),), 149546, "MDC_PULS_RATE_NON_INV", PER_MIN,
              _VS + "heartrate"),
    ParamCode("resp_rate", (("9279-1", "Respiratory rate"),), 151562, "MDC_RESP_RATE", BREATHS_PER_MIN,
              _VS + "resprate"),
    ParamCode("perfusion_index", (("61006-3", "Perfusion index Tissue by Pulse oximetry"),),
              150448, "MDC_PULS_OXIM_PERF_REL", PERCENT),
    ParamCode("etco2", (("19889-5", "Carbon dioxide [Partial pressure] in Exhaled gas --at end expiration"),),
              151708, "MDC_CONC_AWAY_CO2_ET", MMHG),
    ParamCode("pleth", (), 150452, "MDC_PULS_OXIM_PLETH", DIMLESS),
)}

#: The non-invasive BP panel (FHIR profile "bp": components 8480-6 and 8462-4).
BP_PANEL = ParamCode("nibp", (("85354-9", "Blood pressure panel with all children optional"),),
                     150020, "MDC_PRESS_BLD_NONINV", None, _VS + "bp", panel="Blood pressure")
#: BP parameters: read from the BP results (one panel per measurement), not as a stream of numerics.
BP_PARAMETERS = frozenset({"sbp", "dbp", "map", "nibp_pulse_rate"})


@dataclass(frozen=True)
class ScoreCode:
    """How a questionnaire or scale total is coded (LOINC where a code exists, else this app's own)."""

    system: str
    code: str
    display: str


OUTCOME_CODES: dict[str, ScoreCode] = {
    "phq9": ScoreCode(LOINC, "44261-6", "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]"),
    "gad7": ScoreCode(LOINC, "70274-6", "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]"),
    "pcl5": ScoreCode(LOINC, "101698-9", "PTSD PCL-5 score [PCL-5]"),
}
#: LOINC codes of each questionnaire's items, in form order (instruments without checked item codes absent).
ITEM_CODES: dict[str, tuple[str, ...]] = {
    "phq9": ("44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3", "44260-8"),
    "gad7": ("69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"),
}
KETAMINE = ScoreCode(ATC, "N01AX03", "ketamine")


def scale_code(scale: str) -> ScoreCode:
    """Return the code of a sedation/dissociation/rating scale (MOAA/S, CADSS...: this app's own codes)."""
    return ScoreCode(LOCAL, f"scale-{scale}", SCALE_NAMES.get(scale, scale))


def param_code(parameter: str) -> ParamCode | None:
    """Return the codes of a parameter, None for one the table does not know (it is then exported uncoded)."""
    return PARAMETERS.get(parameter)
