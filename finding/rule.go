package finding

import "slices"

// Rule ids. They are stable: reports, suppressions and SIEM rules key on them.
const (
	RuleCrossZone      = "segmentation.cross-zone"
	RuleMultiHomed     = "segmentation.multi-homed"
	RuleEgressExternal = "egress.external"
	RuleRemoteAccess   = "remote-access.unmanaged"
	RuleFileTransfer   = "file-transfer.insecure"
	RuleProhibited     = "prohibited.destination"

	// ICS rules: an operation on a crane's controllers that no conduit (or
	// no change window) allows, and a refused authentication.
	RuleICSProgramDownload = "ics.program-download"
	RuleICSProgramUpload   = "ics.program-upload"
	RuleICSProgramDelete   = "ics.program-delete"
	RuleICSPLCStop         = "ics.plc-stop"
	RuleICSPLCStart        = "ics.plc-start"
	RuleICSFirmwareUpdate  = "ics.firmware-update"
	RuleICSConfigChange    = "ics.config-change"
	RuleICSWrite           = "ics.write"
	RuleICSAuthFailure     = "ics.auth-failure"
	RuleICSInsecure        = "ics.insecure-channel"

	// Device rules: a device seen where the site does not declare one, and
	// what reconciling the declared inventory with the observed devices
	// finds (the inventory reports the last three).
	RuleUnknownDevice = "inventory.unknown-device"
	RuleMissingDevice = "inventory.missing-device"
	RuleMismatch      = "inventory.mismatch"
	RuleNotIsolated   = "supplier.not-isolated"

	// RuleVulnKnown is a device that a published advisory (CSAF) lists
	// as affected by a known vulnerability.
	RuleVulnKnown = "vulnerability.known"

	// RuleUnregistered is a remote session or a change to a controller
	// from an address that no entry of the access register covers (made by
	// the compliance evaluation, which reconciles the register with the
	// findings and events).
	RuleUnregistered = "access.unregistered"
	// Integrity rules: a verification of an asset's files or blocks
	// against its signed baseline, and program transfers judged against
	// the block hashes of a baseline.
	RuleIntegrityMismatch        = "integrity.baseline-mismatch"
	RuleIntegrityBaselineInvalid = "integrity.baseline-invalid"
	RuleIntegrityProgramChanged  = "integrity.program-changed"
	RuleIntegrityRemoteUpdate    = "integrity.remote-update"

	// Recovery rules: what a crane lacks to be restored (the readiness
	// report over the backup and spares registers).
	RuleRecoveryBackupMissing   = "recovery.backup-missing"
	RuleRecoveryBackupStale     = "recovery.backup-stale"
	RuleRecoveryBackupOnline    = "recovery.backup-online"
	RuleRecoveryRestoreUntested = "recovery.restore-untested"
	RuleRecoveryBackupOutdated  = "recovery.backup-outdated"
	RuleRecoveryBackupMismatch  = "recovery.backup-mismatch"
	RuleRecoverySparesShort     = "recovery.spares-short"
	RuleRecoveryRebuildUntested = "recovery.rebuild-untested"
)

// Rule is what a rule says, which controls it bears on and what it judges.
type Rule struct {
	ID    string
	Title string // the title of a finding that has no more specific one
	// Controls are ids of the project's control catalog
	// (compliance/catalog/controls.yaml): MSCI-* for the maritime
	// advisory's crane mitigations, USCG-* for 33 CFR 101.650 measures.
	Controls []string
	// Techniques are MITRE ATT&CK for ICS technique ids (T0xxx): what an
	// adversary may be doing when the rule fires. Empty when none fits (a
	// design weakness such as a multi-homed host is not a technique).
	Techniques []string
	// Device is whether the rule judges a device (its addresses, MACs or
	// declaration) rather than traffic between two hosts: its findings
	// name no application, and at most a second address of the same
	// device as destination.
	Device bool
	// Op is the ICS operation (an event.Op* value) whose requests the rule
	// judges; "" for rules that judge no single operation.
	Op string
	// Counts says what a finding's Count counts: "flow", "request",
	// "address" or "packet" (a prohibited.destination finding on names
	// counts lookups); "transfer" (program blocks moved, judged against a
	// baseline) or "check" (verifications and register checks).
	Counts string
}

// The controls shared by the rules on operations that change what a
// controller runs or how it is configured.
var changeControls = []string{"MSCI-SEG-3", "MSCI-INT-1", "MSCI-VEND-1", "USCG-SEG-2", "USCG-DEV-2"}

// Techniques names the MITRE ATT&CK for ICS techniques the rules cite, by
// id (attack.mitre.org/techniques/ics).
var techniques = map[string]string{
	"T0816": "Device Restart/Shutdown",
	"T0822": "External Remote Services",
	"T0830": "Adversary-in-the-Middle",
	"T0836": "Modify Parameter",
	"T0843": "Program Download",
	"T0845": "Program Upload",
	"T0855": "Unauthorized Command Message",
	"T0857": "System Firmware",
	"T0858": "Change Operating Mode",
	"T0859": "Valid Accounts",
	"T0862": "Supply Chain Compromise",
	"T0864": "Transient Cyber Asset",
	"T0867": "Lateral Tool Transfer",
	"T0866": "Exploitation of Remote Services",
	"T0869": "Standard Application Layer Protocol",
	"T0881": "Service Stop",
	"T0883": "Internet Accessible Device",
	"T0886": "Remote Services",
	"T0889": "Modify Program",
}

// TechniqueName returns the name of an ATT&CK for ICS technique a rule
// cites ("T0843" → "Program Download"), "" for another id.
func TechniqueName(id string) string { return techniques[id] }

// rules is the rule table, in the order of the README's.
var rules = []Rule{
	{ID: RuleCrossZone, Title: "Traffic between zones with no conduit allowing it",
		Controls: []string{"MSCI-SEG-1", "MSCI-SEG-2", "MSCI-NET-1", "USCG-SEG-1", "USCG-SEG-2"},
		// Not a technique by itself: any protocol, any purpose.
		Techniques: []string{}, Counts: "flow"},
	{ID: RuleMultiHomed, Title: "Host with addresses in several zones or VLANs (multi-homed)",
		Controls:   []string{"MSCI-SEG-2", "MSCI-SEG-1", "USCG-SEG-1"},
		Techniques: []string{}, Device: true, Counts: "address"},
	{ID: RuleEgressExternal, Title: "Crane network talks to an external address",
		Controls: []string{"MSCI-MON-1", "MSCI-SEG-1", "MSCI-NET-1", "USCG-RISK-4", "USCG-SEG-2"},
		// Outbound: a command-and-control channel over an ordinary
		// protocol; inbound: a crane device reachable from outside.
		Techniques: []string{"T0869", "T0883"}, Counts: "flow"},
	{ID: RuleRemoteAccess, Title: "Remote-access session into a crane network not through the remote-access gateway",
		Controls:   []string{"MSCI-RA-1", "MSCI-VEND-1", "MSCI-MON-2", "USCG-ACCT-4", "USCG-TRN-3", "USCG-SUP-1"},
		Techniques: []string{"T0822", "T0886"}, Counts: "flow"},
	{ID: RuleFileTransfer, Title: "Cleartext file transfer into or out of a crane network",
		Controls:   []string{"MSCI-XFER-1", "USCG-DATA-2"},
		Techniques: []string{"T0867"}, Counts: "flow"},
	{ID: RuleProhibited, Title: "Contact with a prohibited destination",
		Controls:   []string{"MSCI-TPA-1", "MSCI-NET-1", "USCG-SUP-1"},
		Techniques: []string{"T0869"}, Counts: "flow"},
	{ID: RuleICSProgramDownload, Title: "PLC program download not allowed by the site",
		Controls: changeControls, Techniques: []string{"T0843"}, Op: "program-download", Counts: "request"},
	{ID: RuleICSProgramUpload, Title: "PLC program upload not allowed by the site",
		Controls: changeControls, Techniques: []string{"T0845"}, Op: "program-upload", Counts: "request"},
	{ID: RuleICSProgramDelete, Title: "PLC block deletion not allowed by the site",
		Controls: changeControls, Techniques: []string{"T0889"}, Op: "program-delete", Counts: "request"},
	{ID: RuleICSPLCStop, Title: "PLC stop not allowed by the site",
		Controls: changeControls, Techniques: []string{"T0816", "T0858", "T0881"}, Op: "plc-stop", Counts: "request"},
	{ID: RuleICSPLCStart, Title: "PLC start not allowed by the site",
		Controls: changeControls, Techniques: []string{"T0816", "T0858"}, Op: "plc-start", Counts: "request"},
	{ID: RuleICSFirmwareUpdate, Title: "Firmware update not allowed by the site",
		Controls: changeControls, Techniques: []string{"T0857"}, Op: "firmware-update", Counts: "request"},
	{ID: RuleICSConfigChange, Title: "Controller configuration change not allowed by the site",
		Controls: changeControls, Techniques: []string{"T0836"}, Op: "config-change", Counts: "request"},
	{ID: RuleICSWrite, Title: "Write to a crane controller not allowed by the site",
		Controls: changeControls, Techniques: []string{"T0855", "T0836"}, Op: "write", Counts: "request"},
	{ID: RuleICSInsecure, Title: "Industrial session into a crane network without security",
		Controls: []string{"USCG-DATA-2"}, Techniques: []string{"T0830"}, Counts: "request"},
	{ID: RuleICSAuthFailure, Title: "Failed authentication to a crane controller",
		Controls:   []string{"USCG-ACCT-1", "USCG-ACCT-4", "MSCI-RA-1"},
		Techniques: []string{"T0859"}, Counts: "request"},
	{ID: RuleUnknownDevice, Title: "Device in a crane zone that the site inventory does not list",
		Controls:   []string{"USCG-DEV-1", "USCG-DEV-3", "MSCI-VLAN-2"},
		Techniques: []string{"T0864"}, Device: true, Counts: "packet"},
	{ID: RuleMissingDevice, Title: "Declared device never seen on a monitored network",
		Controls:   []string{"USCG-DEV-3", "USCG-DEV-4"},
		Techniques: []string{}, Device: true, Counts: "packet"},
	{ID: RuleMismatch, Title: "Observed device differs from its declaration (MAC or vendor)",
		Controls: []string{"USCG-DEV-1", "USCG-DEV-3"},
		// Another MAC answering for a declared address is what ARP
		// spoofing looks like.
		Techniques: []string{"T0830"}, Device: true, Counts: "packet"},
	{ID: RuleNotIsolated, Title: "Device of a supplier of concern not segmented from crane control",
		Controls:   []string{"MSCI-VLAN-2", "MSCI-VLAN-1", "MSCI-SEG-1", "USCG-SEG-1"},
		Techniques: []string{"T0862"}, Device: true, Counts: "packet"},
	{ID: RuleVulnKnown, Title: "Device affected by a known vulnerability (published advisory)",
		Controls: []string{"USCG-DEV-1", "USCG-DEV-3", "USCG-RISK-4", "MSCI-SEG-1"},
		// What the advisories' network-reachable flaws let an adversary do.
		Techniques: []string{"T0866"}, Device: true, Counts: "packet"},
	{ID: RuleUnregistered, Title: "Remote session or controller change from a source the access register does not cover",
		Controls:   []string{"MSCI-AWR-1", "MSCI-TPA-1", "MSCI-RA-1"},
		Techniques: []string{"T0822", "T0886"}, Counts: "flow"},
	{ID: RuleIntegrityMismatch, Title: "Files or PLC blocks differ from the signed integrity baseline",
		Controls: []string{"MSCI-INT-1"}, Techniques: []string{"T0889", "T0857"}, Device: true, Counts: "check"},
	{ID: RuleIntegrityBaselineInvalid, Title: "Integrity baseline fails its signature check",
		Controls: []string{"MSCI-INT-1", "USCG-REC-1"}, Techniques: []string{}, Device: true, Counts: "check"},
	{ID: RuleIntegrityProgramChanged, Title: "PLC block downloaded with a hash other than the baseline's",
		Controls: []string{"MSCI-INT-1", "USCG-DEV-2"}, Techniques: []string{"T0843", "T0889"}, Counts: "transfer"},
	{ID: RuleIntegrityRemoteUpdate, Title: "Program or firmware download through a remote-access session",
		Controls: []string{"MSCI-VEND-1", "MSCI-RA-1", "MSCI-INT-1"}, Techniques: []string{"T0843", "T0822"}, Counts: "transfer"},
	{ID: RuleRecoveryBackupMissing, Title: "Crane lacks a backup the advisory asks for",
		Controls: []string{"MSCI-BKP-1", "USCG-RES-3"}, Techniques: []string{}, Device: true, Counts: "check"},
	{ID: RuleRecoveryBackupStale, Title: "Backup older than the policy allows",
		Controls: []string{"MSCI-BKP-1", "USCG-RES-3"}, Techniques: []string{}, Device: true, Counts: "check"},
	{ID: RuleRecoveryBackupOnline, Title: "Backup not kept offline",
		Controls: []string{"MSCI-BKP-1"}, Techniques: []string{}, Device: true, Counts: "check"},
	{ID: RuleRecoveryRestoreUntested, Title: "Backup never restore-tested, failed its test, or tested too long ago",
		Controls: []string{"MSCI-BKP-1", "MSCI-RES-2"}, Techniques: []string{}, Device: true, Counts: "check"},
	{ID: RuleRecoveryBackupOutdated, Title: "Asset changed since its last backup",
		Controls: []string{"MSCI-BKP-1", "MSCI-INT-1"}, Techniques: []string{}, Device: true, Counts: "check"},
	{ID: RuleRecoveryBackupMismatch, Title: "Backup file no longer matches its recorded hash",
		Controls: []string{"MSCI-BKP-1", "MSCI-RES-2"}, Techniques: []string{}, Device: true, Counts: "check"},
	{ID: RuleRecoverySparesShort, Title: "Fewer spares on hand than the crane requires",
		Controls: []string{"MSCI-SPARE-1", "MSCI-RES-1"}, Techniques: []string{}, Device: true, Counts: "check"},
	{ID: RuleRecoveryRebuildUntested, Title: "Spare never rebuild-tested or tested too long ago",
		Controls: []string{"MSCI-SPARE-1"}, Techniques: []string{}, Device: true, Counts: "check"},
}

// byOp maps an ICS operation to the rule judging it.
var byOp = func() map[string]string {
	m := map[string]string{}
	for _, r := range rules {
		if r.Op != "" {
			m[r.Op] = r.ID
		}
	}
	return m
}()

// Rules returns the rule table, in the order of the README's.
func Rules() []Rule {
	out := make([]Rule, len(rules))
	for i, r := range rules {
		out[i] = r.clone()
	}
	return out
}

// Lookup returns the rule with the given id.
func Lookup(id string) (Rule, bool) {
	for _, r := range rules {
		if r.ID == id {
			return r.clone(), true
		}
	}
	return Rule{}, false
}

// ForOp returns the id of the rule judging an ICS operation (an event.Op*
// value), "" for operations that are never findings by themselves (read,
// identity, diagnostics, session, io, auth, other). It does not allocate.
func ForOp(op string) string { return byOp[op] }

func (r Rule) clone() Rule {
	r.Controls = slices.Clone(r.Controls)
	r.Techniques = slices.Clone(r.Techniques)
	return r
}
