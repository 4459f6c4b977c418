package incident

import (
	"encoding/json"

	"harborwatch/store"
)

type assetData struct {
	Vendor, Model, Firmware, Kind string
	Zones                         []string
}

func decodeAsset(a store.Asset) assetData {
	var d assetData
	_ = json.Unmarshal(a.Data, &d) // an asset that does not decode adds nothing
	return d
}
