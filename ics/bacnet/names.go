package bacnet

import "harborwatch/event"

// service is a service's name as tshark writes it and its operation.
type service struct {
	name string
	op   string
}

// confirmedServices are the BACnetConfirmedServiceChoice values (ANSI/ASHRAE
// 135 §21), named as Wireshark's bacapp dissector names them.
var confirmedServices = [...]service{
	0:  {"acknowledgeAlarm", event.OpDiagnostics},
	1:  {"confirmedCOVNotification", event.OpIO},
	2:  {"confirmedEventNotification", event.OpDiagnostics},
	3:  {"getAlarmSummary", event.OpDiagnostics},
	4:  {"getEnrollmentSummary", event.OpDiagnostics},
	5:  {"subscribeCOV", event.OpIO},
	6:  {"atomicReadFile", event.OpProgramUpload},
	7:  {"atomicWriteFile", event.OpProgramDownload},
	8:  {"addListElement", event.OpWrite},
	9:  {"removeListElement", event.OpWrite},
	10: {"createObject", event.OpConfigChange},
	11: {"deleteObject", event.OpConfigChange},
	12: {"readProperty", event.OpRead},
	13: {"readPropertyConditional", event.OpRead},
	14: {"readPropertyMultiple", event.OpRead},
	15: {"writeProperty", event.OpWrite},
	16: {"writePropertyMultiple", event.OpWrite},
	17: {"deviceCommunicationControl", event.OpConfigChange},
	18: {"confirmedPrivateTransfer", event.OpOther},
	19: {"confirmedTextMessage", event.OpOther},
	20: {"reinitializeDevice", event.OpPLCStop},
	21: {"vtOpen", event.OpSession},
	22: {"vtClose", event.OpSession},
	23: {"vtData", event.OpSession},
	24: {"authenticate", event.OpAuth},
	25: {"requestKey", event.OpAuth},
	26: {"readRange", event.OpRead},
	27: {"lifeSafetyOperation", event.OpWrite},
	28: {"subscribeCOVProperty", event.OpIO},
	29: {"getEventInformation", event.OpDiagnostics},
	30: {"subscribeCovPropertyMultiple", event.OpIO},
	31: {"confirmedCovNotificationMultiple", event.OpIO},
	32: {"confirmedAuditNotification", event.OpOther},
	33: {"auditLogQuery", event.OpRead},
}

// unconfirmedServices are the BACnetUnconfirmedServiceChoice values.
var unconfirmedServices = [...]service{
	0:  {"i-Am", event.OpIdentity},
	1:  {"i-Have", event.OpIdentity},
	2:  {"unconfirmedCOVNotification", event.OpIO},
	3:  {"unconfirmedEventNotification", event.OpDiagnostics},
	4:  {"unconfirmedPrivateTransfer", event.OpOther},
	5:  {"unconfirmedTextMessage", event.OpOther},
	6:  {"timeSynchronization", event.OpConfigChange},
	7:  {"who-Has", event.OpIdentity},
	8:  {"who-Is", event.OpIdentity},
	9:  {"utcTimeSynchronization", event.OpConfigChange},
	10: {"writeGroup", event.OpWrite},
	11: {"unconfirmedCovNotificationMultiple", event.OpIO},
	12: {"unconfirmedAuditNotification", event.OpOther},
	13: {"who-am-I", event.OpIdentity},
	14: {"you-are", event.OpConfigChange},
}

// Service choices the analyzer looks into.
const (
	svcAtomicReadFile       = 6
	svcAtomicWriteFile      = 7
	svcReadProperty         = 12
	svcReadPropertyCond     = 13
	svcReadPropertyMultiple = 14
	svcWriteProperty        = 15
	svcWritePropertyMulti   = 16
	svcDeviceCommControl    = 17
	svcReinitializeDevice   = 20
	svcReadRange            = 26

	svcIAm     = 0
	svcIHave   = 1
	svcWhoHas  = 7
	svcWhoIs   = 8
	svcTimeSyn = 6
	svcUTCSync = 9
)

// pduTypeNames are the APDU types as tshark names them (bacapp.type).
var pduTypeNames = [16]string{
	"Confirmed-REQ", "Unconfirmed-REQ", "Simple-ACK", "Complex-ACK", "Segment-ACK", "Error", "Reject",
	"Abort", "unknown-8", "unknown-9", "unknown-10", "unknown-11", "unknown-12", "unknown-13",
	"unknown-14", "unknown-15",
}

// bvlcNames are the BVLL functions of Annex J (bvlc.function), named as
// tshark names them.
var bvlcNames = [...]string{
	0x00: "BVLC-Result",
	0x01: "Write-Broadcast-Distribution-Table",
	0x02: "Read-Broadcast-Distribution-Table",
	0x03: "Read-Broadcast-Distribution-Table-Ack",
	0x04: "Forwarded-NPDU",
	0x05: "Register-Foreign-Device",
	0x06: "Read-Foreign-Device-Table",
	0x07: "Read-Foreign-Device-Table-Ack",
	0x08: "Delete-Foreign-Device-Table-Entry",
	0x09: "Distribute-Broadcast-To-Network",
	0x0a: "Original-Unicast-NPDU",
	0x0b: "Original-Broadcast-NPDU",
	0x0c: "Secure-BVLL",
}

// bvlcOps classify the BVLL functions that carry no NPDU.
var bvlcOps = [...]string{
	0x00: event.OpOther,
	0x01: event.OpConfigChange,
	0x02: event.OpRead,
	0x03: event.OpRead,
	0x05: event.OpConfigChange,
	0x06: event.OpRead,
	0x07: event.OpRead,
	0x08: event.OpConfigChange,
	0x0c: event.OpOther,
}

// networkMessages are the network layer message types (§6.2.4), as tshark
// names them (bacnet.mesgtyp).
var networkMessages = [...]string{
	0x00: "Who-Is-Router-To-Network",
	0x01: "I-Am-Router-To-Network",
	0x02: "I-Could-Be-Router-To-Network",
	0x03: "Reject-Message-To-Network",
	0x04: "Router-Busy-To-Network",
	0x05: "Router-Available-To-Network",
	0x06: "Initialize-Routing-Table",
	0x07: "Initialize-Routing-Table-Ack",
	0x08: "Establish-Connection-To-Network",
	0x09: "Disconnect-Connection-To-Network",
	0x0a: "Challenge-Request",
	0x0b: "Security-Payload",
	0x0c: "Security-Response",
	0x0d: "Request-Key-Update",
	0x0e: "Update-Key-Set",
	0x0f: "Update-Distribution-Key",
	0x10: "Request-Master-Key",
	0x11: "Set-Master-Key",
	0x12: "What-Is-Network-Number",
	0x13: "Network-Number-Is",
}

// rejectReasons (§18.8) and abortReasons (§18.9).
var rejectReasons = [...]string{
	"other", "buffer-overflow", "inconsistent-parameters", "invalid-parameter-data-type", "invalid-tag",
	"missing-required-parameter", "parameter-out-of-range", "too-many-arguments", "undefined-enumeration",
	"unrecognized-service", "invalid-data-encoding",
}

var abortReasons = [...]string{
	"other", "buffer-overflow", "invalid-apdu-in-this-state", "preempted-by-higher-priority-task",
	"segmentation-not-supported", "security-error", "insufficient-security", "window-size-out-of-range",
	"application-exceeded-reply-time", "out-of-resources", "tsm-timeout", "apdu-too-long",
}

// errorClasses (§18) and the error codes most often seen.
var errorClasses = [...]string{"device", "object", "property", "resources", "security", "services", "vt",
	"communication"}

var errorCodes = [...]string{
	0: "other", 1: "authentication-failed", 2: "configuration-in-progress", 3: "device-busy",
	4: "dynamic-creation-not-supported", 5: "file-access-denied", 6: "incompatible-security-levels",
	7: "inconsistent-parameters", 8: "inconsistent-selection-criterion", 9: "invalid-data-type",
	10: "invalid-file-access-method", 11: "invalid-file-start-position", 12: "invalid-operator-name",
	13: "invalid-parameter-data-type", 14: "invalid-time-stamp", 15: "key-generation-error",
	16: "missing-required-parameter", 17: "no-objects-of-specified-type", 18: "no-space-for-object",
	19: "no-space-to-add-list-element", 20: "no-space-to-write-property", 21: "no-vt-sessions-available",
	22: "property-is-not-a-list", 23: "object-deletion-not-permitted", 24: "object-identifier-already-exists",
	25: "operational-problem", 26: "password-failure", 27: "read-access-denied", 28: "security-not-supported",
	29: "service-request-denied", 30: "timeout", 31: "unknown-object", 32: "unknown-property",
	34: "unknown-vt-class", 35: "unknown-vt-session", 36: "unsupported-object-type", 37: "value-out-of-range",
	38: "vt-session-already-closed", 39: "vt-session-termination-failure", 40: "write-access-denied",
	41: "character-set-not-supported", 42: "invalid-array-index", 43: "cov-subscription-failed",
	44: "not-cov-property", 45: "optional-functionality-not-supported", 46: "invalid-configuration-data",
	47: "datatype-not-supported", 48: "duplicate-name", 49: "duplicate-object-id",
	50: "property-is-not-an-array", 83: "communication-disabled", 85: "access-denied",
}

// reinitStates are ReinitializeDevice's reinitialized-state-of-device
// values (§16.4.1.1.1).
var reinitStates = [...]string{"coldstart", "warmstart", "startbackup", "endbackup", "startrestore",
	"endrestore", "abortrestore", "activate-changes"}

// reinitOps map each state to an operation: a cold or warm start stops the
// device's control while it restarts (plc-stop); a backup reads its
// configuration out (program-upload), a restore writes one in
// (program-download); abandoning a restore or activating changes alters
// the configuration (config-change).
var reinitOps = [...]string{event.OpPLCStop, event.OpPLCStop, event.OpProgramUpload, event.OpProgramUpload,
	event.OpProgramDownload, event.OpProgramDownload, event.OpConfigChange, event.OpConfigChange}

// dccStates are DeviceCommunicationControl's enable-disable values.
var dccStates = [...]string{"enable", "disable", "disable-initiation"}

// segmentations are BACnetSegmentation values (I-Am).
var segmentations = [...]string{"segmented-both", "segmented-transmit", "segmented-receive",
	"no-segmentation"}

// objectTypes names the common BACnetObjectType values.
var objectTypes = [...]string{
	0: "analog-input", 1: "analog-output", 2: "analog-value", 3: "binary-input", 4: "binary-output",
	5: "binary-value", 6: "calendar", 7: "command", 8: "device", 9: "event-enrollment", 10: "file",
	11: "group", 12: "loop", 13: "multi-state-input", 14: "multi-state-output", 15: "notification-class",
	16: "program", 17: "schedule", 18: "averaging", 19: "multi-state-value", 20: "trend-log",
	21: "life-safety-point", 22: "life-safety-zone", 23: "accumulator", 24: "pulse-converter",
	25: "event-log", 26: "global-group", 27: "trend-log-multiple", 28: "load-control",
	29: "structured-view", 30: "access-door",
}

// properties names the BACnetPropertyIdentifier values seen most.
var properties = map[uint32]string{
	4: "active-text", 11: "apdu-timeout", 12: "application-software-version", 28: "description",
	36: "event-state", 44: "firmware-revision", 46: "inactive-text", 62: "max-apdu-length-accepted",
	70: "model-name", 75: "object-identifier", 76: "object-list", 77: "object-name", 79: "object-type",
	81: "out-of-service", 85: "present-value", 87: "priority-array", 96: "protocol-services-supported",
	97: "protocol-object-types-supported", 103: "reliability", 104: "relinquish-default", 107: "segmentation-supported",
	111: "status-flags", 112: "system-status", 117: "units", 120: "vendor-identifier", 121: "vendor-name",
	123: "weekly-schedule", 38: "exception-schedule", 32: "effective-period", 54: "list-of-object-property-references",
	8: "all", 80: "optional", 105: "required", 131: "log-buffer", 141: "record-count",
}

// vendors names common BACnet vendor identifiers (ASHRAE's registry).
var vendors = map[uint32]string{
	0: "ASHRAE", 1: "NIST", 2: "The Trane Company", 5: "Johnson Controls, Inc.", 7: "Siemens Schweiz AG",
	8: "Delta Controls", 9: "Siemens Schweiz AG", 10: "Schneider Electric", 15: "Cornell University",
	16: "United Technologies Carrier", 17: "Honeywell Inc.", 18: "Alerton / Honeywell",
	24: "Automated Logic Corporation", 28: "KMC Controls, Inc.", 35: "Reliable Controls Corporation",
	36: "Tridium Inc.", 42: "Acuity Brands Lighting, Inc.", 77: "Carel Industries S.p.A.", 80: "Fr. Sauter AG",
	86: "The Watt Stopper, Inc.", 95: "Richards-Zeta Building Intelligence, Inc.", 127: "ABB, Inc.",
	142: "DEOS control systems GmbH", 160: "Rockwell Automation", 178: "LOYTEC Electronics GmbH",
	187: "Softing", 190: "Danfoss Drives A/S", 191: "Eaton Corporation", 196: "Yokogawa Electric Corporation",
	197: "Bosch Building Automation GmbH", 222: "WAGO Kontakttechnik GmbH & Co. KG",
	226: "Phoenix Contact GmbH & Co. KG", 245: "Contemporary Control Systems, Inc.",
	260: "BACnet Stack at SourceForge", 313: "Siemens Industry, Inc.", 332: "Distech Controls SAS",
	335: "Schneider Electric", 343: "BACnet Interoperability Testing Services, Inc.",
	364: "Distech Controls Inc.", 389: "Chipkin Automation Systems",
}

// name returns t[i], or "" when i is past t.
func name[I ~uint8 | ~uint32 | int](t []string, i I) string {
	if int(i) >= 0 && int(i) < len(t) {
		return t[i]
	}
	return ""
}
