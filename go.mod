module harborwatch

go 1.26

require (
	github.com/CycloneDX/cyclonedx-go v0.12.0
	github.com/gopacket/gopacket v1.7.7
	golang.org/x/crypto v0.55.0
	gopkg.in/yaml.v3 v3.0.1
)

require (
	golang.org/x/net v0.57.0 // indirect
	golang.org/x/sys v0.47.0 // indirect
)
