package inventory

import (
	"fmt"
	"slices"
	"strings"

	"harborwatch/event"
)

// Roles a device can be given. A role is inferred from behaviour (what it
// served, polled, asked), from what it said of itself (LLDP capabilities,
// a PROFINET station, a CIP device type) or from its maker's products.
const (
	RolePLC         = "plc"
	RoleHMI         = "hmi"
	RoleSCADA       = "scada"
	RoleEWS         = "engineering-workstation"
	RoleDrive       = "drive"
	RoleIODevice    = "io-device"
	RoleCamera      = "camera"
	RoleScanner     = "scanner"
	RoleSwitch      = "switch"
	RoleRouter      = "router"
	RoleServer      = "server"
	RoleRemote      = "remote-access"
	RoleDNS         = "dns"
	RoleNTP         = "ntp"
	RoleFileServer  = "file-server"
	RoleCellular    = "cellular-modem"
	scadaControlers = 5 // polling this many controllers or more: scada rather than hmi
)

// program operations: requesting one makes an engineering workstation.
var engineeringOps = []string{event.OpProgramDownload, event.OpProgramUpload, event.OpProgramDelete,
	event.OpFirmwareUpdate, event.OpPLCStop, event.OpPLCStart, event.OpConfigChange, event.OpDiagnostics}

func roles(b *builder, a *Asset) []Role {
	var out []Role
	add := func(role, format string, args ...any) {
		for _, r := range out {
			if r.Role == role {
				return
			}
		}
		out = append(out, Role{Role: role, Evidence: fmt.Sprintf(format, args...)})
	}
	var served, ops []string
	var polled int
	var polledMore bool
	var icsApps []string
	for _, h := range a.obs {
		for _, s := range h.Served {
			served = appendUnique(served, s)
		}
		for _, o := range h.Ops {
			ops = appendUnique(ops, o)
		}
		polled += len(h.Polled)
		polledMore = polledMore || h.PolledMore
		for _, ap := range h.Apps {
			if isICS(ap) && !slices.Contains(h.Served, ap) {
				icsApps = appendUnique(icsApps, ap)
			}
		}
	}
	slices.Sort(served)
	var icsServed []string
	for _, s := range served {
		if isICS(s) {
			icsServed = append(icsServed, s)
		}
	}
	if len(icsServed) > 0 {
		add(RolePLC, "serves %s", strings.Join(icsServed, ", "))
	}
	var eng []string
	for _, o := range engineeringOps {
		if slices.Contains(ops, o) {
			eng = append(eng, o)
		}
	}
	if len(eng) > 0 {
		add(RoleEWS, "requested %s", strings.Join(eng, ", "))
	}
	// A controller scanning its I/O (class-1 connections, reads of its
	// remote I/O) polls devices too, but is no HMI.
	scanner := len(icsServed) > 0 && len(eng) == 0 && !slices.ContainsFunc(ops, func(o string) bool {
		return o != event.OpIO && o != event.OpSession && o != event.OpIdentity
	})
	if polled > 0 && !scanner {
		n := fmt.Sprint(polled)
		if polledMore {
			n += "+"
		}
		slices.Sort(icsApps)
		switch {
		case polled >= scadaControlers:
			add(RoleSCADA, "polls %s controllers over %s", n, strings.Join(icsApps, ", "))
		case polled >= 2:
			add(RoleHMI, "polls %s controllers over %s", n, strings.Join(icsApps, ", "))
		case len(eng) == 0:
			add(RoleHMI, "polls 1 controller over %s", strings.Join(icsApps, ", "))
		}
	}
	// What the device said of itself.
	if dt, ok := a.Identity["device_type"].(string); ok {
		switch l := lower(dt); {
		case strings.Contains(l, "drive"):
			add(RoleDrive, "CIP identity: device type %q", dt)
		case strings.Contains(l, "programmable logic controller"):
			add(RolePLC, "CIP identity: device type %q", dt)
		case strings.Contains(l, "communications adapter"):
			add(RoleIODevice, "CIP identity: device type %q", dt)
		}
	}
	if sn, ok := a.Identity["station_name"].(string); ok && sn != "" {
		add(RoleIODevice, "PROFINET station %q", sn)
	}
	if caps, ok := a.Identity["capabilities"].(string); ok {
		l := lower(caps)
		if strings.Contains(l, "router") {
			add(RoleRouter, "announces router capability (%s)", caps)
		}
		if strings.Contains(l, "bridge") || strings.Contains(l, "switch") {
			add(RoleSwitch, "announces bridge capability (%s)", caps)
		}
	}
	if slices.Contains(served, "rtsp") {
		add(RoleCamera, "serves rtsp")
	}
	if org := lower(a.OUIOrg); org != "" {
		for _, m := range cameraMakers {
			if strings.Contains(org, m) {
				add(RoleCamera, "MAC block of %s, a maker of IP cameras", a.OUIOrg)
				break
			}
		}
	}
	if slices.Contains(served, "dns") {
		add(RoleDNS, "serves dns")
	}
	if slices.Contains(served, "ntp") {
		add(RoleNTP, "serves ntp")
	}
	var remote, files, srv []string
	for _, s := range served {
		switch s {
		case "rdp", "vnc", "ssh", "telnet", "teamviewer", "anydesk":
			remote = append(remote, s)
		case "ftp", "tftp", "smb":
			files = append(files, s)
		case "http", "https":
			srv = append(srv, s)
		}
	}
	for _, ip := range a.IPs {
		if b.site.IsGateway(ip) {
			add(RoleRemote, "approved remote-access gateway in the site model")
		}
	}
	if len(remote) > 0 {
		add(RoleServer, "serves %s", strings.Join(remote, ", "))
	}
	if len(files) > 0 {
		add(RoleFileServer, "serves %s", strings.Join(files, ", "))
	}
	if len(srv) > 0 {
		add(RoleServer, "serves %s", strings.Join(srv, ", "))
	}
	return out
}

// cameraMakers are IEEE registrant names (lower case, substrings) of
// companies whose network interfaces are, in a port, cameras and video
// recorders.
var cameraMakers = []string{"hikvision", "ezviz", "zhejiang dahua", "axis communications", "hanwha vision",
	"hanwha techwin", "mobotix", "vivotek", "uniview", "zhejiang uniview", "bosch security"}

func isICS(app string) bool {
	switch app {
	case "modbus", "s7comm", "s7comm-plus", "enip":
		return true
	}
	return false
}

// productFamilies name a role by the products of the device's maker when
// every product the maker offers is of that one kind (Nuctech makes only
// scanners, Quectel only cellular modules).
var productFamilies = []struct {
	role     string
	products []string
}{
	{RoleScanner, []string{"cargo-scanner", "vehicle-scanner", "radiation-portal", "baggage-scanner", "trace-detector", "body-scanner"}},
	{RoleCellular, []string{"cellular-module", "gnss-module"}},
}

// productRoles adds a role from the maker's catalog entry when the maker
// makes one kind of device only.
func (b *builder) productRoles(a *Asset) {
	for _, c := range a.Concern {
		if !c.Maker {
			continue
		}
		s := b.cat.ByID(c.Supplier)
		if s == nil || len(s.Products) == 0 {
			continue
		}
		for _, fam := range productFamilies {
			all := true
			for _, p := range s.Products {
				all = all && slices.Contains(fam.products, p)
			}
			if all && !slices.ContainsFunc(a.Roles, func(r Role) bool { return r.Role == fam.role }) {
				a.Roles = append(a.Roles, Role{Role: fam.role, Evidence: fmt.Sprintf("made by %s (%s)", s.Name, strings.Join(s.Products, ", "))})
				if a.Kind == "" {
					a.Kind = fam.role
				}
			}
		}
	}
}
