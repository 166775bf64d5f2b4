package dhis2

import (
	"context"
	"net/url"
	"strconv"
)

// DataValue is one aggregate value with the keys of the dataValueSets JSON
// (docs.dhis2.org data.md; dhis2-core DefaultDataValueSetService). Deleted is set only with includeDeleted.
type DataValue struct {
	DataElement          string `json:"dataElement"`
	Period               string `json:"period"`
	OrgUnit              string `json:"orgUnit"`
	CategoryOptionCombo  string `json:"categoryOptionCombo,omitempty"`
	AttributeOptionCombo string `json:"attributeOptionCombo,omitempty"`
	Value                string `json:"value"`
	StoredBy             string `json:"storedBy,omitempty"`
	Created              string `json:"created,omitempty"`
	LastUpdated          string `json:"lastUpdated,omitempty"`
	Comment              string `json:"comment,omitempty"`
	FollowUp             bool   `json:"followup,omitempty"`
	Deleted              bool   `json:"deleted,omitempty"`
}

// DataValueQuery selects data values (docs.dhis2.org data.md; dhis2-core DefaultDataValueSetService). DHIS2 needs a data set or
// data element group, a period window (Periods, StartDate+EndDate,
// LastUpdated or LastUpdatedDuration) and org units or org unit groups.
type DataValueQuery struct {
	DataSets            []string
	DataElementGroups   []string
	DataElements        []string
	Periods             []string
	StartDate, EndDate  string
	OrgUnits            []string
	OrgUnitGroups       []string
	Children            bool
	LastUpdated         string
	LastUpdatedDuration string
	IncludeDeleted      bool
	Limit               int
	IDScheme            string
	Extra               url.Values
}

func (q DataValueQuery) validate() error {
	const op = "export data values"
	if len(q.DataSets) == 0 && len(q.DataElementGroups) == 0 && len(q.DataElements) == 0 {
		return invalidInput(op, "no data set, data element group or data element: DHIS2 needs at least one to export data values")
	}
	if len(q.Periods) == 0 && (q.StartDate == "" || q.EndDate == "") && q.LastUpdated == "" && q.LastUpdatedDuration == "" {
		return invalidInput(op, "no period window: give periods, a start and end date, lastUpdated or lastUpdatedDuration")
	}
	if len(q.OrgUnits) == 0 && len(q.OrgUnitGroups) == 0 {
		return invalidInput(op, "no org unit: give org units (with children for a subtree) or org unit groups")
	}
	return nil
}

func (q DataValueQuery) values() url.Values {
	v := cloneValues(q.Extra)
	addAll(v, "dataSet", q.DataSets)
	addAll(v, "dataElementGroup", q.DataElementGroups)
	addAll(v, "dataElement", q.DataElements)
	addAll(v, "period", q.Periods)
	addAll(v, "orgUnit", q.OrgUnits)
	addAll(v, "orgUnitGroup", q.OrgUnitGroups)
	setIf(v, "startDate", q.StartDate)
	setIf(v, "endDate", q.EndDate)
	setIf(v, "lastUpdated", q.LastUpdated)
	setIf(v, "lastUpdatedDuration", q.LastUpdatedDuration)
	setIf(v, "idScheme", q.IDScheme)
	setBool(v, "children", q.Children)
	setBool(v, "includeDeleted", q.IncludeDeleted)
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	return v
}

// ExportDataValues streams GET /api/dataValueSets and calls fn for each
// value as it is decoded; memory does not grow with the number of values.
func (c *Client) ExportDataValues(ctx context.Context, q DataValueQuery, fn func(DataValue) error) error {
	if err := q.validate(); err != nil {
		return err
	}
	r := &request{op: "export data values", method: "GET", path: "dataValueSets", query: q.values(), class: classStream, idempotent: true}
	resp, err := c.do(ctx, r)
	if err != nil {
		return err
	}
	defer resp.Close()
	var fnErr error
	err = decodeDataValueSet(resp.body, func(dv DataValue) error {
		if err := fn(dv); err != nil {
			fnErr = err
			return errStopped
		}
		return nil
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return c.readError(r, resp, err)
	}
	return nil
}

func addAll(v url.Values, k string, vals []string) {
	for _, s := range vals {
		v.Add(k, s)
	}
}
