package rules

// Rule is one row of Balrog's rules table. Nullable columns are pointers;
// an empty string is a value, not NULL.
type Rule struct {
	RuleID             int     `json:"rule_id"`
	Alias              *string `json:"alias"`
	Priority           *int    `json:"priority"`
	Mapping            *string `json:"mapping"`
	FallbackMapping    *string `json:"fallbackMapping"`
	BackgroundRate     *int    `json:"backgroundRate"`
	UpdateType         string  `json:"update_type"`
	Product            *string `json:"product"`
	Version            *string `json:"version"`
	Channel            *string `json:"channel"`
	BuildTarget        *string `json:"buildTarget"`
	BuildID            *string `json:"buildID"`
	Locale             *string `json:"locale"`
	OSVersion          *string `json:"osVersion"`
	InstructionSet     *string `json:"instructionSet"`
	Memory             *string `json:"memory"`
	Distribution       *string `json:"distribution"`
	DistVersion        *string `json:"distVersion"`
	HeaderArchitecture *string `json:"headerArchitecture"`
	Mig64              *bool   `json:"mig64"`
	Jaws               *bool   `json:"jaws"`
	Comment            *string `json:"comment"`
	DataVersion        int     `json:"data_version"`
}

// Shutoff is one row of the emergency_shutoffs table: updates for Product on
// Channel are switched off.
type Shutoff struct {
	Product     string  `json:"product"`
	Channel     string  `json:"channel"`
	Comment     *string `json:"comment"`
	DataVersion int     `json:"data_version"`
}

// Pin is one row of the pinnable_releases table. Version is the canonical pin
// string ("102." or "102.1.").
type Pin struct {
	Product     string `json:"product"`
	Channel     string `json:"channel"`
	Version     string `json:"version"`
	Mapping     string `json:"mapping"`
	DataVersion int    `json:"data_version"`
}
