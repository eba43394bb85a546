package rules

import "encoding/json"

// MarshalJSON renders the query with the field names of Balrog's update
// query; absent fields are null.
func (q Query) MarshalJSON() ([]byte, error) {
	route := "update"
	if q.Route == RouteJSON {
		route = "json"
	}
	force := [...]string{ForceNone: "none", ForceMain: "main", ForceFallback: "fallback"}[q.Force]
	var arch *string
	if q.HeaderArchitecture != "" {
		arch = &q.HeaderArchitecture
	}
	return json.Marshal(struct {
		Route              string  `json:"route"`
		QueryVersion       int     `json:"queryVersion"`
		Product            string  `json:"product"`
		Version            string  `json:"version"`
		BuildID            *string `json:"buildID"`
		BuildTarget        string  `json:"buildTarget"`
		Locale             *string `json:"locale"`
		Channel            string  `json:"channel"`
		FallbackChannel    string  `json:"fallbackChannel"`
		OSVersion          *string `json:"osVersion"`
		Distribution       *string `json:"distribution"`
		DistVersion        *string `json:"distVersion"`
		InstructionSet     *string `json:"instructionSet"`
		Memory             *int    `json:"memory"`
		Jaws               *bool   `json:"jaws"`
		Mig64              *bool   `json:"mig64"`
		HeaderArchitecture *string `json:"headerArchitecture"`
		Force              string  `json:"force"`
		Pin                *string `json:"pin"`
	}{route, q.QueryVersion, q.Product, q.Version, q.BuildID, q.BuildTarget, q.Locale, q.Channel,
		FallbackChannel(q.Channel), q.OSVersion, q.Distribution, q.DistVersion, q.InstructionSet, q.Memory,
		q.Jaws, q.Mig64, arch, force, q.Pin})
}
