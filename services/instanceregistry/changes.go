package instanceregistry

import (
	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
	"github.com/dhis2sync/dhis2sync/services/platform/fielderr"
)

// fromCreate validates a create request and returns the new row (without id and secret) and its
// credentials. Every problem is reported at once.
func fromCreate(req *instancev1.CreateInstanceRequest) (*instance, credentials, error) {
	var v fielderr.List
	in := &instance{
		Name:               normalizeName(&v, req.GetName()),
		Description:        req.GetDescription(),
		BaseURL:            normalizeBaseURL(&v, req.GetBaseUrl()),
		IsSource:           req.GetIsSource(),
		IsDestination:      req.GetIsDestination(),
		Active:             req.Active == nil || req.GetActive(),
		InsecureSkipVerify: req.GetInsecureSkipVerify(),
		ConnectionStatus:   statusColumn(instancev1.ConnectionStatus_CONNECTION_STATUS_UNKNOWN),
	}
	checkDescription(&v, in.Description)
	username := normalizeUsername(&v, req.GetUsername())
	password, token := req.GetPassword(), req.GetToken()
	var creds credentials
	switch {
	case token != "" && (username != "" || password != ""):
		v.Add("token", "give either a personal access token or a username and password, not both")
	case token != "":
		checkToken(&v, token)
		in.AuthType, creds.Token = authToken, token
	case username == "" && password == "":
		v.Add("username", "credentials are required: give a username and password, or a personal access token")
	case username == "":
		v.Add("username", "required with a password")
	default:
		checkPassword(&v, password)
		in.AuthType, in.Username = authBasic, username
		creds.Username, creds.Password = username, password
	}
	return in, creds, invalid(v)
}

// update is a validated update: the new row and, when the secret changes, the new credentials.
type update struct {
	next *instance
	// creds is non-nil when the password or token was replaced.
	creds *credentials
	// reconnect is true when the address, the account or TLS verification changed, so the last test result
	// no longer describes the instance.
	reconnect bool
}

// applyUpdate validates req against the current row and returns the changed row. Unset fields keep their
// value.
func applyUpdate(cur *instance, req *instancev1.UpdateInstanceRequest) (update, error) {
	var v fielderr.List
	next := *cur
	if req.Name != nil {
		next.Name = normalizeName(&v, req.GetName())
	}
	if req.Description != nil {
		next.Description = req.GetDescription()
		checkDescription(&v, next.Description)
	}
	if req.BaseUrl != nil {
		next.BaseURL = normalizeBaseURL(&v, req.GetBaseUrl())
	}
	if req.IsSource != nil {
		next.IsSource = req.GetIsSource()
	}
	if req.IsDestination != nil {
		next.IsDestination = req.GetIsDestination()
	}
	if req.Active != nil {
		next.Active = req.GetActive()
	}
	if req.InsecureSkipVerify != nil {
		next.InsecureSkipVerify = req.GetInsecureSkipVerify()
	}

	var creds *credentials
	username := next.Username
	if req.Username != nil {
		username = normalizeUsername(&v, req.GetUsername())
	}
	switch {
	case req.Token != nil && req.Password != nil:
		v.Add("token", "give either a personal access token or a password, not both")
	case req.Token != nil:
		if username != "" && req.Username != nil {
			v.Add("username", "a personal access token replaces the username and password: leave the username unset or empty")
		}
		checkToken(&v, req.GetToken())
		next.AuthType, next.Username = authToken, ""
		creds = &credentials{Token: req.GetToken()}
	case req.Password != nil:
		if username == "" {
			v.Add("username", "required with a password (this instance has none: it uses a token)")
		}
		checkPassword(&v, req.GetPassword())
		next.AuthType, next.Username = authBasic, username
		creds = &credentials{Username: username, Password: req.GetPassword()}
	case req.Username != nil && next.AuthType == authBasic:
		if username == "" {
			v.Add("username", "required for username and password authentication")
		}
		next.Username = username
	case req.Username != nil && username != "":
		v.Add("password", "required to switch from a token to a username and password")
	}
	if err := invalid(v); err != nil {
		return update{}, err
	}
	reconnect := creds != nil || next.BaseURL != cur.BaseURL || next.Username != cur.Username ||
		next.InsecureSkipVerify != cur.InsecureSkipVerify
	if reconnect {
		resetConnection(&next)
	}
	return update{next: &next, creds: creds, reconnect: reconnect}, nil
}

// resetConnection forgets the last test result: it described another address or account.
func resetConnection(in *instance) {
	in.ConnectionStatus = statusColumn(instancev1.ConnectionStatus_CONNECTION_STATUS_UNKNOWN)
	in.ConnectionMessage = "connection settings changed: not tested since"
	in.Version, in.Revision, in.SystemName, in.ServerTimeZone = "", "", "", ""
	in.LastConnectionTest.Valid = false
}
