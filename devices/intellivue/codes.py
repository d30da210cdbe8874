"""Numbers of the IntelliVue Data Export protocol (PIPG, as cited by VSCaptureMP, OpenICE and MONITORS.md).

Nomenclature codes are partition-dependent: object classes, actions and
attribute groups are in the object partition; physiological ids (physio_id of
an observed value, the code of a label) in the SCADA partition; units in the
dimension partition. A code is only meaningful with its partition.
"""

from __future__ import annotations

# --- session layer: first byte of the user data ----------------------------------------------------------
CN_SPDU = 0x0D  # connect: association request (AARQ)
AC_SPDU = 0x0E  # accept: association response (AARE)
RF_SPDU = 0x0C  # refuse
FN_SPDU = 0x09  # finish: release request
DN_SPDU = 0x0A  # disconnect: release response
AB_SPDU = 0x19  # abort
DATA_EXPORT = bytes((0xE1, 0x00, 0x00, 0x02))  # SPpdu: session id 0xE100, presentation context 2

# --- remote operations (ROapdus ro_type) and commands ----------------------------------------------------
ROIV = 1  # invoke
RORS = 2  # result
ROER = 3  # error
RORLS = 5  # linked result
RORLS_FIRST, RORLS_MIDDLE, RORLS_LAST = 1, 2, 3

CMD_EVENT_REPORT = 0
CMD_CONFIRMED_EVENT_REPORT = 1
CMD_GET = 3
CMD_SET = 4
CMD_CONFIRMED_SET = 5
CMD_CONFIRMED_ACTION = 7

# --- partitions and object classes -------------------------------------------------------------------------
PART_OBJ = 1
PART_SCADA = 2
MOC_VMO_METRIC_NU = 0x0006  # numerics
MOC_VMO_METRIC_SA_RT = 0x0009  # real-time sample arrays (waves)
MOC_VMS_MDS = 0x0021  # the medical device system (the monitor itself)
MOC_PT_DEMOG = 0x002A  # patient demographics
MOC_VMO_AL_MON = 0x0036  # alarm monitor
DEV_MON_PHYSIO_MULTI_PARAM_MDS = 0x114D  # system type of a multi-parameter monitor

ACT_POLL_MDIB_DATA = 0x0C16  # single poll
ACT_POLL_MDIB_DATA_EXT = 0xF13B  # extended poll
NOTI_MDS_CREAT = 0x0D06  # MDS create event

ATTR_GRP_ALL = 0x0000
ATTR_GRP_SYS_PROD = 0x080C  # system production group (production specification)

# --- attribute ids -----------------------------------------------------------------------------------------
ATTR_ID_HANDLE = 0x0921
ATTR_ID_LABEL = 0x0924  # TextId u32 (partition << 16 | code)
ATTR_ID_LABEL_STRING = 0x0927  # String: length, UTF-16BE
ATTR_ID_MODEL = 0x0928  # SystemModel: manufacturer, model number (VariableLabels)
ATTR_ID_PROD_SPECN = 0x092D  # ProductionSpec: (spec type, component, VariableLabel) list
ATTR_ID_TYPE = 0x092F  # TYPE: partition, code
ATTR_NU_CMPD_VAL_OBS = 0x094B  # compound numeric: list of NuObsValue
ATTR_NU_VAL_OBS = 0x0950  # NuObsValue: physio id, state, unit, FLOAT
ATTR_SA_CALIB_I16 = 0x0964  # calibration: FLOAT lower, upper; u16 lower, upper scaled; increment; type
ATTR_SA_CMPD_VAL_OBS = 0x0967  # compound sample array: list of SaObsValue
ATTR_SA_SPECN = 0x096D  # array size, sample size, significant bits, flags
ATTR_SA_VAL_OBS = 0x096E  # SaObsValue: physio id, state, samples
ATTR_SCALE_SPECN_I16 = 0x096F  # scale: FLOAT lower, upper absolute; u16 lower, upper scaled
ATTR_SYS_ID = 0x0984  # VariableLabel: the monitor's MAC address
ATTR_SYS_TYPE = 0x0986  # TYPE
ATTR_TIME_ABS = 0x0987  # AbsoluteTime: the monitor's clock
ATTR_TIME_PD_SAMP = 0x098D  # RelativeTime: sample period of a wave
ATTR_TIME_REL = 0x098F  # RelativeTime: the monitor's relative clock
ATTR_TIME_STAMP_ABS = 0x0990  # AbsoluteTime of an observation (e.g. when an NIBP was measured)
ATTR_TIME_STAMP_REL = 0x0991  # RelativeTime of an observation
ATTR_UNIT_CODE = 0x0996
ATTR_POLL_RTSA_PRIO_LIST = 0xF23A  # TextIdList: which waves an extended wave poll sends
ATTR_TIME_PD_POLL = 0xF13E  # RelativeTime: how long an extended poll runs

# --- association user information ----------------------------------------------------------------------------
MDDL_VERSION1 = 0x80000000
NOMEN_VERSION = 0x40000000
SYST_CLIENT = 0x80000000
SYST_SERVER = 0x00800000
COLD_START = 0x20000000
POLL_PROFILE_REV_0 = 0x80000000
NOM_POLL_PROFILE_SUPPORT = 0x0001
NOM_MDIB_OBJ_SUPPORT = 0x0102
NOM_ATTR_POLL_PROFILE_EXT = 0xF001
P_OPT_DYN_CREATE_OBJECTS = 0x40000000
P_OPT_DYN_DELETE_OBJECTS = 0x20000000
POLL_EXT_PERIOD_NU_1SEC = 0x80000000
POLL_EXT_PERIOD_RTSA = 0x08000000
POLL_EXT_ENUM = 0x04000000
POLL_EXT_NU_PRIO_LIST = 0x02000000

# --- measurement state (u16): a value is valid only when the first octet is 0 -----------------------------
MS_INVALID = 0x8000
MS_QUESTIONABLE = 0x4000
MS_UNAVAILABLE = 0x2000
MS_CALIBRATION_ONGOING = 0x1000
MS_TEST_DATA = 0x0800
MS_DEMO_DATA = 0x0400
MS_VALIDATED = 0x0080
MS_EARLY_INDICATION = 0x0040
MS_MSMT_ONGOING = 0x0020
MS_IN_ALARM = 0x0002
MS_ALARM_INHIBITED = 0x0001
MS_INVALIDATING = 0xFF00

# --- physiological ids (SCADA partition) -------------------------------------------------------------------
ECG_CARD_BEAT_RATE = 0x4182  # ECG heart rate
PULS_RATE = 0x480A  # pulse from the configured pulse source (SpO2 or an arterial line)
PLETH_PULS_RATE = 0x4822  # pulse rate from the pulse oximeter
PRESS_BLD_NONINV = 0x4A04  # NIBP compound
PRESS_BLD_NONINV_SYS = 0x4A05
PRESS_BLD_NONINV_DIA = 0x4A06
PRESS_BLD_NONINV_MEAN = 0x4A07
PULS_OXIM_PERF_REL = 0x4BB0  # perfusion index
PLETH = 0x4BB4  # pleth wave
PULS_OXIM_SAT_O2 = 0x4BB8  # SpO2
RESP_RATE = 0x500A
AWAY_CO2_ET = 0x50B0  # end-tidal CO2
TEMP = 0x4B48
PRESS_BLD_NONINV_PULS_RATE = 0xF0E5
PRESS_AIR_AMBIENT = 0xF06B  # ambient pressure (turns a CO2 in % into mmHg)

LABEL_PLETH = (PART_SCADA << 16) | PLETH  # NLS_NOM_PULS_OXIM_PLETH 0x00024BB4

# --- units (dimension partition) ---------------------------------------------------------------------------
DIM_DIMLESS = 0x0200
DIM_PERCENT = 0x0220
DIM_PER_MIN = 0x09E0
DIM_BEAT_PER_MIN = 0x0AA0
DIM_PULS_PER_MIN = 0x0AC0
DIM_RESP_PER_MIN = 0x0AE0
DIM_KILO_PASCAL = 0x0F03
DIM_MMHG = 0x0F20
DIM_DEGC = 0x17A0

# --- production specification ------------------------------------------------------------------------------
PROD_SPEC_SERIAL_NUMBER = 1
PROD_SPEC_PART_NUMBER = 2
PROD_SPEC_SW_REVISION = 4
COMP_PRODUCT = 0x0008

#: RelativeTime ticks per second (one tick is 125 us).
TICKS_PER_S = 8000
