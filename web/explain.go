package web

// explanation says, for a rule, why its findings matter and what to do.
type explanation struct{ Why, Fix string }

// explanations are the console's words on each rule.
var explanations = map[string]explanation{
	"segmentation.cross-zone": {
		"Traffic went between two zones that no conduit of the site model allows. Segmentation is what keeps a compromise of the business or vendor network from reaching the crane's controllers (MSCI advisory: segment crane networks; 33 CFR 101.650: network segmentation).",
		"If the traffic is needed, add a conduit for exactly this application and port between the two zones (and route it through the firewall that enforces it); if not, block it at the zone boundary and find the host that sends it."},
	"segmentation.multi-homed": {
		"One host has addresses in two zones: it bridges them, bypassing the firewall between them — the classic path into a crane network.",
		"Remove the second interface or put the host in one zone and route through the conduit's firewall."},
	"egress.external": {
		"A host talked to an address outside the facility. From a crane network this means data leaving, or a way in for someone outside.",
		"Block internet egress from crane zones; if a vendor service is needed, allow only that destination, through the remote-access gateway."},
	"remote-access.unmanaged": {
		"A remote-access session (SSH, RDP, VNC, TeamViewer, AnyDesk…) did not pass through an approved remote-access gateway, so it escapes MFA, logging and the facility's control of vendor access.",
		"Route remote access through the gateway (with MFA and session recording), disable the direct path, and check the session with the vendor."},
	"file-transfer.insecure": {
		"A file went over a cleartext protocol (FTP, TFTP, SMB without signing) into or out of a crane network: it can be read and changed on the way, and the transfer itself may be a program or firmware change.",
		"Use an authenticated, integrity-protected transfer from a managed engineering station; verify the file's hash against the vendor's."},
	"prohibited.destination": {
		"A host contacted a destination the facility or U.S. policy prohibits (e.g. the LOGINK platform).",
		"Block the destination, find the software that called it, and report it per the facility's cyber incident procedure."},
	"ics.program-download": {
		"A program was written to a controller outside any allowed conduit or change window: the logic that moves the crane may have changed.",
		"Confirm with operations and the vendor; compare the program with the baseline; if unauthorized, treat it as an incident and restore the known-good program."},
	"ics.program-upload": {
		"A controller's program was read out: reconnaissance, or an engineering action outside the allowed paths.",
		"Confirm who did it and why; restrict engineering access to the management zone."},
	"ics.program-delete": {
		"A program block was deleted on a controller.",
		"Treat it as an incident unless it was a planned change; restore from the offline backup."},
	"ics.plc-stop": {
		"A controller was stopped: the crane may stop or act unpredictably.",
		"Confirm with operations at once; if unauthorized, isolate the source and follow the incident procedure."},
	"ics.plc-start": {
		"A controller was started outside an allowed path or window.",
		"Confirm it was part of planned work."},
	"ics.firmware-update": {
		"Firmware was written to a device: a change of what the device runs.",
		"Check the firmware image against the vendor's signed release and the facility's baseline."},
	"ics.config-change": {
		"A device's configuration was changed outside an allowed path or window.",
		"Confirm the change; compare the configuration with its backup."},
	"ics.write": {
		"Values were written to a controller from where no conduit allows writes.",
		"Allow writes only from the HMIs and engineering stations that need them; find the writer."},
	"ics.auth-failure": {
		"A controller refused an authentication: someone tried a password or a protected operation.",
		"Find the source; check for guessing; make sure controller passwords are set and not defaults."},
	"inventory.unknown-device": {
		"A device is on the network that the site model does not list.",
		"Identify it (vendor, owner, purpose); add it to the inventory or remove it."},
	"inventory.missing-device": {
		"A listed device was not seen in the captures.",
		"Check the capture covers its network; if it was removed, update the inventory."},
	"inventory.mismatch": {
		"What a device says of itself (vendor, MAC) differs from what the inventory declares: a replaced device, or a spoof.",
		"Check the device physically and update the inventory or investigate."},
	"supplier.not-isolated": {
		"Equipment from a supplier of concern is not isolated from the crane's control network.",
		"Isolate it in its own zone behind a conduit allowing only what it needs, per the advisory's mitigations."},
}

func explain(rule string) explanation {
	if e, ok := explanations[rule]; ok {
		return e
	}
	return explanation{"See the rule table in the README.", "Review the finding's evidence."}
}
