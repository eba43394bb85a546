package metrics

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// metricConstants returns the metric names declared as string constants in
// metrics.go (without the "balrog." namespace), parsed from the source.
func metricConstants(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "metrics.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			for _, v := range spec.(*ast.ValueSpec).Values {
				if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					s, _ := strconv.Unquote(lit.Value)
					names = append(names, s)
				}
			}
		}
	}
	if len(names) < 20 {
		t.Fatalf("only %d metric constants found: %v", len(names), names)
	}
	return names
}

// dashboardQueries returns every query of the dashboard's widgets.
func dashboardQueries(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../configs/datadog-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	type widget struct {
		Definition struct {
			Type     string
			Requests []struct{ Q string }
			Widgets  []json.RawMessage
		}
	}
	var dash struct {
		Title      string
		LayoutType string `json:"layout_type"`
		Widgets    []json.RawMessage
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatal(err)
	}
	if dash.Title == "" || dash.LayoutType != "ordered" || len(dash.Widgets) == 0 {
		t.Fatalf("not an importable dashboard: title %q, layout_type %q, %d widgets", dash.Title, dash.LayoutType, len(dash.Widgets))
	}
	var queries []string
	var walk func([]json.RawMessage)
	walk = func(ws []json.RawMessage) {
		for _, raw := range ws {
			var w widget
			if err := json.Unmarshal(raw, &w); err != nil {
				t.Fatal(err)
			}
			switch w.Definition.Type {
			case "group":
				walk(w.Definition.Widgets)
			case "timeseries":
				if len(w.Definition.Requests) == 0 {
					t.Errorf("a timeseries widget without requests: %s", raw)
				}
				for _, r := range w.Definition.Requests {
					queries = append(queries, r.Q)
				}
			default:
				t.Errorf("unexpected widget type %q", w.Definition.Type)
			}
		}
	}
	walk(dash.Widgets)
	return queries
}

// queryMetric takes the metric of a query such as
// "sum:balrog.public.requests{$role} by {role}.as_count()".
var queryMetric = regexp.MustCompile(`^(?:sum|avg|max|min):balrog\.([a-z0-9_.]+)\{\$role\} by \{([a-z_,]+)\}`)

// responseMember matches Balrog's response counters,
// public.response.<segment>.<status>.
var responseMember = regexp.MustCompile(`^public\.response\.(update|json|api|unknown)\.[1-5][0-9][0-9]$`)

// histogramSuffixes are what DataDog adds to a DogStatsD timing.
var histogramSuffixes = []string{".avg", ".95percentile", ".median", ".max", ".count"}

// TestDashboardChartsEveryMetric checks configs/datadog-dashboard.json: every
// metric it charts is declared in metrics.go and every declared metric is
// charted (the public.response.* family by at least one member), each
// query split by role.
func TestDashboardChartsEveryMetric(t *testing.T) {
	consts := metricConstants(t)
	charted := map[string]bool{}
	for _, q := range dashboardQueries(t) {
		m := queryMetric.FindStringSubmatch(q)
		if m == nil {
			t.Errorf("query %q is not agg:balrog.<metric>{$role} by {...}", q)
			continue
		}
		if !slices.Contains(strings.Split(m[2], ","), "role") {
			t.Errorf("query %q is not split by role", q)
		}
		name := m[1]
		if !slices.Contains(consts, name) {
			for _, suf := range histogramSuffixes {
				if base, ok := strings.CutSuffix(name, suf); ok && slices.Contains(consts, base) {
					name = base
				}
			}
		}
		if responseMember.MatchString(name) {
			name = ResponsePrefix
		}
		if !slices.Contains(consts, name) {
			t.Errorf("query %q charts %q, which metrics.go does not declare", q, m[1])
			continue
		}
		charted[name] = true
	}
	for _, c := range consts {
		if !charted[c] {
			t.Errorf("metric %q is not charted", c)
		}
	}
}
