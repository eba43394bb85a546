package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/balrog-go/balrog/store"
)

// maxScenarioFile bounds one file of a scenario directory; the largest real
// release blobs are around 10 MB.
const maxScenarioFile = 64 << 20

// releaseFile is releases/<name>.json of the scenario format.
type releaseFile struct {
	Name     *string         `json:"name"`
	Product  *string         `json:"product"`
	ReadOnly *bool           `json:"read_only"`
	Data     json.RawMessage `json:"data"`
	// DataVersion is optional (the corpora omit it: 1); exports write it.
	DataVersion *int `json:"data_version,omitempty"`
}

// readScenario reads a scenario directory (shared/conformance/README.md):
// releases/*.json, rules.json, and the optional shutoffs.json, pins.json and
// assertions.json (written by export).
// config.json is server configuration and is not read here. An error names
// the file and, where it can, the key.
func readScenario(dir string) (store.Dataset, error) {
	var ds store.Dataset
	if st, err := os.Stat(dir); err != nil {
		return ds, err
	} else if !st.IsDir() {
		return ds, fmt.Errorf("%s is not a directory", dir)
	}
	names, err := filepath.Glob(filepath.Join(dir, "releases", "*.json"))
	if err != nil {
		return ds, err
	}
	sort.Strings(names)
	seen := map[string]string{}
	for _, path := range names {
		r, err := readRelease(path)
		if err != nil {
			return ds, err
		}
		if prev, ok := seen[r.Name]; ok {
			return ds, fmt.Errorf("%s: release %q is also defined in %s", path, r.Name, prev)
		}
		seen[r.Name] = path
		ds.Releases = append(ds.Releases, r)
	}
	if err := readJSONList(filepath.Join(dir, "rules.json"), true, &ds.Rules); err != nil {
		return ds, err
	}
	for i, r := range ds.Rules {
		if r.RuleID <= 0 {
			return ds, fmt.Errorf("%s: rule %d: rule_id must be a positive integer", filepath.Join(dir, "rules.json"), i)
		}
		if r.UpdateType == "" {
			return ds, fmt.Errorf("%s: rule %d: update_type is required", filepath.Join(dir, "rules.json"), r.RuleID)
		}
	}
	if err := readJSONList(filepath.Join(dir, "shutoffs.json"), false, &ds.Shutoffs); err != nil {
		return ds, err
	}
	for i, s := range ds.Shutoffs {
		if s.Product == "" || s.Channel == "" {
			return ds, fmt.Errorf("%s: shutoff %d: product and channel are required", filepath.Join(dir, "shutoffs.json"), i)
		}
	}
	if err := readJSONList(filepath.Join(dir, "pins.json"), false, &ds.Pins); err != nil {
		return ds, err
	}
	for i, p := range ds.Pins {
		if p.Product == "" || p.Channel == "" || p.Version == "" || p.Mapping == "" {
			return ds, fmt.Errorf("%s: pin %d: product, channel, version and mapping are required", filepath.Join(dir, "pins.json"), i)
		}
	}
	if err := readJSONList(filepath.Join(dir, "assertions.json"), false, &ds.Assertions); err != nil {
		return ds, err
	}
	for i, a := range ds.Assertions {
		switch {
		case a.AssertionID <= 0:
			return ds, fmt.Errorf("%s: assertion %d: assertion_id must be a positive integer", filepath.Join(dir, "assertions.json"), i)
		case a.Product == "" || !strings.HasPrefix(a.URL, "/"):
			return ds, fmt.Errorf("%s: assertion %d: product and url (a request target, /update/...) are required", filepath.Join(dir, "assertions.json"), a.AssertionID)
		}
	}
	return ds, nil
}

func readRelease(path string) (store.Release, error) {
	b, err := readBounded(path)
	if err != nil {
		return store.Release{}, err
	}
	var f releaseFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return store.Release{}, fmt.Errorf("%s: %w", path, describeJSONError(err))
	}
	switch {
	case f.Name == nil || *f.Name == "":
		return store.Release{}, fmt.Errorf("%s: key name is required", path)
	case f.Product == nil || *f.Product == "":
		return store.Release{}, fmt.Errorf("%s: key product is required", path)
	case len(f.Data) == 0 || f.Data[0] != '{':
		return store.Release{}, fmt.Errorf("%s: key data is required and must be an object", path)
	}
	if want := strings.TrimSuffix(filepath.Base(path), ".json"); want != *f.Name {
		return store.Release{}, fmt.Errorf("%s: name %q does not match the file name", path, *f.Name)
	}
	dv := 1
	if f.DataVersion != nil {
		if *f.DataVersion < 1 {
			return store.Release{}, fmt.Errorf("%s: data_version must be a positive integer", path)
		}
		dv = *f.DataVersion
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, f.Data); err != nil {
		return store.Release{}, fmt.Errorf("%s: data: %w", path, err)
	}
	return store.Release{
		Name:        *f.Name,
		Product:     *f.Product,
		ReadOnly:    f.ReadOnly != nil && *f.ReadOnly,
		Data:        compact.Bytes(),
		DataVersion: dv,
	}, nil
}

// readJSONList decodes a JSON array file strictly (unknown keys are errors).
func readJSONList(path string, required bool, into any) error {
	b, err := readBounded(path)
	if errors.Is(err, fs.ErrNotExist) && !required {
		return nil
	}
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		return fmt.Errorf("%s: %w", path, describeJSONError(err))
	}
	if dec.More() {
		return fmt.Errorf("%s: trailing data after the JSON array", path)
	}
	return nil
}

func readBounded(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Size() > maxScenarioFile {
		return nil, fmt.Errorf("%s: %d bytes is over the %d byte limit", path, st.Size(), maxScenarioFile)
	}
	return os.ReadFile(path)
}

// describeJSONError names the field of a type error.
func describeJSONError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("key %s: JSON %s cannot be a %s", te.Field, te.Value, te.Type)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("malformed JSON at byte %d: %w", se.Offset, err)
	}
	return err
}
