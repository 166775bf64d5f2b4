package ui

import (
	"net/http"
	"strings"

	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"

	"github.com/dhis2sync/dhis2sync/proto/apiclient"
)

func (s *Server) instanceList(w http.ResponseWriter, r *http.Request) {
	list, err := s.client(r).ListInstances(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, "instances", s.newPage(r, "Instances", "instances", list))
}

// instanceForm is the add/edit form. Secrets are never sent back: the password and token inputs start
// empty, and an empty input on edit keeps the stored secret.
type instanceForm struct {
	ID                 string
	Name               string
	Description        string
	BaseURL            string
	AuthType           string // "basic" or "token"
	Username           string
	IsSource           bool
	IsDestination      bool
	Active             bool
	InsecureSkipVerify bool
	Errors             map[string]string
}

func formFromInstance(in *instancev1.Instance) instanceForm {
	f := instanceForm{
		ID: in.GetId(), Name: in.GetName(), Description: in.GetDescription(), BaseURL: in.GetBaseUrl(),
		AuthType: "basic", Username: in.GetUsername(), IsSource: in.GetIsSource(), IsDestination: in.GetIsDestination(),
		Active: in.GetActive(), InsecureSkipVerify: in.GetInsecureSkipVerify(),
	}
	if in.GetAuthType() == instancev1.AuthType_AUTH_TYPE_TOKEN {
		f.AuthType = "token"
	}
	return f
}

func readInstanceForm(r *http.Request) (f instanceForm, password, token string) {
	f = instanceForm{
		ID: r.PathValue("id"), Name: strings.TrimSpace(r.PostFormValue("name")), Description: strings.TrimSpace(r.PostFormValue("description")),
		BaseURL: strings.TrimSpace(r.PostFormValue("base_url")), AuthType: r.PostFormValue("auth_type"),
		Username: strings.TrimSpace(r.PostFormValue("username")), IsSource: r.PostFormValue("is_source") == "on",
		IsDestination: r.PostFormValue("is_destination") == "on", Active: r.PostFormValue("active") == "on",
		InsecureSkipVerify: r.PostFormValue("insecure_skip_verify") == "on",
	}
	if f.AuthType != "token" {
		f.AuthType = "basic"
		return f, r.PostFormValue("password"), ""
	}
	return f, "", strings.TrimSpace(r.PostFormValue("token"))
}

func (s *Server) instanceNew(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, "instance_form", s.newPage(r, "Add instance", "instances", instanceForm{AuthType: "basic", Active: true}))
}

func (s *Server) instanceEdit(w http.ResponseWriter, r *http.Request) {
	in, err := s.client(r).GetInstance(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, "instance_form", s.newPage(r, "Edit instance", "instances", formFromInstance(in)))
}

func (s *Server) instanceCreate(w http.ResponseWriter, r *http.Request) {
	f, password, token := readInstanceForm(r)
	req := &instancev1.CreateInstanceRequest{
		Name: f.Name, Description: f.Description, BaseUrl: f.BaseURL, Password: password, Token: token,
		IsSource: f.IsSource, IsDestination: f.IsDestination, Active: &f.Active, InsecureSkipVerify: f.InsecureSkipVerify,
	}
	if f.AuthType == "basic" {
		req.Username = f.Username
	}
	in, err := s.client(r).CreateInstance(r.Context(), req)
	if err != nil {
		s.instanceFormError(w, r, "Add instance", f, err)
		return
	}
	redirect(w, r, "/instances?flash=Instance+saved.&highlight="+in.GetId())
}

func (s *Server) instanceUpdate(w http.ResponseWriter, r *http.Request) {
	f, password, token := readInstanceForm(r)
	req := &instancev1.UpdateInstanceRequest{
		Id: f.ID, Name: &f.Name, Description: &f.Description, BaseUrl: &f.BaseURL, IsSource: &f.IsSource,
		IsDestination: &f.IsDestination, Active: &f.Active, InsecureSkipVerify: &f.InsecureSkipVerify,
	}
	switch {
	case f.AuthType == "basic":
		req.Username = &f.Username
		if password != "" {
			req.Password = &password
		}
	case token != "":
		req.Token = &token
	}
	if _, err := s.client(r).UpdateInstance(r.Context(), req); err != nil {
		s.instanceFormError(w, r, "Edit instance", f, err)
		return
	}
	redirect(w, r, "/instances?flash=Instance+saved.")
}

// instanceFormError shows the form again with the server's field messages, or the error page when the
// failure is not about the input.
func (s *Server) instanceFormError(w http.ResponseWriter, r *http.Request, title string, f instanceForm, err error) {
	fields := apiclient.FieldErrors(err)
	if fields == nil && apiclient.StatusOf(err) != http.StatusBadRequest {
		s.fail(w, r, err)
		return
	}
	f.Errors = formErrors(fields)
	p := s.newPage(r, title, "instances", f)
	_, p.Alert = describe(p.Lang, err)
	p.Status = http.StatusUnprocessableEntity
	s.render(w, r, "instance_form", p)
}

func (s *Server) instanceDeleteConfirm(w http.ResponseWriter, r *http.Request) {
	in, err := s.client(r).GetInstance(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, "confirm_delete", s.newPage(r, "Delete instance", "instances", confirmData{
		Kind: "instance", Name: in.GetName(), Action: "/instances/" + in.GetId() + "/delete", Cancel: "/instances",
	}))
}

type confirmData struct {
	Kind, Name, Action, Cancel string
}

func (s *Server) instanceDelete(w http.ResponseWriter, r *http.Request) {
	if err := s.client(r).DeleteInstance(r.Context(), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	redirect(w, r, "/instances?flash=Instance+deleted.")
}

// instanceTest runs a connection test and answers with the result fragment shown under the instance.
func (s *Server) instanceTest(w http.ResponseWriter, r *http.Request) {
	res, err := s.client(r).TestInstance(r.Context(), r.PathValue("id"))
	p := s.newPage(r, "Instances", "instances", res)
	if err != nil {
		if apiclient.IsUnauthenticated(err) {
			s.fail(w, r, err)
			return
		}
		_, p.Alert = describe(p.Lang, err)
	}
	s.writePartial(w, r, "test_result", p)
}
