package metrics

import "testing"

func TestResponseNames(t *testing.T) {
	r := NewResponses()
	tests := []struct {
		path   string
		status int
		want   string
	}{
		{"/update/6/Firefox/x/update.xml", 200, "public.response.update.200"},
		{"/updates", 200, "public.response.unknown.200"},
		{"/update", 200, "public.response.update.200"},
		{"/json/1/Guardian/1/a/b/update.json", 404, "public.response.json.404"},
		{"/api/v1/rules", 200, "public.response.api.200"},
		{"/robots.txt", 200, "public.response.unknown.200"},
		{"/update/1", 418, "public.response.update.418"},
	}
	for _, tt := range tests {
		if got := r.Name(tt.path, tt.status); got != tt.want {
			t.Errorf("Name(%q, %d) = %q, want %q", tt.path, tt.status, got, tt.want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { r.Name("/update/6/a/b", 200) }); n != 0 {
		t.Errorf("Name allocates %v times per call for a known status", n)
	}
}
