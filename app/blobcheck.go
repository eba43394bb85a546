package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/balrog-go/balrog/blobs"
	"github.com/balrog-go/balrog/store"
)

// checkBlobs validates each release blob before an import: its schema, its
// download domains against the allowlist, and its name against the release
// name. Without skipValidation a bad blob refuses the import, naming the
// file and the field; with it the blob is stored as given and a warning
// says what would have failed.
func checkBlobs(ds store.Dataset, hosts []blobs.AllowlistHost, skipValidation bool, log *slog.Logger) error {
	allowlist, err := blobs.NewAllowlist(hosts)
	if err != nil {
		return fmt.Errorf("domain_allowlist: %w", err)
	}
	for _, r := range ds.Releases {
		err := checkBlob(r, allowlist)
		if err == nil {
			continue
		}
		if skipValidation {
			log.Warn("release blob fails validation; stored as given (--skip-validation)", "release", r.Name, "error", err.Error())
			continue
		}
		return fmt.Errorf("releases/%s.json: data: %w", r.Name, err)
	}
	return nil
}

func checkBlob(r store.Release, allowlist *blobs.Allowlist) error {
	if err := blobs.Validate(r.Data, r.Product, blobs.ValidateOptions{Allowlist: allowlist}); err != nil {
		return err
	}
	var head struct {
		Name string `json:"name"`
	}
	if err := json.NewDecoder(bytes.NewReader(r.Data)).Decode(&head); err != nil {
		return err
	}
	if head.Name != r.Name {
		return fmt.Errorf("name: name in database (%s) does not match name in blob (%s)", r.Name, head.Name)
	}
	return nil
}
