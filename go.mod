module harborwatch

go 1.26

require gopkg.in/yaml.v3 v3.0.1

require (
	github.com/CycloneDX/cyclonedx-go v0.12.0 // indirect
	github.com/gopacket/gopacket v1.7.7 // indirect
)
