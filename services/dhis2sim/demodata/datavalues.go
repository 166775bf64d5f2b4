package demodata

import (
	"iter"
	"slices"
	"time"
)

// DataValue is one aggregate data value in the JSON shape of /api/dataValueSets (docs.dhis2.org data.md; dhis2-core DefaultDataValueSetService).
type DataValue struct {
	DataElement          string `json:"dataElement"`
	Period               string `json:"period"`
	OrgUnit              string `json:"orgUnit"`
	CategoryOptionCombo  string `json:"categoryOptionCombo"`
	AttributeOptionCombo string `json:"attributeOptionCombo"`
	Value                string `json:"value"`
	StoredBy             string `json:"storedBy"`
	Created              string `json:"created"`
	LastUpdated          string `json:"lastUpdated"`
	Comment              string `json:"comment,omitempty"`
	FollowUp             bool   `json:"followup"`
}

// cell is one field of a data set's form: a data element and one of its category option combos.
type cell struct {
	dataElement, coc string
	source           valueSource
}

// How data values are laid out. Each data set has blocks (one facility's report for one month) of S cells.
// A keyed permutation ranks the blocks; the first `reports` ranks are reported, and report r holds
// floor((r+1)V/R) - floor(rV/R) values, which sums to exactly V. Which cells a report fills is an arithmetic
// progression modulo S with a step coprime to S, so no two picks coincide. Nothing is stored per value.
const (
	defaultPeriods   = 12 // the last twelve complete months before the base date
	reportingPercent = 85 // share of facility-months that report, when the volume allows it
	timeVariants     = 64 // precomputed created/lastUpdated strings per period
)

var valueComments = []string{
	"Verified against the facility register", "Late report, entered by district", "Stock count done on last day of month",
	"Corrected after supervision visit", "Outreach session included",
}

// planDataValues chooses the number of periods and splits the scale's DataValues over the data sets in
// proportion to their capacity, so the total is exact.
func (g *Generator) planDataValues(m *model) {
	want := uint64(g.scale.DataValues)
	var perMonth uint64
	for i := range m.dataSets {
		ds := &m.dataSets[i]
		for _, e := range ds.elements {
			de := m.dataElements[e]
			cocs := []string{DefaultCategoryOptionCombo}
			if de.combo >= 0 {
				cocs = cocs[:0]
				for _, c := range m.combos[de.combo].cocs {
					cocs = append(cocs, c.uid)
				}
			}
			src := m.valueSourceFor(de)
			for _, c := range cocs {
				ds.cells = append(ds.cells, cell{dataElement: de.uid, coc: c, source: src})
			}
		}
		perMonth += uint64(len(ds.cells) * len(ds.ous))
	}
	periods := defaultPeriods
	for perMonth > 0 && perMonth*uint64(periods) < want {
		periods += defaultPeriods
	}
	m.periods = g.monthsBeforeBase(periods)
	m.periodStamps = g.periodStamps(m.periods)
	if perMonth == 0 {
		return
	}
	capacity := perMonth * uint64(periods)
	var before, assigned uint64
	for i := range m.dataSets {
		ds := &m.dataSets[i]
		ds.periods = periods
		ds.blocks = uint64(periods * len(ds.ous))
		c := ds.blocks * uint64(len(ds.cells))
		before += c
		ds.values = want*before/capacity - assigned
		assigned += ds.values
		if ds.values == 0 {
			continue
		}
		s := uint64(len(ds.cells))
		reports := min(max((ds.values+s-1)/s, min(ds.blocks*reportingPercent/100, ds.values)), ds.blocks)
		ds.reports = reports
		ds.order = newPerm(ds.blocks, hash3(g.key, uint64(kindDataSet), uint64(i)))
	}
}

// Periods returns the monthly periods (yyyyMM, oldest first) that hold data values.
func (g *Generator) Periods() []string { return append([]string(nil), g.m.periods...) }

// monthsBeforeBase returns the n complete months before the base date, oldest first.
func (g *Generator) monthsBeforeBase(n int) []string {
	out := make([]string, n)
	first := time.Date(g.base.Year(), g.base.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -n, 0)
	for i := range out {
		out[i] = first.AddDate(0, i, 0).Format("200601")
	}
	return out
}

// periodStamps precomputes, for each period, created/lastUpdated pairs: entered in the first three weeks
// after the month, sometimes edited later, never after the base date.
func (g *Generator) periodStamps(periods []string) [][timeVariants][2]string {
	out := make([][timeVariants][2]string, len(periods))
	for p, pe := range periods {
		month, _ := time.Parse("200601", pe)
		next := month.AddDate(0, 1, 0)
		for v := range timeVariants {
			h := hash3(g.key, uint64(p), uint64(v))
			created := next.Add(time.Duration(h%(21*86400))*time.Second + time.Duration(h>>48%1000)*time.Millisecond)
			updated := created
			if (h>>20)%4 == 0 {
				updated = created.Add(time.Duration((h>>24)%(30*86400)) * time.Second)
			}
			if !created.Before(g.base) {
				created = g.base.Add(-time.Duration(1+h%86400) * time.Second)
			}
			if updated.After(g.base) || updated.Before(created) {
				updated = created
			}
			out[p][v] = [2]string{formatTime(created), formatTime(updated)}
		}
	}
	return out
}

// coprimeSteps returns a few steps coprime to s, spread around the golden ratio of s.
func coprimeSteps(s int) []int {
	if s <= 2 {
		return []int{1}
	}
	var steps []int
	for c := s*618/1000 + 1; len(steps) < 8 && c < s+s*618/1000; c++ {
		if gcd(c%s, s) == 1 {
			steps = append(steps, c%s)
		}
	}
	return steps
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// DataValues streams every aggregate data value: data set by data set, then period, then facility, then form
// order. It allocates nothing per value.
func (g *Generator) DataValues() iter.Seq[DataValue] {
	return func(yield func(DataValue) bool) {
		m := g.m
		periods, stamps := m.periods, m.periodStamps
		users := m.usernames
		for d := range m.dataSets {
			ds := &m.dataSets[d]
			if ds.values == 0 {
				continue
			}
			s := uint64(len(ds.cells))
			steps := coprimeSteps(len(ds.cells))
			picks := make([]int, len(ds.cells))
			dsKey := hash2(g.key, uint64(d)<<32|0xda7a)
			for b := uint64(0); b < ds.blocks; b++ {
				r := ds.order.at(b)
				if r >= ds.reports {
					continue
				}
				n := int((r+1)*ds.values/ds.reports - r*ds.values/ds.reports)
				p := int(b) / len(ds.ous)
				ou := m.orgUnits[ds.ous[int(b)%len(ds.ous)]].uid
				bh := hash2(dsKey, b)
				chosen := picks[:n]
				if uint64(n) == s {
					for k := range chosen {
						chosen[k] = k
					}
				} else {
					start, step := bh%s, uint64(steps[(bh>>32)%uint64(len(steps))])
					for k := range chosen {
						chosen[k] = int((start + uint64(k)*step) % s)
					}
					slices.Sort(chosen)
				}
				storedBy := users[(bh>>40)%uint64(len(users))]
				for _, c := range chosen {
					vh := hash2(bh, uint64(c))
					ce := &ds.cells[c]
					st := &stamps[p][vh>>58]
					dv := DataValue{
						DataElement:          ce.dataElement,
						Period:               periods[p],
						OrgUnit:              ou,
						CategoryOptionCombo:  ce.coc,
						AttributeOptionCombo: DefaultCategoryOptionCombo,
						Value:                ce.source.value(vh),
						StoredBy:             storedBy,
						Created:              st[0],
						LastUpdated:          st[1],
						FollowUp:             (vh>>20)%500 == 0,
					}
					if (vh>>30)%200 == 0 {
						dv.Comment = valueComments[(vh>>40)%uint64(len(valueComments))]
					}
					if !yield(dv) {
						return
					}
				}
			}
		}
	}
}
