package gatewaytest

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	authv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/auth/v1"
	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
)

func (s *Server) listInstances(w http.ResponseWriter, _ *http.Request, _ *authv1.User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, &instancev1.ListInstancesResponse{Instances: byName(s.instances)})
}

func (s *Server) getInstance(w http.ResponseWriter, r *http.Request, _ *authv1.User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in, ok := lookup(w, s.instances, r.PathValue("id"), "instance"); ok {
		writeJSON(w, in)
	}
}

func validateInstance(name, baseURL string, hasSecret bool) []violation {
	var v []violation
	if strings.TrimSpace(name) == "" {
		v = append(v, violation{"name", "A name is required."})
	}
	if !strings.HasPrefix(baseURL, "http://") && !strings.HasPrefix(baseURL, "https://") {
		v = append(v, violation{"baseUrl", "The URL must start with http:// or https://."})
	}
	if !hasSecret {
		v = append(v, violation{"password", "A password or a personal access token is required."})
	}
	return v
}

func (s *Server) createInstance(w http.ResponseWriter, r *http.Request, _ *authv1.User) {
	req := &instancev1.CreateInstanceRequest{}
	if !readBody(w, r, req) {
		return
	}
	hasSecret := req.GetToken() != "" || (req.GetUsername() != "" && req.GetPassword() != "")
	if v := validateInstance(req.GetName(), req.GetBaseUrl(), hasSecret); len(v) > 0 {
		writeInvalid(w, v)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in := &instancev1.Instance{
		Id: s.newID("ins"), Name: req.GetName(), Description: req.GetDescription(),
		BaseUrl: strings.TrimRight(req.GetBaseUrl(), "/"), AuthType: instancev1.AuthType_AUTH_TYPE_BASIC,
		Username: req.GetUsername(), IsSource: req.GetIsSource(), IsDestination: req.GetIsDestination(),
		Active: req.Active == nil || req.GetActive(), InsecureSkipVerify: req.GetInsecureSkipVerify(),
		ConnectionStatus: instancev1.ConnectionStatus_CONNECTION_STATUS_UNKNOWN,
		CreateTime:       timestamppb.Now(), UpdateTime: timestamppb.Now(),
	}
	if req.GetToken() != "" {
		in.AuthType, in.Username = instancev1.AuthType_AUTH_TYPE_TOKEN, ""
	}
	s.instances[in.Id] = in
	writeJSON(w, in)
}

func (s *Server) updateInstance(w http.ResponseWriter, r *http.Request, _ *authv1.User) {
	req := &instancev1.UpdateInstanceRequest{}
	if !readBody(w, r, req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := lookup(w, s.instances, r.PathValue("id"), "instance")
	if !ok {
		return
	}
	in := proto.CloneOf(cur)
	if req.Name != nil {
		in.Name = req.GetName()
	}
	if req.Description != nil {
		in.Description = req.GetDescription()
	}
	if req.BaseUrl != nil {
		in.BaseUrl = strings.TrimRight(req.GetBaseUrl(), "/")
	}
	if req.Username != nil {
		in.Username = req.GetUsername()
	}
	if req.Password != nil {
		in.AuthType = instancev1.AuthType_AUTH_TYPE_BASIC
	}
	if req.Token != nil {
		in.AuthType, in.Username = instancev1.AuthType_AUTH_TYPE_TOKEN, ""
	}
	if req.IsSource != nil {
		in.IsSource = req.GetIsSource()
	}
	if req.IsDestination != nil {
		in.IsDestination = req.GetIsDestination()
	}
	if req.Active != nil {
		in.Active = req.GetActive()
	}
	if req.InsecureSkipVerify != nil {
		in.InsecureSkipVerify = req.GetInsecureSkipVerify()
	}
	if v := validateInstance(in.GetName(), in.GetBaseUrl(), true); len(v) > 0 {
		writeInvalid(w, v)
		return
	}
	in.UpdateTime = timestamppb.Now()
	s.instances[in.Id] = in
	writeJSON(w, in)
}

func (s *Server) deleteInstance(w http.ResponseWriter, r *http.Request, _ *authv1.User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := r.PathValue("id")
	if _, ok := lookup(w, s.instances, id, "instance"); !ok {
		return
	}
	delete(s.instances, id)
	writeJSON(w, &instancev1.DeleteInstanceResponse{})
}

// testInstance answers POST /instances/{id}:test. A base URL containing "unreachable" fails like a
// refused connection; any other URL succeeds with a DHIS2 version taken from the URL ("2.40" in it) or 2.41.3.
func (s *Server) testInstance(w http.ResponseWriter, r *http.Request, _ *authv1.User) {
	id, ok := strings.CutSuffix(r.PathValue("id"), ":test")
	if !ok {
		writeError(w, http.StatusNotFound, 5, "unknown instance action")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := lookup(w, s.instances, id, "instance")
	if !ok {
		return
	}
	now := time.Now().UTC()
	in.LastConnectionTest = timestamppb.New(now)
	resp := &instancev1.TestConnectionResponse{LatencyMs: 42}
	if strings.Contains(in.GetBaseUrl(), "unreachable") {
		resp.Status = instancev1.ConnectionStatus_CONNECTION_STATUS_UNREACHABLE
		resp.Message = fmt.Sprintf("Connection refused by %s: check the URL and that the server is running.", in.GetBaseUrl())
		in.ConnectionStatus, in.ConnectionMessage = resp.Status, resp.Message
	} else {
		version := "2.41.3"
		if strings.Contains(in.GetBaseUrl(), "2.40") {
			version = "2.40.5"
		}
		resp.Ok, resp.Status = true, instancev1.ConnectionStatus_CONNECTION_STATUS_OK
		resp.Version, resp.Revision, resp.SystemName = version, "abc1234", in.GetName()+" HMIS"
		resp.ServerTimeZone, resp.ServerDate = "Africa/Abidjan", now.Format("2006-01-02T15:04:05.000")
		in.ConnectionStatus, in.ConnectionMessage = resp.Status, ""
		in.Version, in.Revision, in.SystemName, in.ServerTimeZone = version, resp.Revision, resp.SystemName, resp.ServerTimeZone
	}
	resp.Instance = proto.CloneOf(in)
	writeJSON(w, resp)
}
