package instanceregistry

import (
	"database/sql"
	"strings"
	"time"

	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
)

// Auth types as stored in the auth_type column.
const (
	authBasic = "basic"
	authToken = "token"
)

// instance is one row of registry.instances. Secret is the sealed password or token (secretbox format); it
// never leaves the package except decrypted through GetCredentials.
type instance struct {
	ID                 string       `db:"id"`
	Name               string       `db:"name"`
	Description        string       `db:"description"`
	BaseURL            string       `db:"base_url"`
	AuthType           string       `db:"auth_type"`
	Username           string       `db:"username"`
	Secret             []byte       `db:"secret"`
	SecretKeyID        string       `db:"secret_key_id"`
	IsSource           bool         `db:"is_source"`
	IsDestination      bool         `db:"is_destination"`
	Active             bool         `db:"active"`
	InsecureSkipVerify bool         `db:"insecure_skip_verify"`
	Version            string       `db:"version"`
	Revision           string       `db:"revision"`
	SystemName         string       `db:"system_name"`
	ServerTimeZone     string       `db:"server_time_zone"`
	ConnectionStatus   string       `db:"connection_status"`
	ConnectionMessage  string       `db:"connection_message"`
	LastConnectionTest sql.NullTime `db:"last_connection_test"`
	CreateTime         time.Time    `db:"create_time"`
	UpdateTime         time.Time    `db:"update_time"`
}

// credentials are what a DHIS2 client needs; exactly one of Password (with Username) or Token is used.
type credentials struct {
	Username, Password, Token string
}

// connectionResult is the outcome of one connection test, as recorded on the instance.
type connectionResult struct {
	Status         instancev1.ConnectionStatus
	Message        string
	Version        string
	Revision       string
	SystemName     string
	ServerTimeZone string
	ServerDate     string
	Latency        time.Duration
	Time           time.Time
}

// statusColumn is how a ConnectionStatus is stored: its proto name without prefix, in lower case ("ok",
// "login_redirect"), so the table reads well and survives renumbering.
func statusColumn(s instancev1.ConnectionStatus) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "CONNECTION_STATUS_"))
}

func statusFromColumn(s string) instancev1.ConnectionStatus {
	if v, ok := instancev1.ConnectionStatus_value["CONNECTION_STATUS_"+strings.ToUpper(s)]; ok {
		return instancev1.ConnectionStatus(v)
	}
	return instancev1.ConnectionStatus_CONNECTION_STATUS_UNKNOWN
}
