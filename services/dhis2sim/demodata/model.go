package demodata

// The model is the plan of a dataset: every object that streams or Metadata() need, with its UID and the
// choices (names, value types, assignments) already made. Metadata() renders it as DHIS2 JSON; the streams
// read it to stay consistent with the metadata.
type model struct {
	orgUnits    []orgUnit
	levelStart  [5]int // index of the first org unit of each level (1-4); levelStart[0] unused
	facilities  []int  // indexes of level-4 org units
	ouGroups    []ouGroup
	ouGroupSets []ouGroupSet

	catOptions []named
	categories []category
	combos     []catCombo
	optionSets []optionSet

	dataElements []dataElement
	areaElements [][]int // aggregate data elements per health area
	dataSets     []dataSet
	indicators   []indicator
	periods      []string                  // monthly periods with data values, oldest first
	periodStamps [][timeVariants][2]string // created/lastUpdated variants per period

	users      []user
	userGroups [][]int // members per user group
	usernames  []string

	eventProgram     program
	trackerProgram   program
	stages           []stage
	attributes       []attribute
	personType       named
	relationshipType named

	relationshipCount int
	trackerEventCount int
	// eventsPerEntity holds, per tracked entity, how many tracker events it has (1-3), packed two bits each.
	eventsPerEntity []uint64
}

type named struct{ uid, code, name, shortName string }

type orgUnit struct {
	named
	level    int
	parent   int // index, -1 for the root
	path     string
	opening  string
	facType  int // facility type (level 4 only)
	owner    int
	rural    bool
	placeKey string
}

type ouGroup struct {
	named
	members []int
}

type ouGroupSet struct {
	named
	groups []int
}

type category struct {
	named
	options []int
}

type catCombo struct {
	named
	categories []int
	cocs       []coc
}

type coc struct {
	uid, name string
	options   []int
}

type optionSet struct {
	named
	valueType string
	options   []named
}

// Value types the generator knows how to fill.
const (
	vtIntZeroPos = "INTEGER_ZERO_OR_POSITIVE"
	vtIntPos     = "INTEGER_POSITIVE"
	vtInt        = "INTEGER"
	vtNumber     = "NUMBER"
	vtPercentage = "PERCENTAGE"
	vtText       = "TEXT"
	vtBoolean    = "BOOLEAN"
	vtTrueOnly   = "TRUE_ONLY"
	vtDate       = "DATE"
	vtPhone      = "PHONE_NUMBER"
)

type dataElement struct {
	named
	valueType string
	aggType   string
	tracker   bool
	combo     int // index into combos, -1 for the default combo
	optionSet int // index into optionSets, -1 for none
	area      int // health area of an aggregate element
	zeroSig   bool
}

type dataSet struct {
	named
	area     int
	elements []int
	ous      []int // org unit indexes (facilities)
	sections []section
	// Data value plan (see datavalues.go).
	cells   []cell
	periods int
	blocks  uint64 // periods × org units: one block is one monthly report of one facility
	values  uint64 // values this data set contributes
	reports uint64 // blocks that carry at least one value
	order   perm   // ranks blocks; blocks ranked below reports are reported
}

type section struct {
	named
	elements []int
}

type indicator struct {
	named
	area                   int
	numerator, denominator string
	numDesc, denDesc       string
	indicatorType          int
}

type user struct {
	named
	firstName, surname string
	roles              []int
	groups             []int
	orgUnits           []int
}

type program struct {
	named
	withRegistration bool
	stages           []int
	ous              []int
}

type stage struct {
	named
	program    int // 0 event program, 1 tracker program
	repeatable bool
	elements   []int // data element indexes
	sortOrder  int
}

type attribute struct {
	named
	valueType string
	optionSet int
	unique    bool
}

func (g *Generator) buildModel() *model {
	m := &model{}
	g.buildOrgUnits(m)
	g.buildCategories(m)
	g.buildOptionSets(m)
	g.buildDataElements(m)
	g.buildDataSets(m)
	g.buildIndicators(m)
	g.buildUsers(m)
	g.buildPrograms(m)
	g.planDataValues(m)
	g.planTracker(m)
	return m
}

// pick returns an index in [0, n) for a hash.
func pick(h uint64, n int) int { return int(h % uint64(n)) }
