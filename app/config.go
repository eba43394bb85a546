package app

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"

	"github.com/balrog-go/balrog/blobs"
)

// Config is the whole configuration of a balrog process. Precedence:
// built-in default < config file < environment < flag.
type Config struct {
	DB         string
	ConfigFile string

	PublicAddr string
	AdminAddr  string
	AgentAddr  string
	StatsdAddr string
	// PprofAddr is the opt-in net/http/pprof listener of the public role
	// (loopback only); empty means none.
	PprofAddr string

	Auth         string
	OIDCIssuer   string
	OIDCAudience string
	OIDCJWKSURL  string

	AgentInterval   time.Duration
	RefreshInterval time.Duration
	LogFormat       string
	LogLevel        string

	// Settings that are not scalars; they come from the config file only.
	DomainAllowlist   []blobs.AllowlistHost
	SpecialForceHosts []string
	SystemAccounts    []string
	// CORSOrigins are the browser origins the admin API allows.
	CORSOrigins []string
	// M2MAccounts maps OIDC machine client ids to account names (Balrog's
	// M2M_ACCOUNT_MAPPING); an unmapped id is its own account name.
	M2MAccounts map[string]string

	// Response signing (signing.go): the public role signs the update
	// responses of SigningProducts with the ECDSA P-384 key in
	// SigningKeyFile; SigningX5U is the certificate chain URL it names.
	SigningKeyFile  string
	SigningX5U      string
	SigningProducts []string
	// RequestLogSample is the share (0 to 1) of update requests the public
	// role logs on stdout as balrog.updates lines; 0 is off.
	RequestLogSample float64
	// SentryDSN is where panics and 5xx errors are reported; empty is off.
	SentryDSN string
	// MemoryLimit is the process's memory budget in bytes: the Go
	// runtime's soft limit (as GOMEMLIMIT) less the blobs' memory outside
	// the Go heap; 0 leaves the runtime's own (GOMEMLIMIT or none).
	MemoryLimit int64
	// AdminMaxBody bounds admin request bodies, in bytes.
	AdminMaxBody int64
	// AdminRateLimit is each admin client's sustained requests per second
	// (0: no limit); AdminRateBurst how many it may send at once.
	AdminRateLimit float64
	AdminRateBurst int
}

// setting is one scalar configuration value: its flag, environment
// variables (first set wins), default and how it is stored. The config file
// key is the flag name with dashes as underscores.
type setting struct {
	flag  string
	env   []string
	def   string
	usage string
	set   func(c *Config, v string) error
}

func (s setting) fileKey() string { return strings.ReplaceAll(s.flag, "-", "_") }

func str(field func(c *Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *field(c) = v; return nil }
}

func duration(field func(c *Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("%q is not a duration (e.g. 30s, 5m)", v)
		}
		*field(c) = d
		return nil
	}
}

// settings is the one table of scalar settings (interface.md).
func settings() []setting {
	return []setting{
		{"db", []string{"BALROG_DB", "DBURI"}, "sqlite:///balrog.db", "database URL: mysql://USER:PASS@HOST[:PORT]/DB or sqlite:///relative.db, sqlite:////absolute.db", str(func(c *Config) *string { return &c.DB })},
		{"public-addr", []string{"BALROG_PUBLIC_ADDR"}, "127.0.0.1:9010", "listener of the public role", str(func(c *Config) *string { return &c.PublicAddr })},
		{"admin-addr", []string{"BALROG_ADMIN_ADDR"}, "127.0.0.1:9000", "listener of the admin role", str(func(c *Config) *string { return &c.AdminAddr })},
		{"agent-addr", []string{"BALROG_AGENT_ADDR"}, "127.0.0.1:9020", "listener of the agent role (Dockerflow endpoints only)", str(func(c *Config) *string { return &c.AgentAddr })},
		{"statsd-addr", []string{"BALROG_STATSD_ADDR"}, "", "DogStatsD address, host:port or unix:///path (empty: metrics off)", str(func(c *Config) *string { return &c.StatsdAddr })},
		{"pprof-addr", []string{"BALROG_PPROF_ADDR"}, "", "opt-in net/http/pprof listener of the public role, loopback host:port only (empty: off)", str(func(c *Config) *string { return &c.PprofAddr })},
		{"auth", []string{"BALROG_AUTH"}, "oidc", "admin authentication: oidc (Bearer JWT) or dev (X-Balrog-Dev-User header, loopback only)", str(func(c *Config) *string { return &c.Auth })},
		{"oidc-issuer", []string{"BALROG_OIDC_ISSUER"}, "", "expected iss of admin tokens", str(func(c *Config) *string { return &c.OIDCIssuer })},
		{"oidc-audience", []string{"BALROG_OIDC_AUDIENCE"}, "", "expected aud of admin tokens", str(func(c *Config) *string { return &c.OIDCAudience })},
		{"oidc-jwks-url", []string{"BALROG_OIDC_JWKS_URL"}, "", "URL of the issuer's JWKS", str(func(c *Config) *string { return &c.OIDCJWKSURL })},
		{"agent-interval", []string{"BALROG_AGENT_INTERVAL"}, "30s", "how often the agent looks for scheduled changes to enact", duration(func(c *Config) *time.Duration { return &c.AgentInterval })},
		{"refresh-interval", []string{"BALROG_REFRESH_INTERVAL"}, "5s", "how often the public role checks the database for changed rules and releases", duration(func(c *Config) *time.Duration { return &c.RefreshInterval })},
		{"log-format", []string{"BALROG_LOG_FORMAT"}, "json", "json (mozlog, one object a line) or text", str(func(c *Config) *string { return &c.LogFormat })},
		{"cors-origins", []string{"BALROG_CORS_ORIGINS", "CORS_ORIGINS"}, "", "comma-separated origins the admin API allows from browsers (* for any; empty: none)", func(c *Config, v string) error {
			c.CORSOrigins = nil
			for _, o := range strings.Split(v, ",") {
				if o = strings.TrimSpace(o); o != "" {
					c.CORSOrigins = append(c.CORSOrigins, o)
				}
			}
			return nil
		}},
		{"log-level", []string{"BALROG_LOG_LEVEL"}, "info", "debug, info, warn or error", str(func(c *Config) *string { return &c.LogLevel })},
		{"signing-key-file", []string{"BALROG_SIGNING_KEY_FILE"}, "", "PEM file of the ECDSA P-384 key that signs update responses (empty: signing off)", str(func(c *Config) *string { return &c.SigningKeyFile })},
		{"signing-x5u", []string{"BALROG_SIGNING_X5U"}, "", "certificate chain URL named in Content-Signature headers", str(func(c *Config) *string { return &c.SigningX5U })},
		{"signing-products", []string{"BALROG_SIGNING_PRODUCTS"}, "", "comma-separated products whose update responses are signed", func(c *Config, v string) error {
			c.SigningProducts = splitList(v)
			return nil
		}},
		{"request-log-sample", []string{"BALROG_REQUEST_LOG_SAMPLE"}, "0", "share of update requests logged on stdout as balrog.updates JSON lines, 0 to 1 (0: off)", func(c *Config, v string) error {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 || f > 1 {
				return fmt.Errorf("%q is not a number from 0 to 1", v)
			}
			c.RequestLogSample = f
			return nil
		}},
		{"sentry-dsn", []string{"BALROG_SENTRY_DSN"}, "", "Sentry DSN that panics and 5xx errors are reported to (empty: off)", str(func(c *Config) *string { return &c.SentryDSN })},
		{"memory-limit", []string{"BALROG_MEMORY_LIMIT"}, "", "memory budget of the process, e.g. 384MiB or 2GiB: Go's soft limit (GOMEMLIMIT), less the blobs held outside the Go heap; set it a little under the container's memory; empty: GOMEMLIMIT or none", func(c *Config, v string) error {
			if v == "" {
				c.MemoryLimit = 0
				return nil
			}
			n, err := parseSize(v)
			c.MemoryLimit = n
			return err
		}},
		{"admin-max-body", []string{"BALROG_ADMIN_MAX_BODY"}, "32MiB", "largest admin request body (bytes, or with a unit: KB, MB, KiB, MiB); larger ones get 413", func(c *Config, v string) error {
			n, err := parseSize(v)
			c.AdminMaxBody = n
			return err
		}},
		{"admin-rate-limit", []string{"BALROG_ADMIN_RATE_LIMIT"}, "50", "admin requests per second per client (the authenticated user, else the peer address); over it: 429 with Retry-After; 0: no limit", func(c *Config, v string) error {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil || n < 0 {
				return fmt.Errorf("%q is not a rate (requests per second, 0 for none)", v)
			}
			c.AdminRateLimit = n
			return nil
		}},
		{"admin-rate-burst", []string{"BALROG_ADMIN_RATE_BURST"}, "100", "admin requests a client may send at once above --admin-rate-limit", func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return fmt.Errorf("%q is not a positive number of requests", v)
			}
			c.AdminRateBurst = n
			return nil
		}},
	}
}

// sizeUnits are the units parseSize accepts, longest first.
var sizeUnits = []struct {
	suffix string
	bytes  int64
}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}

// parseSize reads a positive byte count: 1048576, 30MB, 32MiB.
func parseSize(v string) (int64, error) {
	num, mult := strings.TrimSpace(v), int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(num, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.bytes
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > (1<<40)/mult {
		return 0, fmt.Errorf("%q is not a size (e.g. 30MB, 32MiB, 1048576)", v)
	}
	return n * mult, nil
}

// AddFlags registers the configuration flags on fs.
func AddFlags(fs *pflag.FlagSet) {
	fs.String("config", "", "YAML or JSON configuration file (env BALROG_CONFIG)")
	for _, s := range settings() {
		fs.String(s.flag, s.def, s.usage+" (env "+strings.Join(s.env, ", ")+")")
	}
}

// LoadConfig builds the configuration from defaults, the config file, the
// environment (through getenv) and the flags that were set on fs.
func LoadConfig(fs *pflag.FlagSet, getenv func(string) string) (Config, error) {
	var c Config
	table := settings()
	for _, s := range table {
		if err := s.set(&c, s.def); err != nil {
			return c, fmt.Errorf("default of --%s: %w", s.flag, err)
		}
	}
	c.ConfigFile = getenv("BALROG_CONFIG")
	if f := fs.Lookup("config"); f != nil && f.Changed {
		c.ConfigFile = f.Value.String()
	}
	if c.ConfigFile != "" {
		if err := c.loadFile(c.ConfigFile, table); err != nil {
			return c, err
		}
	}
	for _, s := range table {
		for _, name := range s.env {
			if v := getenv(name); v != "" {
				if err := s.set(&c, v); err != nil {
					return c, fmt.Errorf("environment %s: %w", name, err)
				}
				break
			}
		}
	}
	for _, s := range table {
		if f := fs.Lookup(s.flag); f != nil && f.Changed {
			if err := s.set(&c, f.Value.String()); err != nil {
				return c, fmt.Errorf("flag --%s: %w", s.flag, err)
			}
		}
	}
	return c, c.validate()
}

func (c *Config) loadFile(path string, table []setting) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return nil // an empty file sets nothing
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("config file %s: want a map of settings", path)
	}
	scalars := map[string]setting{}
	for _, s := range table {
		scalars[s.fileKey()] = s
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, v := root.Content[i].Value, root.Content[i+1]
		var err error
		switch key {
		case "domain_allowlist":
			c.DomainAllowlist, err = allowlistOf(v)
		case "special_force_hosts":
			c.SpecialForceHosts, err = stringsOf(v)
		case "system_accounts":
			c.SystemAccounts, err = stringsOf(v)
		case "m2m_accounts":
			c.M2MAccounts, err = stringMapOf(v)
		case "signing":
			err = c.signingOf(v, scalars)
		default:
			s, ok := scalars[key]
			if !ok {
				return fmt.Errorf("config file %s: unknown setting %q", path, key)
			}
			if v.Kind != yaml.ScalarNode {
				return fmt.Errorf("config file %s: %s must be a scalar", path, key)
			}
			err = s.set(c, v.Value)
		}
		if err != nil {
			return fmt.Errorf("config file %s: %s: %w", path, key, err)
		}
	}
	return nil
}

func stringsOf(n *yaml.Node) ([]string, error) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, errors.New("must be a list of strings")
	}
	out := make([]string, len(n.Content))
	for i, it := range n.Content {
		if it.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("item %d must be a string", i)
		}
		out[i] = it.Value
	}
	return out, nil
}

func stringMapOf(n *yaml.Node) (map[string]string, error) {
	if n.Kind != yaml.MappingNode {
		return nil, errors.New("must be a map of client id to account name")
	}
	out := make(map[string]string, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.ScalarNode || v.Value == "" {
			return nil, fmt.Errorf("%s: the account name must be a non-empty string", k.Value)
		}
		out[k.Value] = v.Value
	}
	return out, nil
}

// allowlistOf reads host → [products] or host → {path regex → [products]},
// keeping the order of the path regexes: the first that matches decides.
func allowlistOf(n *yaml.Node) ([]blobs.AllowlistHost, error) {
	if n.Kind != yaml.MappingNode {
		return nil, errors.New("must be a map of host to products")
	}
	var hosts []blobs.AllowlistHost
	for i := 0; i+1 < len(n.Content); i += 2 {
		h := blobs.AllowlistHost{Host: n.Content[i].Value}
		v := n.Content[i+1]
		var err error
		switch v.Kind {
		case yaml.SequenceNode:
			h.Products, err = stringsOf(v)
		case yaml.MappingNode:
			h.Paths = []blobs.AllowlistPath{}
			for j := 0; j+1 < len(v.Content); j += 2 {
				products, perr := stringsOf(v.Content[j+1])
				if perr != nil {
					err = fmt.Errorf("%s: %w", v.Content[j].Value, perr)
					break
				}
				h.Paths = append(h.Paths, blobs.AllowlistPath{Pattern: v.Content[j].Value, Products: products})
			}
		default:
			err = errors.New("want a list of products or a map of path regex to products")
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", h.Host, err)
		}
		hosts = append(hosts, h)
	}
	// Compile once now, so a bad regular expression fails at start.
	if _, err := blobs.NewAllowlist(hosts); err != nil {
		return nil, err
	}
	return hosts, nil
}

func (c *Config) validate() error {
	if c.DB == "" {
		return errors.New("setting db: a database URL is required")
	}
	for _, a := range []struct{ name, v string }{{"public-addr", c.PublicAddr}, {"admin-addr", c.AdminAddr}, {"agent-addr", c.AgentAddr}} {
		if _, port, err := net.SplitHostPort(a.v); err != nil {
			return fmt.Errorf("setting %s: %q is not host:port", a.name, a.v)
		} else if _, err := strconv.Atoi(port); err != nil {
			return fmt.Errorf("setting %s: %q has no numeric port", a.name, a.v)
		}
	}
	if c.PprofAddr != "" {
		if err := requirePprofLoopback(c.PprofAddr); err != nil {
			return err
		}
	}
	switch c.Auth {
	case "oidc", "dev":
	default:
		return fmt.Errorf("setting auth: %q is not oidc or dev", c.Auth)
	}
	switch c.LogFormat {
	case "json", "text":
	default:
		return fmt.Errorf("setting log-format: %q is not json or text", c.LogFormat)
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "warning", "error":
	default:
		return fmt.Errorf("setting log-level: %q is not debug, info, warn or error", c.LogLevel)
	}
	if c.AgentInterval <= 0 {
		return fmt.Errorf("setting agent-interval: %s must be positive", c.AgentInterval)
	}
	if c.RefreshInterval <= 0 {
		return fmt.Errorf("setting refresh-interval: %s must be positive", c.RefreshInterval)
	}
	return c.validateSigning()
}

// requirePprofLoopback refuses a pprof listener reachable from outside: the
// profiles expose the process's internals.
func requirePprofLoopback(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("setting pprof-addr: %q is not host:port", addr)
	}
	if _, err := strconv.Atoi(port); err != nil {
		return fmt.Errorf("setting pprof-addr: %q has no numeric port", addr)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("setting pprof-addr: %s is refused: the pprof listener is only allowed on a loopback address", addr)
	}
	return nil
}
