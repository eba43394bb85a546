package app

import (
	"encoding/json"
	"runtime/debug"
)

// Set at build time with -ldflags "-X github.com/balrog-go/balrog/app.version=…"
// (see the Makefile). Under `go run` they keep these values, and the commit
// falls back to what the Go toolchain recorded, if anything.
var (
	version = "dev"
	commit  = ""
	build   = ""
)

// sourceURL is where the code of this build lives.
const sourceURL = "https://github.com/balrog-go/balrog"

// BuildInfo is what /__version__ and `balrog version` report.
type BuildInfo struct {
	Source  string `json:"source"`
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Build   string `json:"build"`
}

// Build returns this binary's build information.
func Build() BuildInfo {
	b := BuildInfo{Source: sourceURL, Version: version, Commit: commit, Build: build}
	if b.Commit == "" {
		b.Commit = "unknown"
		if info, ok := debug.ReadBuildInfo(); ok {
			for _, s := range info.Settings {
				if s.Key == "vcs.revision" && s.Value != "" {
					b.Commit = s.Value
				}
			}
		}
	}
	if b.Build == "" {
		b.Build = "unknown"
	}
	return b
}

// JSON is the version.json document of Dockerflow.
func (b BuildInfo) JSON() []byte {
	out, _ := json.Marshal(b)
	return out
}
