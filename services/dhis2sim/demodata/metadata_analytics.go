package demodata

import "fmt"

const (
	maxMaps            = 3
	maxChartElements   = 3
	maxPivotIndicators = 5
	dashboardColumns   = 2
	itemWidth          = 29
	itemHeight         = 20
)

// analyticsMetadata writes two visualizations per data set (a monthly trend of its first elements and a pivot
// table of its indicators by region), choropleth maps of the first indicators, and dashboards: a national
// overview and one per data set.
func (g *Generator) analyticsMetadata(out map[string][]map[string]any) {
	m := g.m
	national := []any{ref(m.orgUnits[0].uid)}
	dxItem := func(isIndicator bool, uid string) object {
		if isIndicator {
			return object{"dataDimensionItemType": "INDICATOR", "indicator": ref(uid)}
		}
		return object{"dataDimensionItemType": "DATA_ELEMENT", "dataElement": ref(uid)}
	}
	indicatorsOf := func(area int) []string {
		var uids []string
		for _, ind := range m.indicators {
			if ind.area == area {
				uids = append(uids, ind.uid)
			}
		}
		return uids
	}
	type vizRef struct {
		uid   string
		isMap bool
	}
	var perDataSet [][]vizRef
	vi := 0
	addViz := func(name, typ string, items []any, cols, rows, filters []any, levels []any) string {
		uid := g.uid(kindVisualization, vi)
		o := g.shareable(g.identifiable(kindVisualization, vi, named{uid: uid, name: name}), false)
		o["type"] = typ
		o["dataDimensionItems"] = items
		o["columnDimensions"], o["rowDimensions"], o["filterDimensions"] = cols, rows, filters
		o["rawPeriods"] = []any{"LAST_12_MONTHS"}
		o["organisationUnits"] = national
		if levels != nil {
			o["organisationUnitLevels"] = levels
		}
		o["aggregationType"] = "DEFAULT"
		o["digitGroupSeparator"] = "SPACE"
		o["displayDensity"] = "NORMAL"
		o["fontSize"] = "NORMAL"
		o["showData"] = true
		o["hideEmptyRows"] = false
		o["rowTotals"], o["colTotals"] = false, false
		out["visualizations"] = append(out["visualizations"], o)
		vi++
		return uid
	}
	for _, ds := range m.dataSets {
		area := healthAreas[ds.area]
		var items []any
		for _, e := range ds.elements[:min(maxChartElements, len(ds.elements))] {
			items = append(items, dxItem(false, m.dataElements[e].uid))
		}
		trend := addViz(area.name+": monthly trend", "LINE", items, []any{"dx"}, []any{"pe"}, []any{"ou"}, nil)
		refs := []vizRef{{uid: trend}}
		if inds := indicatorsOf(ds.area); len(inds) > 0 {
			var items []any
			for _, uid := range inds[:min(maxPivotIndicators, len(inds))] {
				items = append(items, dxItem(true, uid))
			}
			pivot := addViz(area.name+": indicators by region", "PIVOT_TABLE", items, []any{"dx"}, []any{"ou"}, []any{"pe"}, []any{2})
			refs = append(refs, vizRef{uid: pivot})
		}
		perDataSet = append(perDataSet, refs)
	}

	var maps []vizRef
	for i, ind := range m.indicators[:min(maxMaps, len(m.indicators))] {
		uid := g.uid(kindMap, i)
		o := g.shareable(g.identifiable(kindMap, i, named{uid: uid, name: ind.shortName + " by district"}), false)
		o["basemap"] = "osmLight"
		o["latitude"], o["longitude"], o["zoom"] = 8.5, -11.8, 7
		o["mapViews"] = []any{object{
			"id": g.uid(kindMapView, i), "layer": "thematic1", "thematicMapType": "CHOROPLETH",
			"legendSet": ref(g.uid(kindLegendSet, legendCoverage)), "classes": 5, "method": 2,
			"colorLow": "#ffffd4", "colorHigh": "#993404", "opacity": 0.9, "renderingStrategy": "SINGLE",
			"organisationUnitSelectionMode": "SELECTED", "aggregationType": "DEFAULT", "hidden": false, "labels": false,
			"dataDimensionItems":     []any{dxItem(true, ind.uid)},
			"columnDimensions":       []any{"dx"},
			"filterDimensions":       []any{"pe"},
			"rawPeriods":             []any{"LAST_12_MONTHS"},
			"organisationUnits":      national,
			"organisationUnitLevels": []any{3},
		}}
		out["maps"] = append(out["maps"], o)
		maps = append(maps, vizRef{uid: uid, isMap: true})
	}

	itemIndex := 0
	addDashboard := func(i int, name, code string, items []vizRef) {
		if len(items) == 0 {
			return
		}
		uid := g.uid(kindDashboard, i)
		o := g.shareable(g.identifiable(kindDashboard, i, named{uid: uid, name: name, code: code}), false)
		o["restrictFilters"] = false
		var dis []any
		for k, it := range items {
			created, updated := g.stamps(kindDashboardItem, itemIndex)
			di := object{
				"id": g.uid(kindDashboardItem, itemIndex), "created": created, "lastUpdated": updated,
				"x": (k % dashboardColumns) * itemWidth, "y": (k / dashboardColumns) * itemHeight,
				"width": itemWidth, "height": itemHeight, "shape": "NORMAL",
			}
			if it.isMap {
				di["map"] = ref(it.uid)
			} else {
				di["visualization"] = ref(it.uid)
			}
			dis = append(dis, di)
			itemIndex++
		}
		o["dashboardItems"] = dis
		out["dashboards"] = append(out["dashboards"], o)
	}
	overview := append([]vizRef(nil), maps...)
	for _, refs := range perDataSet {
		overview = append(overview, refs[0])
	}
	addDashboard(0, "National HMIS overview", "DB_OVERVIEW", overview)
	for d, refs := range perDataSet {
		area := healthAreas[m.dataSets[d].area]
		addDashboard(d+1, area.name, fmt.Sprintf("DB_%s", area.code), refs)
	}
}
