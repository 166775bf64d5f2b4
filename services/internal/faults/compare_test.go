//go:build faults

package faults

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// dhis2 reads a simulated DHIS2 over its Web API as its superuser, independently of dhis2sync's client.
type dhis2 struct{ url string }

func (d dhis2) get(path string, out any) error {
	req, err := http.NewRequest(http.MethodGet, d.url+path, nil)
	if err != nil {
		return err
	}
	req.SetBasicAuth("admin", "district")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: HTTP %d: %.300s", path, resp.StatusCode, b)
	}
	return json.Unmarshal(b, out)
}

type object struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Authorities []string `json:"authorities"`
	UserRoles   []struct {
		ID string `json:"id"`
	} `json:"userRoles"`
	UserCredentials *struct {
		UserRoles []struct {
			ID string `json:"id"`
		} `json:"userRoles"`
	} `json:"userCredentials"`
}

// metadata returns every metadata object by type, then by UID.
func (d dhis2) metadata() (map[string]map[string]object, error) {
	var raw map[string]json.RawMessage
	if err := d.get("/api/metadata?fields=id,name,authorities,userRoles[id],userCredentials[userRoles[id]]", &raw); err != nil {
		return nil, err
	}
	out := map[string]map[string]object{}
	for typ, msg := range raw {
		var list []object
		if json.Unmarshal(msg, &list) != nil {
			continue // "system" and other non-list entries
		}
		byID := map[string]object{}
		for _, o := range list {
			byID[o.ID] = o
		}
		out[typ] = byID
	}
	return out, nil
}

type dataValue struct {
	DataElement          string `json:"dataElement"`
	Period               string `json:"period"`
	OrgUnit              string `json:"orgUnit"`
	CategoryOptionCombo  string `json:"categoryOptionCombo"`
	AttributeOptionCombo string `json:"attributeOptionCombo"`
	Value                string `json:"value"`
}

// dataValues exports every data value of the source's data sets and root org units from 1970 to five years
// ahead (dhis2sync reads the whole history when no period is filtered). It returns the values by key and the
// number of rows (duplicates included).
func (d dhis2) dataValues(dataSets, roots []string) (map[string]string, int, error) {
	y := time.Now().UTC().Year()
	q := url.Values{"children": {"true"}, "startDate": {"1970-01-01"}, "endDate": {fmt.Sprintf("%04d-12-31", y+5)}}
	q["dataSet"], q["orgUnit"] = dataSets, roots
	var set struct {
		DataValues []dataValue `json:"dataValues"`
	}
	if err := d.get("/api/dataValueSets?"+q.Encode(), &set); err != nil {
		return nil, 0, err
	}
	out := map[string]string{}
	for _, dv := range set.DataValues {
		out[strings.Join([]string{dv.DataElement, dv.Period, dv.OrgUnit, dv.CategoryOptionCombo, dv.AttributeOptionCombo}, "|")] = dv.Value
	}
	return out, len(set.DataValues), nil
}

// snapshot is what a destination held before the job: the objects every DHIS2 starts with.
type snapshot map[string]map[string]object

// compareScope limits a comparison to some metadata types (nil: every type) and says whether data values count.
type compareScope struct {
	types      map[string]bool
	dataValues bool
}

// compare is the independent check of a row: every source object is on the destination under its UID (the
// source's superusers and superuser roles excepted, which dhis2sync never copies, and "default" objects, which
// every DHIS2 has under its own UID), the destination holds nothing it did not hold before that is not on the
// source (a duplicate would be a second object under a new UID), and the data values match key by key with no
// key twice. It returns the problems found, empty when the copy is faithful.
func compare(src, dst dhis2, before snapshot, scope compareScope) ([]string, error) {
	sm, err := src.metadata()
	if err != nil {
		return nil, fmt.Errorf("source metadata: %w", err)
	}
	dm, err := dst.metadata()
	if err != nil {
		return nil, fmt.Errorf("destination metadata: %w", err)
	}
	superRoles := map[string]bool{}
	for id, r := range sm["userRoles"] {
		for _, a := range r.Authorities {
			if a == "ALL" {
				superRoles[id] = true
			}
		}
	}
	isSuper := func(typ string, o object) bool {
		switch typ {
		case "userRoles":
			return superRoles[o.ID]
		case "users":
			roles := o.UserRoles
			if o.UserCredentials != nil {
				roles = append(roles, o.UserCredentials.UserRoles...)
			}
			for _, r := range roles {
				if superRoles[r.ID] {
					return true
				}
			}
		}
		return false
	}
	var problems []string
	types := map[string]bool{}
	for typ := range sm {
		types[typ] = true
	}
	for typ := range dm {
		types[typ] = true
	}
	for typ := range types {
		if scope.types != nil && !scope.types[typ] {
			continue
		}
		hasDefault := false
		for _, o := range dm[typ] {
			hasDefault = hasDefault || o.Name == "default"
		}
		var missing, extra []string
		for id, o := range sm[typ] {
			if _, ok := dm[typ][id]; !ok && !isSuper(typ, o) && !(o.Name == "default" && hasDefault) {
				missing = append(missing, id)
			}
		}
		for id := range dm[typ] {
			if _, ok := sm[typ][id]; !ok {
				if _, pre := before[typ][id]; !pre {
					extra = append(extra, id)
				}
			}
		}
		if len(missing) > 0 {
			problems = append(problems, fmt.Sprintf("%s: %d missing on the destination (%s)", typ, len(missing), sample(missing)))
		}
		if len(extra) > 0 {
			problems = append(problems, fmt.Sprintf("%s: %d on the destination that the source does not have (%s)", typ, len(extra), sample(extra)))
		}
	}
	if !scope.dataValues {
		return problems, nil
	}
	var dataSets, roots []string
	for id := range sm["dataSets"] {
		dataSets = append(dataSets, id)
	}
	var ous struct {
		OrganisationUnits []object `json:"organisationUnits"`
	}
	if err := src.get("/api/organisationUnits?fields=id&paging=false&filter=level:eq:1", &ous); err != nil {
		return nil, err
	}
	for _, o := range ous.OrganisationUnits {
		roots = append(roots, o.ID)
	}
	sv, _, err := src.dataValues(dataSets, roots)
	if err != nil {
		return nil, fmt.Errorf("source data values: %w", err)
	}
	if len(sv) == 0 {
		return nil, fmt.Errorf("the source has no data values to compare")
	}
	dv, rows, err := dst.dataValues(dataSets, roots)
	if err != nil {
		return nil, fmt.Errorf("destination data values: %w", err)
	}
	if rows != len(dv) {
		problems = append(problems, fmt.Sprintf("dataValues: the destination exports %d rows for %d keys", rows, len(dv)))
	}
	var missing, wrong, extra []string
	for k, v := range sv {
		got, ok := dv[k]
		switch {
		case !ok:
			missing = append(missing, k)
		case got != v:
			wrong = append(wrong, k)
		}
	}
	for k := range dv {
		if _, ok := sv[k]; !ok {
			extra = append(extra, k)
		}
	}
	for _, p := range []struct {
		what string
		keys []string
	}{{"missing on the destination", missing}, {"with another value", wrong}, {"on the destination only", extra}} {
		if len(p.keys) > 0 {
			problems = append(problems, fmt.Sprintf("dataValues: %d of %d %s (%s)", len(p.keys), len(sv), p.what, sample(p.keys)))
		}
	}
	return problems, nil
}

func sample(ids []string) string {
	sort.Strings(ids)
	if len(ids) > 3 {
		return strings.Join(ids[:3], ", ") + ", …"
	}
	return strings.Join(ids, ", ")
}
