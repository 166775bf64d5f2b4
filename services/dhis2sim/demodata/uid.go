package demodata

// DHIS2's built-in default category model. Metadata() references these objects where DHIS2 would and never
// exports them (the export is taken with defaults=EXCLUDE), so every DHIS2 server already has them.
const (
	DefaultCategoryCombo       = "bjDvmb4bfuf"
	DefaultCategory            = "GLevLNI9wkl"
	DefaultCategoryOption      = "xYerKDKCefk"
	DefaultCategoryOptionCombo = "HllvX50cXC0"
)

// kind names a family of generated objects; with an index it identifies one object, and so one UID.
type kind uint64

const (
	kindOrgUnit kind = iota + 1
	kindOrgUnitLevel
	kindOrgUnitGroup
	kindOrgUnitGroupSet
	kindCategoryOption
	kindCategory
	kindCategoryCombo
	kindCategoryOptionCombo
	kindOptionSet
	kindOption
	kindDataElement
	kindDataElementGroup
	kindIndicatorType
	kindIndicator
	kindIndicatorGroup
	kindDataSet
	kindSection
	kindValidationRule
	kindLegendSet
	kindLegend
	kindUser
	kindUserRole
	kindUserGroup
	kindProgram
	kindProgramStage
	kindProgramStageDataElement
	kindTrackedEntityType
	kindTrackedEntityTypeAttribute
	kindTrackedEntityAttribute
	kindProgramTrackedEntityAttribute
	kindProgramRuleVariable
	kindProgramRule
	kindProgramRuleAction
	kindRelationshipType
	kindVisualization
	kindMap
	kindMapView
	kindDashboard
	kindDashboardItem
	kindEvent
	kindTrackedEntity
	kindEnrollment
	kindTrackerEvent
	kindRelationship
)

const (
	uidLetters  = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	uidAlphabet = "0123456789" + uidLetters
)

// uid returns the UID of object (k, index) for this generator's seed, in DHIS2 CodeGenerator form
// ([a-zA-Z][a-zA-Z0-9]{10}). The value kind<<40|index is unique per object; XOR with a seed key and mix64 are
// bijections; and the encoding is injective because 52*62^10 > 2^64. So UIDs never collide within a dataset.
func (g *Generator) uid(k kind, index int) string {
	v := mix64((uint64(k)<<40 | uint64(index)&(1<<40-1)) ^ g.key)
	var b [11]byte
	b[0] = uidLetters[v%52]
	v /= 52
	for i := 1; i < len(b); i++ {
		b[i] = uidAlphabet[v%62]
		v /= 62
	}
	return string(b[:])
}
