package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/DataDog/datadog-go/v5/statsd"

	"github.com/balrog-go/balrog/admin"
	"github.com/balrog-go/balrog/admin/agent"
	"github.com/balrog-go/balrog/admin/auth"
	"github.com/balrog-go/balrog/blobs"
	"github.com/balrog-go/balrog/metrics"
	"github.com/balrog-go/balrog/public"
	"github.com/balrog-go/balrog/store/gormstore"
)

// module is one part of the process: what it needs, and how it is built.
// A module may build a service that runs for the life of the process.
type module struct {
	deps []string
	init func(ctx context.Context) (service, error)
}

// roleNames are the values --role accepts, besides comma lists of them.
var roleNames = []string{"public", "admin", "agent", "all"}

// process is a balrog process being assembled from modules.
type process struct {
	cfg Config
	log *slog.Logger
	// stdout receives the update-request log (--request-log-sample).
	stdout io.Writer
	db     *gormstore.DB
	// roles are the roles being built; their joined names tag the metrics
	// of what they share.
	roles []string
	// dbMetrics is the sink of the database (query latency, errors and
	// schema steps).
	dbMetrics metrics.Sink
	// sinks are the DogStatsD clients, by role tag (metrics.go).
	sinks map[string]*statsd.Client
	// reporter sends errors to Sentry; nil without --sentry-dsn.
	reporter *sentryReporter

	// listeners, by role, once built; tests read the bound addresses.
	listeners map[string]*httpService
}

// modules is the one table of what each role needs and starts.
func (p *process) modules() map[string]module {
	return map[string]module{
		"db":      {deps: []string{"metrics"}, init: p.initDB},
		"metrics": {init: p.initMetrics},
		"sentry":  {init: p.initSentry},
		"memory":  {init: p.initMemory},
		"public":  {deps: []string{"db", "metrics", "sentry", "memory"}, init: p.initPublic},
		"admin":   {deps: []string{"db", "metrics", "sentry", "memory"}, init: p.initAdmin},
		"agent":   {deps: []string{"db", "metrics", "sentry", "memory"}, init: p.initAgent},
		"all":     {deps: []string{"public", "admin", "agent"}},
	}
}

// parseRoles reads --role: one role, a comma list, or all.
func parseRoles(s string) ([]string, error) {
	var out []string
	for _, r := range strings.Split(s, ",") {
		r = strings.TrimSpace(r)
		if !slices.Contains(roleNames, r) {
			return nil, fmt.Errorf("unknown role %q (want %s, or a comma list)", r, strings.Join(roleNames, ", "))
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out, nil
}

// order lists the modules the roles need, dependencies first.
func order(table map[string]module, roles []string) []string {
	var out []string
	seen := map[string]bool{}
	var visit func(string)
	visit = func(name string) {
		if seen[name] {
			return
		}
		seen[name] = true
		deps := slices.Clone(table[name].deps)
		sort.Strings(deps)
		for _, d := range deps {
			visit(d)
		}
		out = append(out, name)
	}
	for _, r := range roles {
		visit(r)
	}
	return out
}

// build initialises the modules of roles in dependency order and returns
// the services to run.
func (p *process) build(ctx context.Context, roles []string) ([]service, error) {
	p.roles = roles
	table := p.modules()
	var services []service
	for _, name := range order(table, roles) {
		m := table[name]
		if m.init == nil {
			continue
		}
		s, err := m.init(ctx)
		if err != nil {
			return nil, fmt.Errorf("start %s: %w", name, err)
		}
		if s != nil {
			services = append(services, s)
		}
	}
	return services, nil
}

func (p *process) initDB(ctx context.Context) (service, error) {
	db, err := openDatabase(ctx, p.cfg, p.log, p.dbMetrics, true)
	if err != nil {
		return nil, err
	}
	p.db = db
	return nil, nil
}

// initMetrics builds the sink of what the roles share; each role builds
// its own (forRole).
func (p *process) initMetrics(ctx context.Context) (service, error) {
	m, err := p.forRole(processRole(p.roles))
	if err != nil {
		return nil, err
	}
	p.dbMetrics = m
	return nil, nil
}

// initMemory applies --memory-limit as the process's memory budget: Go's
// soft limit follows it less the blobs' memory outside the heap.
func (p *process) initMemory(ctx context.Context) (service, error) {
	if p.cfg.MemoryLimit <= 0 {
		return nil, nil
	}
	return newMemoryBudget(p.cfg.MemoryLimit), nil
}

func (p *process) initSentry(ctx context.Context) (service, error) {
	r, err := newSentryReporter(p.cfg.SentryDSN)
	if err != nil {
		return nil, err
	}
	p.reporter = r
	return nil, nil
}

// serveHTTP binds a role's listener and keeps it for tests.
func (p *process) serveHTTP(role, addr string, h http.Handler, wrap func(net.Listener) net.Listener) (*httpService, error) {
	s, err := listen(role, addr, h, p.log, wrap)
	if err != nil {
		return nil, err
	}
	if p.listeners == nil {
		p.listeners = map[string]*httpService{}
	}
	p.listeners[role] = s
	return s, nil
}

func (p *process) initPublic(ctx context.Context) (service, error) {
	allowlist, err := blobs.NewAllowlist(p.cfg.DomainAllowlist)
	if err != nil {
		return nil, fmt.Errorf("domain_allowlist: %w", err)
	}
	signer, err := p.signer()
	if err != nil {
		return nil, err
	}
	m, err := p.forRole("public")
	if err != nil {
		return nil, err
	}
	svc := public.New(p.db, public.Config{
		Allowlist:       allowlist,
		ForceHosts:      p.cfg.SpecialForceHosts,
		RefreshInterval: p.cfg.RefreshInterval,
		Metrics:         m,
		Signer:          signer,
		UpdateLog:       p.stdout,
		UpdateLogSample: p.cfg.RequestLogSample,
		ReportError:     p.reporter.forRole("public"),
	}, p.log)
	// Load before listening, so the first request is answered from data.
	// A database that does not answer now is retried by the refresh loop.
	loadCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if _, err := svc.Load(loadCtx); err != nil {
		p.log.Error("public: initial load failed; update requests get 503 until the database answers", "error", err.Error())
	}
	h := svc.NewHandler()
	dockerflow(h.Echo(), svc.Health)
	// Update clients send targets such as /update/1/%PRODUCT%/... that
	// net/http would refuse; the wrapped listener lets them through.
	listener, err := p.serveHTTP("public", p.cfg.PublicAddr, h, public.WrapListener)
	if err != nil {
		return nil, err
	}
	listener.withFront(h)
	if p.cfg.PprofAddr != "" {
		// Opt-in profiling (loopback only, checked by the configuration).
		pprofListener, err := listen("pprof", p.cfg.PprofAddr, pprofMux(), p.log, nil)
		if err != nil {
			return nil, err
		}
		pprofListener.server.WriteTimeout = 0 // profiles stream for their duration
		return serviceGroup{svc, h, listener, pprofListener}, nil
	}
	return serviceGroup{svc, h, listener}, nil
}

func (p *process) initAdmin(ctx context.Context) (service, error) {
	if p.cfg.Auth == "dev" {
		if err := requireLoopback(p.cfg.AdminAddr); err != nil {
			return nil, err
		}
		p.log.Warn("admin authentication is --auth=dev: the user is taken from the X-Balrog-Dev-User header; never use this in production")
	}
	allowlist, err := blobs.NewAllowlist(p.cfg.DomainAllowlist)
	if err != nil {
		return nil, fmt.Errorf("domain_allowlist: %w", err)
	}
	var authn auth.Authenticator = auth.NewDev()
	switch {
	case p.cfg.Auth == "dev":
	case p.cfg.OIDCIssuer == "":
		p.log.Warn("admin authentication: no --oidc-issuer configured; every authenticated admin request is refused")
		authn = admin.Unconfigured{}
	default:
		oidc, err := auth.NewOIDC(auth.OIDCConfig{Issuer: p.cfg.OIDCIssuer, Audience: p.cfg.OIDCAudience, JWKSURL: p.cfg.OIDCJWKSURL, M2MAccounts: p.cfg.M2MAccounts})
		if err != nil {
			return nil, fmt.Errorf("admin authentication: %w", err)
		}
		authn = oidc
	}
	m, err := p.forRole("admin")
	if err != nil {
		return nil, err
	}
	e := newEcho()
	dockerflow(e, func(ctx context.Context) (string, error) {
		n, err := p.db.Watchdog(ctx)
		return fmt.Sprint(n), err
	})
	evaluator, err := p.evaluator(allowlist)
	if err != nil {
		return nil, err
	}
	admin.New(gormstore.NewAdminStore(p.db), admin.Config{
		Auth:           authn,
		M2MAccounts:    p.cfg.M2MAccounts,
		Metrics:        m,
		ReportError:    p.reporter.forRole("admin"),
		CORSOrigins:    p.cfg.CORSOrigins,
		Allowlist:      allowlist,
		SystemAccounts: p.cfg.SystemAccounts,
		Log:            p.log,
		Evaluator:      evaluator,
		MaxBodyBytes:   p.cfg.AdminMaxBody,
		RateLimit:      p.cfg.AdminRateLimit,
		RateBurst:      p.cfg.AdminRateBurst,
	}).Register(e)
	return p.serveHTTP("admin", p.cfg.AdminAddr, e, nil)
}

func (p *process) initAgent(ctx context.Context) (service, error) {
	allowlist, err := blobs.NewAllowlist(p.cfg.DomainAllowlist)
	if err != nil {
		return nil, fmt.Errorf("domain_allowlist: %w", err)
	}
	// The loop enacts through the admin package's enact path, in process:
	// no HTTP client, no token (admin/agent).
	evaluator, err := p.evaluator(allowlist)
	if err != nil {
		return nil, err
	}
	enactor := admin.New(gormstore.NewAdminStore(p.db), admin.Config{
		Auth:           admin.Unconfigured{},
		Allowlist:      allowlist,
		SystemAccounts: p.cfg.SystemAccounts,
		Log:            p.log,
		Evaluator:      evaluator,
	})
	m, err := p.forRole("agent")
	if err != nil {
		return nil, err
	}
	loop := agent.New(enactor, agent.Config{Interval: p.cfg.AgentInterval, Log: p.log, Metrics: m, ReportError: p.reporter.forRole("agent")})
	e := newEcho()
	dockerflow(e, func(ctx context.Context) (string, error) {
		return "OK", p.db.Ping(ctx)
	})
	listener, err := p.serveHTTP("agent", p.cfg.AgentAddr, e, nil)
	if err != nil {
		return nil, err
	}
	return serviceGroup{loop, listener}, nil
}

// requireLoopback refuses --auth=dev on a listener reachable from outside.
func requireLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("admin-addr %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--auth=dev is refused on admin-addr %s: it is only allowed on a loopback address", addr)
	}
	return nil
}
