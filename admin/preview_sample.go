package admin

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/balrog-go/balrog/rules"
	"github.com/balrog-go/balrog/store/gormstore"
)

// Bounds of a generated preview sample: its URLs are every combination of
// the product's most recent release versions, their platforms and locales,
// and the channels of the rule.
const (
	sampleVersions = 5
	sampleTargets  = 4
	sampleLocales  = 3
	sampleChannels = 3
)

// previewSample generates update URLs for a rule change: Firefox-style
// /update/6 requests from clients on the product's most recent release
// versions (by appVersion, from the blobs), for their platforms and
// locales (en-US first), on the channels the rule before and after the
// change names, plus the URLs of the product's assertions.
func previewSample(tx *gormstore.AdminTx, cur, next rules.Rule, action string) ([]string, error) {
	product := next.Product
	if action != "create" && (product == nil || action == "delete") {
		product = cur.Product
	}
	if product == nil {
		return nil, badRequest("The rule has no product to sample update requests for: give \"urls\"")
	}
	channels, err := sampleChannelsOf(tx, *product, cur.Channel, next.Channel)
	if err != nil {
		return nil, err
	}
	clients, targets, locales, err := sampleClients(tx, *product)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, c := range clients {
		for _, t := range targets {
			for _, l := range locales {
				for _, ch := range channels {
					out = append(out, fmt.Sprintf("/update/6/%s/%s/%s/%s/%s/%s/%s/ISET:SSE4_2,MEM:8192/default/default/update.xml",
						url.PathEscape(*product), url.PathEscape(c.version), url.PathEscape(c.buildID), url.PathEscape(t),
						url.PathEscape(l), url.PathEscape(ch), url.PathEscape(sampleOS(t))))
				}
			}
		}
	}
	return appendAssertionURLs(tx, *product, out)
}

// appendAssertionURLs adds to sample the update URLs of the product's rule
// assertions that it lacks, which a preview without URLs also answers.
func appendAssertionURLs(tx *gormstore.AdminTx, product string, sample []string) ([]string, error) {
	list, err := tx.Assertions([]string{product}, false)
	if err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(sample)+len(list))
	for _, u := range sample {
		seen[u] = true
	}
	for _, a := range list {
		if !seen[a.URL] {
			seen[a.URL] = true
			sample = append(sample, a.URL)
		}
	}
	return sample, nil
}

// sampleChannelsOf returns the channels to sample: those the rule names
// before and after (a glob by its prefix), else the exact channels of the
// product's rules, else "release".
func sampleChannelsOf(tx *gormstore.AdminTx, product string, named ...*string) ([]string, error) {
	var out []string
	add := func(c *string) {
		if c != nil && len(out) < sampleChannels {
			ch := strings.TrimSuffix(*c, "*")
			if ch != "" && !slices.Contains(out, ch) {
				out = append(out, ch)
			}
		}
	}
	for _, c := range named {
		add(c)
	}
	if len(out) == 0 {
		rs, err := tx.ListRules(&product)
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			if r.Channel != nil && !strings.HasSuffix(*r.Channel, "*") {
				add(r.Channel)
			}
		}
	}
	if len(out) == 0 {
		out = []string{"release"}
	}
	return out, nil
}

// sampleClient is a client version with its build ID.
type sampleClient struct {
	version, buildID string
	parsed           rules.MozillaVersion
}

// sampleBlob is the part of an app-release blob a sample reads.
type sampleBlob struct {
	AppVersion string `json:"appVersion"`
	Extv       string `json:"extv"`
	Platforms  map[string]struct {
		BuildID any            `json:"buildID"`
		Locales map[string]any `json:"locales"`
	} `json:"platforms"`
}

// sampleClients reads the product's releases: clients on the most recent
// versions, and the platforms and locales those releases have.
func sampleClients(tx *gormstore.AdminTx, product string) ([]sampleClient, []string, []string, error) {
	infos, err := tx.ListReleases(product, "", false)
	if err != nil {
		return nil, nil, nil, err
	}
	type release struct {
		client sampleClient
		blob   sampleBlob
	}
	var rels []release
	for _, info := range infos {
		r, err := tx.Release(info.Name)
		if err != nil {
			return nil, nil, nil, err
		}
		var b sampleBlob
		if json.Unmarshal(r.Data, &b) != nil {
			continue
		}
		v := b.AppVersion
		if v == "" {
			v = b.Extv
		}
		mv, err := rules.ParseMozillaVersion(v)
		if err != nil || len(b.Platforms) == 0 {
			continue
		}
		c := sampleClient{version: v, parsed: mv, buildID: "20000101000000"}
		for _, p := range b.Platforms {
			if p.BuildID != nil {
				c.buildID = fmt.Sprint(p.BuildID)
				break
			}
		}
		rels = append(rels, release{c, b})
	}
	slices.SortStableFunc(rels, func(a, b release) int { return b.client.parsed.Compare(a.client.parsed) })
	var clients []sampleClient
	targets, locales := map[string]bool{}, map[string]bool{}
	for _, r := range rels {
		if len(clients) == sampleVersions {
			break
		}
		if slices.ContainsFunc(clients, func(c sampleClient) bool { return c.version == r.client.version }) {
			continue
		}
		clients = append(clients, r.client)
		for t, p := range r.blob.Platforms {
			if len(p.Locales) > 0 {
				targets[t] = true
			}
			for l := range p.Locales {
				locales[l] = true
			}
		}
	}
	return clients, firstKeys(targets, sampleTargets, ""), firstKeys(locales, sampleLocales, "en-US"), nil
}

// firstKeys returns up to n keys of m in order, first the preferred one
// when m has it.
func firstKeys(m map[string]bool, n int, preferred string) []string {
	var out []string
	if m[preferred] {
		out = append(out, preferred)
	}
	var rest []string
	for k := range m {
		if k != preferred {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	out = append(out, rest...)
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// sampleOS is a plausible OS version for a build target.
func sampleOS(target string) string {
	switch {
	case strings.HasPrefix(target, "WINNT"):
		return "Windows_NT 10.0.0.0.18363.592 (x64)"
	case strings.HasPrefix(target, "Darwin"):
		return "Darwin 19.6.0"
	}
	return "Linux 5.0.0-13-generic (GTK 3.24.5,libpulse 12.2.0)"
}
