package instanceregistry

import (
	"google.golang.org/protobuf/types/known/timestamppb"

	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
)

// toProto returns the API view of an instance. It has no field for the secret, so none can leak.
func toProto(in *instance) *instancev1.Instance {
	p := &instancev1.Instance{
		Id:                 in.ID,
		Name:               in.Name,
		Description:        in.Description,
		BaseUrl:            in.BaseURL,
		AuthType:           authTypeProto(in.AuthType),
		Username:           in.Username,
		IsSource:           in.IsSource,
		IsDestination:      in.IsDestination,
		Active:             in.Active,
		InsecureSkipVerify: in.InsecureSkipVerify,
		Version:            in.Version,
		Revision:           in.Revision,
		SystemName:         in.SystemName,
		ServerTimeZone:     in.ServerTimeZone,
		ConnectionStatus:   statusFromColumn(in.ConnectionStatus),
		ConnectionMessage:  in.ConnectionMessage,
		CreateTime:         timestamppb.New(in.CreateTime),
		UpdateTime:         timestamppb.New(in.UpdateTime),
	}
	if in.LastConnectionTest.Valid {
		p.LastConnectionTest = timestamppb.New(in.LastConnectionTest.Time)
	}
	return p
}

func authTypeProto(s string) instancev1.AuthType {
	switch s {
	case authBasic:
		return instancev1.AuthType_AUTH_TYPE_BASIC
	case authToken:
		return instancev1.AuthType_AUTH_TYPE_TOKEN
	}
	return instancev1.AuthType_AUTH_TYPE_UNSPECIFIED
}
