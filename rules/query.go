package rules

// Force is the parsed force query parameter.
type Force int8

const (
	// ForceNone means no forcing (absent, empty or any other value).
	ForceNone Force = iota
	// ForceMain is force=1: always the main mapping.
	ForceMain
	// ForceFallback is force=-1: the fallback mapping when the rate is below 100.
	ForceFallback
)

// Route says which family of URL a query came from.
type Route int8

const (
	// RouteXML is /update/N/... (update.xml).
	RouteXML Route = iota
	// RouteJSON is /json/N/... (update.json).
	RouteJSON
)

// Query is the update query built from an update URL (public.md §3). Fields
// that may be absent, as opposed to empty, are pointers: nil means absent
// (or null where the spec says null).
type Query struct {
	Route        Route
	QueryVersion int // the N of /update/N or /json/N

	Product     string
	Version     string
	BuildID     *string // absent on JSON routes
	BuildTarget string
	Locale      *string // absent on JSON routes
	Channel     string

	OSVersion      *string // "" on U1, absent on J1
	Distribution   *string // U3–U6 only
	DistVersion    *string // U3–U6 only
	InstructionSet *string // U6 only; nil also when unparsable
	Memory         *int    // U6 only; nil when absent or unparsable
	Jaws           *bool   // U6 only

	// HasSystemCapabilities is true on U6, where InstructionSet, Memory and
	// Jaws are present even when null; elsewhere they are absent and the
	// instructionSet matcher uses "" instead.
	HasSystemCapabilities bool

	// HeaderArchitecture is "PPC" or "Intel" on XML routes and "" (absent)
	// on JSON routes.
	HeaderArchitecture string
	Force              Force
	Mig64              *bool   // nil when the parameter is absent
	Pin                *string // the raw pin parameter, nil when absent

	// Avast, PlatformVersion and IMEI are kept as given; nothing reads them.
	Avast           *int
	PlatformVersion *string
	IMEI            *string
}

// BadInputError is a client data error: the public role answers it with 400
// text/plain and the message, HTML-escaped (public.md §2.4 E3).
type BadInputError struct {
	Message string
}

func (e *BadInputError) Error() string { return e.Message }
