package extractor

import "github.com/dhis2sync/dhis2sync/services/internal/instanceclient"

// Clients resolves instance ids to DHIS2 clients (one shared implementation with the other DHIS2 service).
type Clients = instanceclient.Clients

// CredentialsGetter is the part of the instance registry the extractor needs.
type CredentialsGetter = instanceclient.CredentialsGetter
