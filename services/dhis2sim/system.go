package dhis2sim

import (
	"net/http"
	"strings"
)

// systemID is the simulated instance's systemId (a UUID, as DHIS2 generates).
const systemID = "eed3d451-4ff5-4193-b951-ffcc68954299"

func (s *Server) routeSystem(q *req, segs []string) {
	if q.r.Method != http.MethodGet || len(segs) < 2 {
		s.unmodelled(q.w, q.r)
		return
	}
	switch {
	case segs[1] == "info" && len(segs) == 2:
		s.handleSystemInfo(q)
	case segs[1] == "ping" && len(segs) == 2:
		q.w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
		q.w.WriteHeader(http.StatusOK)
		_, _ = q.w.Write([]byte("pong"))
	case segs[1] == "context" && len(segs) == 2:
		writeJSON(q.w, http.StatusOK, map[string]string{"contextPath": baseURL(q.r), "userAgent": q.r.UserAgent()})
	case segs[1] == "tasks" && len(segs) == 4:
		s.handleTaskNotifications(q, segs[2], segs[3])
	case segs[1] == "tasks" && len(segs) == 3:
		s.handleTaskCategory(q, segs[2])
	case segs[1] == "taskSummaries" && len(segs) == 4:
		s.handleTaskSummary(q, segs[2], segs[3])
	default:
		s.unmodelled(q.w, q.r)
	}
}

// handleSystemInfo serves /api/system/info (dhis2-core SystemController#getSystemInfo). The metadata-sync flag is "metadataSyncEnabled" up to
// 2.41 (getter isMetadataSyncEnabled) and "isMetadataSyncEnabled" on 2.42 (@JsonProperty on the field).
// Non-superusers get the reduced form: clearSensitiveInfo()/withoutSensitiveInfo() null these fields and
// nulls are omitted.
func (s *Server) handleSystemInfo(q *req) {
	now := s.now()
	o := &orderedObject{}
	o.set("contextPath", baseURL(q.r)).
		set("userAgent", q.r.UserAgent()).
		set("calendar", "iso8601").
		set("dateFormat", "yyyy-mm-dd").
		set("serverDate", formatTime(now)).
		set("serverTimeZoneId", "Etc/UTC").
		set("serverTimeZoneDisplayName", "Coordinated Universal Time").
		set("lastAnalyticsTableSuccess", "2024-01-01T02:00:00.000").
		set("intervalSinceLastAnalyticsTableSuccess", "0 h, 0 m, 0 s").
		set("lastAnalyticsTableRuntime", "1 m, 2 s").
		set("lastSystemMonitoringSuccess", "2024-01-01T02:00:00.000").
		set("version", s.version.String()).
		set("revision", "a1b2c3d").
		set("buildTime", "2024-01-01T00:00:00.000").
		set("jasperReportsVersion", "6.20.0").
		set("environmentVariable", "DHIS2_HOME")
	super := q.account.Superuser
	if super {
		o.set("fileStoreProvider", "filesystem").
			set("readOnlyMode", "off").
			set("nodeId", "dhis2sim").
			set("javaVersion", "17.0.9").
			set("javaVendor", "Eclipse Adoptium").
			set("javaOpts", "-Xms2g -Xmx4g").
			set("osName", "Linux").
			set("osArchitecture", "amd64").
			set("osVersion", "6.1.0").
			set("externalDirectory", "/opt/dhis2").
			set("databaseInfo", map[string]any{"type": "PostgreSQL", "name": "dhis2", "user": "dhis",
				"url": "jdbc:postgresql:dhis2", "spatialSupport": true, "databaseVersion": "PostgreSQL 14.10"}).
			set("readReplicaCount", 0).
			set("memoryInfo", "Mem Total in JVM: 4096 Free in JVM: 2048 Max Limit: 4096").
			set("cpuCores", 4)
	} else {
		o.set("databaseInfo", map[string]any{"spatialSupport": true})
	}
	o.set("encryption", false).
		set("emailConfigured", false).
		set("redisEnabled", false).
		set("systemId", systemID).
		set("systemName", "DHIS 2 Simulator").
		set("instanceBaseUrl", baseURL(q.r)).
		set("clusterHostname", "").
		set("isMetadataVersionEnabled", true)
	if super {
		o.set("systemMonitoringUrl", "")
	}
	if s.version.AtLeast(42) {
		o.set("isMetadataSyncEnabled", false)
	} else {
		o.set("metadataSyncEnabled", false)
	}
	if s.version.AtLeast(42) && q.r.URL.Query().Get("fields") != "" {
		// 2.42 field-filters system info; only plain top-level names are modelled.
		want := map[string]bool{}
		for _, f := range strings.Split(q.r.URL.Query().Get("fields"), ",") {
			want[strings.TrimSpace(f)] = true
		}
		if !want["*"] {
			f := &orderedObject{}
			for i, k := range o.keys {
				if want[k] {
					f.set(k, o.vals[i])
				}
			}
			o = f
		}
	}
	writeJSON(q.w, http.StatusOK, o)
}

func (s *Server) handleMe(q *req) {
	auth := []string{"ALL"}
	if !q.account.Superuser {
		auth = []string{"M_dhis-web-dashboard"}
	}
	writeJSON(q.w, http.StatusOK, map[string]any{
		"id": s.userUID(q.account.Username), "username": q.account.Username, "name": q.account.Username,
		"displayName": q.account.Username, "authorities": auth,
	})
}

// userUID is the UID of the stored user with that username (the demo replaces the seeded admin), or the
// seeded admin's UID for accounts that exist only as credentials (Options.Users).
func (s *Server) userUID(username string) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, u := range s.meta.list("users") {
		name, _ := u["username"].(string)
		if uc, ok := u["userCredentials"].(map[string]any); ok && name == "" {
			name, _ = uc["username"].(string)
		}
		if name == username {
			id, _ := u["id"].(string)
			return id
		}
	}
	return adminUID
}
