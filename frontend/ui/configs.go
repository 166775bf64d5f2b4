package ui

import (
	"net/http"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"

	"github.com/dhis2sync/dhis2sync/proto/apiclient"
)

type configListData struct {
	Configs       []*configv1.Config
	InstanceNames map[string]string
}

func (s *Server) configList(w http.ResponseWriter, r *http.Request) {
	gw := s.client(r)
	configs, err := gw.ListConfigs(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := configListData{Configs: configs, InstanceNames: map[string]string{}}
	if instances, err := gw.ListInstances(r.Context()); err == nil {
		for _, in := range instances {
			d.InstanceNames[in.GetId()] = in.GetName()
		}
	}
	s.render(w, r, "configs", s.newPage(r, "Configurations", "configs", d))
}

func (s *Server) configNew(w http.ResponseWriter, r *http.Request) {
	instances, err := s.client(r).ListInstances(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, "config_form", s.newPage(r, "New configuration", "configs", newConfigForm(nil, instances)))
}

func (s *Server) configEdit(w http.ResponseWriter, r *http.Request) {
	gw := s.client(r)
	c, err := gw.GetConfig(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	instances, err := gw.ListInstances(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, "config_form", s.newPage(r, "Edit configuration", "configs", newConfigForm(c, instances)))
}

func (s *Server) configCreate(w http.ResponseWriter, r *http.Request) {
	s.configSave(w, r, "New configuration")
}

func (s *Server) configUpdate(w http.ResponseWriter, r *http.Request) {
	s.configSave(w, r, "Edit configuration")
}

// configSave stores the form, or shows it again with field-level messages (its own and the server's).
func (s *Server) configSave(w http.ResponseWriter, r *http.Request, title string) {
	gw := s.client(r)
	c, errs := readConfigForm(r)
	var err error
	if errs == nil {
		if c.GetId() == "" {
			_, err = gw.CreateConfig(r.Context(), c)
		} else {
			_, err = gw.UpdateConfig(r.Context(), c)
		}
		if err == nil {
			redirect(w, r, "/configs?flash=Configuration+saved.")
			return
		}
		if apiclient.FieldErrors(err) == nil && apiclient.StatusOf(err) != http.StatusBadRequest {
			s.fail(w, r, err)
			return
		}
		errs = formErrors(apiclient.FieldErrors(err))
		if errs == nil {
			errs = map[string]string{}
		}
	}
	instances, lerr := gw.ListInstances(r.Context())
	if lerr != nil {
		s.fail(w, r, lerr)
		return
	}
	form := newConfigForm(c, instances)
	form.Errors = errs
	p := s.newPage(r, title, "configs", form)
	p.Status = http.StatusUnprocessableEntity
	p.Alert = translate(p.Lang, "The configuration was not saved: correct the highlighted fields.")
	if err != nil && len(apiclient.FieldErrors(err)) == 0 {
		_, p.Alert = describe(p.Lang, err)
	}
	s.render(w, r, "config_form", p)
}

func (s *Server) configDeleteConfirm(w http.ResponseWriter, r *http.Request) {
	c, err := s.client(r).GetConfig(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, "confirm_delete", s.newPage(r, "Delete configuration", "configs", confirmData{
		Kind: "config", Name: c.GetName(), Action: "/configs/" + c.GetId() + "/delete", Cancel: "/configs",
	}))
}

func (s *Server) configDelete(w http.ResponseWriter, r *http.Request) {
	if err := s.client(r).DeleteConfig(r.Context(), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	redirect(w, r, "/configs?flash=Configuration+deleted.")
}

// configActive switches a configuration on or off in one click (the overview's button). Switching an
// automatic configuration on again clears the reason the orchestrator switched it off.
func (s *Server) configActive(w http.ResponseWriter, r *http.Request) {
	gw := s.client(r)
	c, err := gw.GetConfig(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c.Active = r.FormValue("active") == "true"
	if _, err := gw.UpdateConfig(r.Context(), c); err != nil {
		s.fail(w, r, err)
		return
	}
	redirect(w, r, "/")
}
