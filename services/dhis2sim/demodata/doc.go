// Package demodata generates a deterministic demo dataset shaped like a national HMIS (health management
// information system), for the DHIS2 simulator, demos, tests and benchmarks.
//
// The same seed and Scale always give the same dataset, byte for byte; a different seed gives different UIDs,
// names, assignments and values. Nothing depends on the clock: every timestamp is relative to a base date
// derived from the seed (a day of 2025, see Generator.BaseTime).
//
// # Metadata
//
// Metadata() returns what GET /api/metadata?fields=:owner&defaults=EXCLUDE returns on DHIS2 2.41, keyed by the
// DHIS2 plural type name. Only 2.41 owner properties are used (testdata/schemas-2.41.json is checked in the
// tests); references are {"id": uid}; owned embedded objects (dataSetElements, programStageDataElements,
// programTrackedEntityAttributes, trackedEntityTypeAttributes, legends, mapViews, dashboardItems) are inline;
// shareable types carry a `sharing` object owned by the administrator (first user); users carry userRoles at
// the top level. DHIS2's default category model is referenced by its real UIDs and never exported.
//
//   - Org units: four levels (national, regions, districts, facilities) sized from Scale.OrgUnits, with parent,
//     path, level, openingDate and unique names, short names and codes; organisationUnitLevels; three group
//     sets (facility type, ownership, rural/urban) that partition the facilities.
//   - Category model: Sex, Age (<5, 5-14, 15+) and Location (fixed/outreach) categories; combos "Sex",
//     "Age and sex" and "Location Fixed/Outreach" with every option combo ("Male, <5", …).
//   - Ten health areas (outpatient, malaria, maternal health, immunization, HIV, TB, nutrition, family
//     planning, child health, essential medicines). Scale.DataElements minus 18 tracker elements are
//     aggregate elements spread over the areas: mostly INTEGER_ZERO_OR_POSITIVE and NUMBER, some
//     INTEGER/INTEGER_POSITIVE/PERCENTAGE, stock status with an option set; a third default, the rest
//     disaggregated. Per area: a data element group, a monthly data set (with sections, assigned to the
//     facility types that report it), indicators (#{de} / #{de.coc} over #{de}), an indicator group,
//     validation rules, two visualizations and a dashboard. Legend sets, indicator types, choropleth maps.
//   - Users: an administrator, a data manager per region, data entry clerks for the first districts and TB
//     clerks; five user roles with authorities; four user groups.
//   - Programmes: "Malaria case register" (WITHOUT_REGISTRATION, one stage) and "TB case management"
//     (WITH_REGISTRATION on the Person type: diagnosis, repeatable follow-up and outcome stages; seven
//     attributes, one unique), option sets, program rule variables, rules and actions, and a bidirectional
//     "Household contact" relationship type.
//
// # Data
//
// The streams are iter.Seq values that compute each item from the seed and its index, so memory stays flat
// whatever the scale, and Counts() gives exact totals without iterating.
//
//   - DataValues: exactly Scale.DataValues values, only for elements of a data set × facilities assigned to
//     it × the last twelve complete months (more if the volume needs) × the element's option combos, with the
//     default attribute option combo. About 85% of facility-months report; a keyed permutation picks which,
//     and how many cells each report fills, so the total is exact. Values fit the value type and option set.
//     Order: data set, period, facility, form order. No allocation per value.
//   - Events: Scale.Events malaria cases at the event programme's facilities, in the year before the base
//     date, with mutually consistent values.
//   - TrackedEntities: Scale.TrackedEntities TB patients, each with every programme attribute, one enrollment
//     and 1-3 events (diagnosis, follow-up, outcome; three events means a completed enrollment).
//   - Relationships: one per five tracked entities, household contacts between disjoint pairs.
//
// UIDs are a bijective mix of (seed, object kind, index) encoded in DHIS2's CodeGenerator alphabet, so they
// are unique across the whole dataset by construction.
package demodata
