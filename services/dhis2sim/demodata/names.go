package demodata

import "strings"

// Vocabulary for names. Place names are built from syllables so that thousands of distinct, pronounceable
// names exist; health areas and measures follow the wording of WHO HMIS packages.

var placeSyllables = []string{
	"ka", "ma", "bo", "ne", "lu", "si", "ta", "ko", "ri", "ba", "nda", "ge", "mo", "fu", "la",
	"ye", "wa", "zi", "to", "mbe", "ru", "sa", "ki", "no", "da", "pe", "gu", "ha", "ji", "vo",
}

var firstNamesFemale = []string{
	"Aminata", "Fatmata", "Mariama", "Isatu", "Hawa", "Kadiatu", "Zainab", "Adama", "Salamatu", "Mabinty",
	"Grace", "Esther", "Ruth", "Naomi", "Sarah", "Awa", "Fanta", "Jeneba", "Christiana", "Yabom",
}

var firstNamesMale = []string{
	"Mohamed", "Ibrahim", "Abdul", "Alhaji", "Sorie", "Foday", "Musa", "Sahr", "Tamba", "Joseph",
	"John", "Samuel", "Emmanuel", "Daniel", "Augustine", "Alusine", "Bockarie", "Komba", "Lansana", "Osman",
}

var lastNames = []string{
	"Kamara", "Sesay", "Koroma", "Conteh", "Bangura", "Turay", "Kargbo", "Mansaray", "Jalloh", "Kanu",
	"Fofanah", "Bah", "Barrie", "Kallon", "Samura", "Massaquoi", "Lahai", "Keita", "Sankoh", "Musa",
	"Diallo", "Traore", "Ouedraogo", "Sawadogo", "Mensah", "Owusu", "Okafor", "Mwangi", "Banda", "Phiri",
}

// healthArea is one programme area of the aggregate HMIS: it gets a data set, a data element group, an
// indicator group and its share of the data elements.
type healthArea struct {
	code, name string
	// facilityTypes lists the facility types that report this data set (indexes into facilityTypes); nil means
	// every facility.
	facilityTypes []int
	measures      []string
}

var healthAreas = []healthArea{
	{code: "OPD", name: "Outpatient morbidity", measures: []string{
		"Malaria (suspected)", "Acute respiratory infection", "Diarrhoea without dehydration", "Diarrhoea with dehydration",
		"Pneumonia", "Skin infection", "Eye infection", "Ear infection", "Urinary tract infection", "Hypertension",
		"Diabetes", "Injuries (road traffic)", "Injuries (other)", "Anaemia", "Typhoid fever"}},
	{code: "MAL", name: "Malaria", measures: []string{
		"Suspected cases", "Cases tested by RDT", "Cases tested by microscopy", "Confirmed cases", "Cases treated with ACT",
		"Severe malaria cases", "Malaria deaths", "LLIN distributed", "IPTp1 doses given", "IPTp2 doses given",
		"IPTp3 doses given", "RDT kits used", "Referrals"}},
	{code: "ANC", name: "Maternal health", facilityTypes: []int{0, 1, 3}, measures: []string{
		"ANC 1st visit", "ANC 4th visit", "ANC 8th visit", "Deliveries by skilled attendant", "Live births",
		"Still births", "Caesarean sections", "Maternal deaths", "Postnatal care within 48h", "Low birth weight",
		"Syphilis tests", "Iron folate given", "Tetanus toxoid doses"}},
	{code: "EPI", name: "Immunization", measures: []string{
		"BCG doses given", "OPV0 doses given", "Penta1 doses given", "Penta3 doses given", "PCV1 doses given",
		"PCV3 doses given", "Rota1 doses given", "Measles 1 doses given", "Measles 2 doses given", "Yellow fever doses given",
		"Fully immunized children", "Vaccine doses wasted", "AEFI reported"}},
	{code: "HIV", name: "HIV", facilityTypes: []int{0, 1, 3}, measures: []string{
		"Tested for HIV", "Tested HIV positive", "Started on ART", "Currently on ART", "Viral load tests",
		"Viral load suppressed", "PMTCT tested", "PMTCT positive", "Infants tested by PCR", "Condoms distributed",
		"PrEP initiations", "Index contacts tested"}},
	{code: "TB", name: "Tuberculosis", facilityTypes: []int{0, 1}, measures: []string{
		"Presumptive TB cases", "Sputum smear tests", "GeneXpert tests", "Bacteriologically confirmed TB", "Clinically diagnosed TB",
		"TB cases started on treatment", "TB treatment success", "TB deaths", "TB/HIV co-infected", "Contacts screened"}},
	{code: "NUT", name: "Nutrition", measures: []string{
		"Children weighed", "Underweight children", "MUAC screened", "MUAC red (SAM)", "MUAC yellow (MAM)",
		"Vitamin A doses", "Deworming doses", "Exclusive breastfeeding at 6 months", "SAM admissions", "SAM cured"}},
	{code: "FP", name: "Family planning", measures: []string{
		"New acceptors", "Continuing users", "Oral pills cycles", "Injectables doses", "Implants inserted",
		"IUD inserted", "Condoms given", "Emergency contraception", "FP counselling sessions"}},
	{code: "CH", name: "Child health", measures: []string{
		"Under-5 consultations", "Under-5 malaria treated", "Under-5 pneumonia treated", "ORS and zinc given",
		"Growth monitoring sessions", "Newborn visits", "Neonatal deaths", "Under-5 deaths", "Children referred"}},
	{code: "MED", name: "Essential medicines", measures: []string{
		"ACT stock on hand", "Amoxicillin stock on hand", "ORS stock on hand", "Oxytocin stock on hand", "Paracetamol stock on hand",
		"Cotrimoxazole stock on hand", "RDT stock on hand", "Days out of stock", "Quantity received", "Quantity dispensed"}},
}

// qualifiers multiply the measures of an area into distinct data elements when a scale asks for more.
var qualifiers = []string{
	"", "new", "follow-up", "referred in", "referred out", "community", "outreach", "public sector",
	"private sector", "urban", "rural", "under 1 year", "pregnant women", "adolescents", "elderly",
}

// facilityTypes and their share of facilities, in percent.
var facilityTypes = []struct {
	name, short string
	share       int
}{
	{"Hospital", "Hosp", 5}, {"Health Centre", "HC", 30}, {"Health Post", "HP", 45}, {"Clinic", "CL", 20},
}

var facilityOwnerships = []string{"Public", "Private", "Faith-based"}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// shorten keeps s within DHIS2's 50-character shortName limit; a truncated name gets the object's code so
// that it stays unique.
func shorten(s, code string) string {
	if len(s) <= 50 {
		return s
	}
	keep := 50 - len(code) - 1
	return strings.TrimSpace(s[:keep]) + " " + code
}
