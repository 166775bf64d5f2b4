package e2e

import (
	"encoding/json"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

func unmarshal(raw []byte, out any) error {
	if m, ok := out.(proto.Message); ok {
		return protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(raw, m)
	}
	return json.Unmarshal(raw, out)
}
