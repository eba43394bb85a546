package gormstore

import "github.com/balrog-go/balrog/rules"

// Row types map Balrog's tables for gorm. They stay inside this package;
// callers see the domain types of store and rules.

type ruleRow struct {
	RuleID             int     `gorm:"column:rule_id;primaryKey"`
	Alias              *string `gorm:"column:alias"`
	Priority           *int    `gorm:"column:priority"`
	Mapping            *string `gorm:"column:mapping"`
	FallbackMapping    *string `gorm:"column:fallbackMapping"`
	BackgroundRate     *int    `gorm:"column:backgroundRate"`
	UpdateType         string  `gorm:"column:update_type"`
	Product            *string `gorm:"column:product"`
	Version            *string `gorm:"column:version"`
	Channel            *string `gorm:"column:channel"`
	BuildTarget        *string `gorm:"column:buildTarget"`
	BuildID            *string `gorm:"column:buildID"`
	Locale             *string `gorm:"column:locale"`
	OSVersion          *string `gorm:"column:osVersion"`
	Memory             *string `gorm:"column:memory"`
	InstructionSet     *string `gorm:"column:instructionSet"`
	Jaws               *bool   `gorm:"column:jaws"`
	Mig64              *bool   `gorm:"column:mig64"`
	Distribution       *string `gorm:"column:distribution"`
	DistVersion        *string `gorm:"column:distVersion"`
	HeaderArchitecture *string `gorm:"column:headerArchitecture"`
	Comment            *string `gorm:"column:comment"`
	DataVersion        int     `gorm:"column:data_version"`
}

func (ruleRow) TableName() string { return "rules" }

func ruleRowOf(r rules.Rule) ruleRow {
	return ruleRow{
		RuleID: r.RuleID, Alias: r.Alias, Priority: r.Priority, Mapping: r.Mapping,
		FallbackMapping: r.FallbackMapping, BackgroundRate: r.BackgroundRate, UpdateType: r.UpdateType,
		Product: r.Product, Version: r.Version, Channel: r.Channel, BuildTarget: r.BuildTarget,
		BuildID: r.BuildID, Locale: r.Locale, OSVersion: r.OSVersion, Memory: r.Memory,
		InstructionSet: r.InstructionSet, Jaws: r.Jaws, Mig64: r.Mig64, Distribution: r.Distribution,
		DistVersion: r.DistVersion, HeaderArchitecture: r.HeaderArchitecture, Comment: r.Comment,
		DataVersion: r.DataVersion,
	}
}

func (r ruleRow) rule() rules.Rule {
	return rules.Rule{
		RuleID: r.RuleID, Alias: r.Alias, Priority: r.Priority, Mapping: r.Mapping,
		FallbackMapping: r.FallbackMapping, BackgroundRate: r.BackgroundRate, UpdateType: r.UpdateType,
		Product: r.Product, Version: r.Version, Channel: r.Channel, BuildTarget: r.BuildTarget,
		BuildID: r.BuildID, Locale: r.Locale, OSVersion: r.OSVersion, Memory: r.Memory,
		InstructionSet: r.InstructionSet, Jaws: r.Jaws, Mig64: r.Mig64, Distribution: r.Distribution,
		DistVersion: r.DistVersion, HeaderArchitecture: r.HeaderArchitecture, Comment: r.Comment,
		DataVersion: r.DataVersion,
	}
}

// historyMeta are the leading columns of every _history table.
type historyMeta struct {
	ChangeID  int    `gorm:"column:change_id;primaryKey;autoIncrement"`
	ChangedBy string `gorm:"column:changed_by"`
	Timestamp int64  `gorm:"column:timestamp"`
}

// ruleHistoryRow is a rules_history row. A marker row (before an insert,
// after a delete) carries only rule_id; its other columns are NULL.
type ruleHistoryRow struct {
	History            historyMeta `gorm:"embedded"`
	RuleID             int         `gorm:"column:rule_id"`
	Alias              *string     `gorm:"column:alias"`
	Priority           *int        `gorm:"column:priority"`
	Mapping            *string     `gorm:"column:mapping"`
	FallbackMapping    *string     `gorm:"column:fallbackMapping"`
	BackgroundRate     *int        `gorm:"column:backgroundRate"`
	UpdateType         *string     `gorm:"column:update_type"`
	Product            *string     `gorm:"column:product"`
	Version            *string     `gorm:"column:version"`
	Channel            *string     `gorm:"column:channel"`
	BuildTarget        *string     `gorm:"column:buildTarget"`
	BuildID            *string     `gorm:"column:buildID"`
	Locale             *string     `gorm:"column:locale"`
	OSVersion          *string     `gorm:"column:osVersion"`
	Memory             *string     `gorm:"column:memory"`
	InstructionSet     *string     `gorm:"column:instructionSet"`
	Jaws               *bool       `gorm:"column:jaws"`
	Mig64              *bool       `gorm:"column:mig64"`
	Distribution       *string     `gorm:"column:distribution"`
	DistVersion        *string     `gorm:"column:distVersion"`
	HeaderArchitecture *string     `gorm:"column:headerArchitecture"`
	Comment            *string     `gorm:"column:comment"`
	DataVersion        *int        `gorm:"column:data_version"`
}

func (ruleHistoryRow) TableName() string { return "rules_history" }

func ruleHistoryOf(meta historyMeta, r rules.Rule) ruleHistoryRow {
	ut, dv := r.UpdateType, r.DataVersion
	return ruleHistoryRow{
		History: meta,
		RuleID:  r.RuleID, Alias: r.Alias, Priority: r.Priority, Mapping: r.Mapping,
		FallbackMapping: r.FallbackMapping, BackgroundRate: r.BackgroundRate, UpdateType: &ut,
		Product: r.Product, Version: r.Version, Channel: r.Channel, BuildTarget: r.BuildTarget,
		BuildID: r.BuildID, Locale: r.Locale, OSVersion: r.OSVersion, Memory: r.Memory,
		InstructionSet: r.InstructionSet, Jaws: r.Jaws, Mig64: r.Mig64, Distribution: r.Distribution,
		DistVersion: r.DistVersion, HeaderArchitecture: r.HeaderArchitecture, Comment: r.Comment,
		DataVersion: &dv,
	}
}

type releaseRow struct {
	Name        string `gorm:"column:name;primaryKey"`
	Product     string `gorm:"column:product"`
	ReadOnly    *bool  `gorm:"column:read_only"`
	Data        string `gorm:"column:data"`
	DataVersion int    `gorm:"column:data_version"`
}

func (releaseRow) TableName() string { return "releases" }

type releaseHistoryRow struct {
	History     historyMeta `gorm:"embedded"`
	Name        string      `gorm:"column:name"`
	Product     *string     `gorm:"column:product"`
	ReadOnly    *bool       `gorm:"column:read_only"`
	Data        *string     `gorm:"column:data"`
	DataVersion *int        `gorm:"column:data_version"`
}

func (releaseHistoryRow) TableName() string { return "releases_history" }

type shutoffRow struct {
	Product     string  `gorm:"column:product;primaryKey"`
	Channel     string  `gorm:"column:channel;primaryKey"`
	Comment     *string `gorm:"column:comment"`
	DataVersion int     `gorm:"column:data_version"`
}

func (shutoffRow) TableName() string { return "emergency_shutoffs" }

type shutoffHistoryRow struct {
	History     historyMeta `gorm:"embedded"`
	Product     string      `gorm:"column:product"`
	Channel     string      `gorm:"column:channel"`
	Comment     *string     `gorm:"column:comment"`
	DataVersion *int        `gorm:"column:data_version"`
}

func (shutoffHistoryRow) TableName() string { return "emergency_shutoffs_history" }

type pinRow struct {
	Product     string `gorm:"column:product;primaryKey"`
	Version     string `gorm:"column:version;primaryKey"`
	Channel     string `gorm:"column:channel;primaryKey"`
	Mapping     string `gorm:"column:mapping"`
	DataVersion int    `gorm:"column:data_version"`
}

func (pinRow) TableName() string { return "pinnable_releases" }

type pinHistoryRow struct {
	History     historyMeta `gorm:"embedded"`
	Product     string      `gorm:"column:product"`
	Version     string      `gorm:"column:version"`
	Channel     string      `gorm:"column:channel"`
	Mapping     *string     `gorm:"column:mapping"`
	DataVersion *int        `gorm:"column:data_version"`
}

func (pinHistoryRow) TableName() string { return "pinnable_releases_history" }

type permissionRow struct {
	Permission  string  `gorm:"column:permission;primaryKey"`
	Username    string  `gorm:"column:username;primaryKey"`
	Options     *string `gorm:"column:options"`
	DataVersion int     `gorm:"column:data_version"`
}

func (permissionRow) TableName() string { return "permissions" }

type permissionHistoryRow struct {
	History     historyMeta `gorm:"embedded"`
	Permission  string      `gorm:"column:permission"`
	Username    string      `gorm:"column:username"`
	Options     *string     `gorm:"column:options"`
	DataVersion *int        `gorm:"column:data_version"`
}

func (permissionHistoryRow) TableName() string { return "permissions_history" }
