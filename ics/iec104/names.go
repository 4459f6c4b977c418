package iec104

import (
	"strconv"

	"harborwatch/event"
)

// class groups ASDU types by what they do to the controlled station.
type class uint8

const (
	classUnknown   class = iota
	classMonitor         // M_*: process information in the monitor direction
	classCommand         // C_SC…C_BO: single, double, regulating step, set-point, bitstring commands
	classRead            // C_IC, C_CI, C_RD: interrogations and the read command
	classClock           // C_CS, C_CD: clock synchronization, delay acquisition
	classTest            // C_TS: test commands
	classReset           // C_RP: reset process
	classParameter       // P_*: parameters of measured values, parameter activation
	classFileSend        // F_FR, F_SR, F_LS, F_SG: sent by the side that holds the file
	classFileRecv        // F_SC, F_AF: sent by the side that receives the file
	classFileList        // F_DR, F_SC_NB: directory and log queries
	classSecurity        // S_*: IEC 62351-5 secure authentication
)

// typeInfo is what the analyzer knows of one type identification: its
// name, the size of one information element without its address (-1:
// variable or not known, then only the first address is read) and its
// class.
type typeInfo struct {
	name  string
	size  int8
	class class
}

// types are the type identifications of IEC 60870-5-101/104 (and the
// security types of IEC 60870-5-7), named as Wireshark names them; the few
// tshark leaves unnamed (17-19, 104, 106) carry their standard names.
var types = func() [256]typeInfo {
	var t [256]typeInfo
	set := func(id int, name string, size int8, c class) { t[id] = typeInfo{name, size, c} }
	m := func(id int, name string, size int8) { set(id, name, size, classMonitor) }
	m(1, "M_SP_NA_1", 1)
	m(2, "M_SP_TA_1", 4)
	m(3, "M_DP_NA_1", 1)
	m(4, "M_DP_TA_1", 4)
	m(5, "M_ST_NA_1", 2)
	m(6, "M_ST_TA_1", 5)
	m(7, "M_BO_NA_1", 5)
	m(8, "M_BO_TA_1", 8)
	m(9, "M_ME_NA_1", 3)
	m(10, "M_ME_TA_1", 6)
	m(11, "M_ME_NB_1", 3)
	m(12, "M_ME_TB_1", 6)
	m(13, "M_ME_NC_1", 5)
	m(14, "M_ME_TC_1", 8)
	m(15, "M_IT_NA_1", 5)
	m(16, "M_IT_TA_1", 8)
	m(17, "M_EP_TA_1", 6)
	m(18, "M_EP_TB_1", 7)
	m(19, "M_EP_TC_1", 7)
	m(20, "M_PS_NA_1", 5)
	m(21, "M_ME_ND_1", 2)
	m(30, "M_SP_TB_1", 8)
	m(31, "M_DP_TB_1", 8)
	m(32, "M_ST_TB_1", 9)
	m(33, "M_BO_TB_1", 12)
	m(34, "M_ME_TD_1", 10)
	m(35, "M_ME_TE_1", 10)
	m(36, "M_ME_TF_1", 12)
	m(37, "M_IT_TB_1", 12)
	m(38, "M_EP_TD_1", 10)
	m(39, "M_EP_TE_1", 11)
	m(40, "M_EP_TF_1", 11)
	m(70, "M_EI_NA_1", 1)
	c := func(id int, name string, size int8) { set(id, name, size, classCommand) }
	c(45, "C_SC_NA_1", 1)
	c(46, "C_DC_NA_1", 1)
	c(47, "C_RC_NA_1", 1)
	c(48, "C_SE_NA_1", 3)
	c(49, "C_SE_NB_1", 3)
	c(50, "C_SE_NC_1", 5)
	c(51, "C_BO_NA_1", 4)
	c(58, "C_SC_TA_1", 8)
	c(59, "C_DC_TA_1", 8)
	c(60, "C_RC_TA_1", 8)
	c(61, "C_SE_TA_1", 10)
	c(62, "C_SE_TB_1", 10)
	c(63, "C_SE_TC_1", 12)
	c(64, "C_BO_TA_1", 11)
	set(100, "C_IC_NA_1", 1, classRead)
	set(101, "C_CI_NA_1", 1, classRead)
	set(102, "C_RD_NA_1", 0, classRead)
	set(103, "C_CS_NA_1", 7, classClock)
	set(104, "C_TS_NA_1", 2, classTest)
	set(105, "C_RP_NA_1", 1, classReset)
	set(106, "C_CD_NA_1", 2, classClock)
	set(107, "C_TS_TA_1", 9, classTest)
	set(110, "P_ME_NA_1", 3, classParameter)
	set(111, "P_ME_NB_1", 3, classParameter)
	set(112, "P_ME_NC_1", 5, classParameter)
	set(113, "P_AC_NA_1", 1, classParameter)
	set(120, "F_FR_NA_1", 6, classFileSend)
	set(121, "F_SR_NA_1", 7, classFileSend)
	set(122, "F_SC_NA_1", 4, classFileRecv)
	set(123, "F_LS_NA_1", 5, classFileSend)
	set(124, "F_AF_NA_1", 4, classFileRecv)
	set(125, "F_SG_NA_1", -1, classFileSend)
	set(126, "F_DR_TA_1", 13, classFileList)
	set(127, "F_SC_NB_1", 16, classFileList)
	for id, name := range map[int]string{41: "S_IT_TC_1", 81: "S_CH_NA_1", 82: "S_RP_NA_1", 83: "S_AR_NA_1",
		84: "S_KR_NA_1", 85: "S_KS_NA_1", 86: "S_KC_NA_1", 87: "S_ER_NA_1", 90: "S_US_NA_1", 91: "S_UQ_NA_1",
		92: "S_UR_NA_1", 93: "S_UK_NA_1", 94: "S_UA_NA_1", 95: "S_UC_NA_1"} {
		set(id, name, -1, classSecurity)
	}
	for id := range t {
		if t[id].name == "" {
			t[id] = typeInfo{"unknown-" + strconv.Itoa(id), -1, classUnknown}
		}
	}
	return t
}()

// classOps are the operations of the classes whose operation does not
// depend on the cause or the direction.
var classOps = [...]string{
	classUnknown:   event.OpOther,
	classCommand:   event.OpWrite,
	classRead:      event.OpRead,
	classClock:     event.OpConfigChange,
	classTest:      event.OpDiagnostics,
	classReset:     event.OpPLCStop,
	classParameter: event.OpConfigChange,
	classFileList:  event.OpRead,
	classSecurity:  event.OpAuth,
}

// Causes of transmission (IEC 60870-5-101 §7.2.3).
const (
	causeRequest      = 5
	causeActivation   = 6
	causeDeactivation = 8
	causeFile         = 13
	causeInrogen      = 20
	causeReqco4       = 41
)

// causeNames name the causes of transmission as Wireshark does.
var causeNames = func() [64]string {
	var c [64]string
	for i, n := range []string{1: "Per/Cyc", "Back", "Spont", "Init", "Req", "Act", "ActCon", "Deact", "DeactCon",
		"ActTerm", "Retrem", "Retloc", "File", "Auth", "Seskey", "Usrkey"} {
		c[i] = n
	}
	c[20] = "Inrogen"
	for i := 1; i <= 16; i++ {
		c[20+i] = "Inro" + strconv.Itoa(i)
	}
	c[37] = "Reqcogen"
	for i := 1; i <= 4; i++ {
		c[37+i] = "Reqco" + strconv.Itoa(i)
	}
	c[44], c[45], c[46], c[47] = "UkTypeId", "UkCauseTx", "UkComAdrASDU", "UkIOA"
	for i := range c {
		if c[i] == "" {
			c[i] = "cause-" + strconv.Itoa(i)
		}
	}
	return c
}()

// U-format functions (IEC 60870-5-104 §5.3): the control field's bits 2-7,
// one bit set, as tshark's iec60870_104.utype.
const (
	uStartDTAct = 0x01
	uStartDTCon = 0x02
	uStopDTAct  = 0x04
	uStopDTCon  = 0x08
	uTestFRAct  = 0x10
	uTestFRCon  = 0x20
)

// uName names a U-format function as Wireshark does.
func uName(f uint8) string {
	switch f {
	case uStartDTAct:
		return "STARTDT act"
	case uStartDTCon:
		return "STARTDT con"
	case uStopDTAct:
		return "STOPDT act"
	case uStopDTCon:
		return "STOPDT con"
	case uTestFRAct:
		return "TESTFR act"
	case uTestFRCon:
		return "TESTFR con"
	}
	return "U unknown"
}
