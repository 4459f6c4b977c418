package profinet

// VendorName names a PROFINET vendor ID — the manufacturer ID PI
// (PROFIBUS & PROFINET International) assigns, which a device gives in
// its DCP DeviceID block, in the object UUID of its PNIO-CM calls and in
// its I&M0 record (IEC 61158-6-10 §5.2.5.2, VendorID) — for the makers
// met on crane and terminal networks: controllers, drives, remote I/O,
// safety, switches and gateways. The IDs are those of PI's manufacturer
// ID table (the same numbering as PROFIBUS, so an S7 CPU's SZL record of
// its manufacturer ID reads alike); a maker with several IDs has each.
// "" when not listed. It does not allocate.
func VendorName(id uint16) string {
	switch id {
	case 2:
		return "Rockwell Automation"
	case 5, 18, 22, 26:
		return "ABB"
	case 42: // 0x002A
		return "Siemens AG"
	case 93:
		return "Pepperl+Fuchs"
	case 128:
		return "Danfoss"
	case 176: // 0x00B0
		return "Phoenix Contact"
	case 257:
		return "SICK AG"
	case 259, 287:
		return "Bosch Rexroth AG"
	case 262:
		return "Lenze"
	case 264, 540:
		return "Mitsubishi Electric"
	case 265, 413:
		return "Eaton"
	case 266:
		return "SEW-EURODRIVE"
	case 268: // 0x010C, Anybus
		return "HMS Industrial Networks"
	case 273, 415, 531:
		return "Yaskawa Electric"
	case 279:
		return "Softing"
	case 285: // 0x011D
		return "WAGO"
	case 286: // 0x011E
		return "Hilscher"
	case 288: // 0x0120
		return "Beckhoff Automation"
	case 297, 609:
		return "Schneider Electric"
	case 299, 317:
		return "Turck"
	case 303:
		return "Murrelektronik"
	case 304:
		return "Hirschmann Automation and Control (Belden)"
	case 308:
		return "Weidmüller"
	case 310:
		return "ifm electronic"
	case 328:
		return "Omron"
	case 333:
		return "Festo"
	case 346: // 0x015A
		return "GE Intelligent Platforms"
	case 352:
		return "Control Techniques"
	case 362:
		return "Lumberg Automation (Belden)"
	case 367:
		return "WEG"
	case 373:
		return "ProSoft Technology"
	case 374:
		return "IXXAT Automation"
	case 383:
		return "Cisco Systems"
	case 393:
		return "NORD Drivesystems"
	case 400:
		return "Toshiba Schneider Inverter"
	case 411:
		return "KUKA"
	case 439:
		return "FANUC"
	case 442:
		return "Vacon"
	case 454:
		return "Advantech"
	case 272:
		return "Fraba Posital"
	case 338:
		return "Leuze electronic"
	case 339:
		return "TR-Electronic"
	case 394:
		return "Leine & Linde"
	case 408:
		return "Kübler"
	case 523:
		return "Bonfiglioli Vectron"
	case 542: // crane radio remote controls
		return "HBC-radiomatic"
	case 553:
		return "Moxa"
	case 555:
		return "VIPA"
	case 563:
		return "Liebherr"
	case 587:
		return "Schmersal"
	case 887:
		return "B&R Industrial Automation"
	case 888:
		return "Balluff"
	case 2351:
		return "Pilz"
	}
	return ""
}
