// Package dhis2sim is an in-memory DHIS2 Web API for tests, demos and benchmarks, served by an
// httptest.Server (NewTestServer) or by the dhis2sim binary. It simulates DHIS2 2.36.x–2.42.x with the
// shapes, status codes, parameters and version differences of the real servers, so that the dhis2sync
// client is tested against an independent implementation of DHIS2 (the package does not import the client).
//
// The metadata model is data, not code: the /api/schemas of DHIS2 2.36, 2.37, 2.40 and 2.41 are embedded
// (schemas/*.json.gz) and decide which types exist in a version, their endpoints, klass names, owner
// properties (fields=:owner), references (E5002) and embedded objects; 2.38, 2.39 and 2.42 are derived from
// the nearest file (see rawModelsFor). Facts about DHIS2 cite their source in comments (dhis2-core classes, release notes,
// docs.dhis2.org pages; docs/dhis2-versions.md for version differences).
//
// Endpoints: /api/system/info|ping|tasks|taskSummaries, /api/me, /api/<type>[/{id}] for every metadata
// type, /api/metadata (GET and POST), /api/deletedObjects, /api/dataValueSets (GET and POST),
// /api/tracker (POST, jobs) and /api/tracker/{trackedEntities,enrollments,events,relationships}, the legacy
// /api/events, /api/trackedEntityInstances and /api/enrollments reads up to 2.41, and API-versioned
// /api/NN/... paths. Anything else answers DHIS2's 404 and is logged (or fails the test when Options.TB is
// set).
//
// Authentication: Basic (Options.Username/Password, default admin/district, plus Options.Users) and, from
// 2.37, "Authorization: ApiToken <Options.Token>". Wrong credentials get a 401 WebMessage; no credentials get
// a 302 to the login page, or 401 for XHR requests (X-Requested-With: XMLHttpRequest).
//
// A new server holds what every DHIS2 database starts with: the default category model, the "admin" account
// (Options.Username) and the Superuser role yrB6vc5Ip3r (authority ALL, private sharing). LoadDemo lets the
// demo's own admin and Superuser role replace them; ImportPackage installs a metadata package the way an
// administrator does, creating the org units and category combos it references but lacks.
//
// # Cost model
//
// Options.Cost adds server time per request: base + items·perItem, stretched by a contention factor when
// requests of the same class overlap (CostModel). ParseCostModel("2.41") returns the profile calibrated from
// the published DHIS2 measurements; CostModel.Estimate answers "how long would the simulated server need"
// without running anything.
//
// # Faults
//
// Faults are set with Options.Faults, Server.SetFaults, dhis2sim --faults, or at runtime through the admin
// endpoints outside /api (no authentication):
//
//	GET    /__sim/faults   active faults
//	POST   /__sim/faults   replace them (body: a spec, or {"spec":"..."})
//	DELETE /__sim/faults   remove them
//	GET    /__sim/stats    request counts per endpoint, items imported and exported
//
// A spec is a list of rules separated by ";":
//
//	ACTION[@[METHOD ]PATTERN][,after=N][,times=N][,p=P]
//
// ACTION is status=CODE (a WebMessage with that status), delay=DURATION (then the normal answer), drop (the
// connection is closed without a response), truncate (the normal answer cut in half, then the connection is
// closed) or html (a 200 HTML login page instead of JSON, as when a session expires behind a proxy).
// PATTERN is a glob over the URL path where "*" matches any run of characters; METHOD restricts the rule to
// one HTTP method. after=N lets the first N matching requests through, times=N fires at most N times and
// p=P fires with probability P, drawn from a generator seeded with Options.Seed, so runs are repeatable.
// The first rule that fires wins. Example:
//
//	status=503@/api/dataValueSets,after=2,times=1;delay=2s@POST /api/metadata;drop@/api/tracker/*,p=0.1
//
// # Conformance
//
// The simulator refuses what DHIS2 refuses: tracked-entity exports need org units or an org-unit mode
// (2.36–2.40) and a programme or type, select by programme ownership and ouMode; relationships are served
// per entity only; tracker imports validate content, never re-create deleted UIDs and refuse the children of
// refused objects (E5000); data values follow zeroIsSignificant and keep payload timestamps.
// TestConformance (conformance_test.go) holds one row per behaviour with its DHIS2 source, and
// docs/dhis2-conformance.md lists them.
//
// # Simplifications
//
// identifier=CODE/AUTO and idScheme other than UID are not modelled; inverse collections (for example
// dataElements.dataSetElements) are not computed on read; the default list order is insertion order;
// org unit hierarchy restrictions of non-superusers are not enforced.
package dhis2sim
