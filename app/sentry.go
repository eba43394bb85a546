package app

import (
	"fmt"
	"time"

	"github.com/getsentry/sentry-go"
)

// sentryReporter sends panics and 5xx errors to Sentry (--sentry-dsn) with
// the tags role, version and route. Events carry the error and its stack
// only: no request (body, headers, query string), user or breadcrumbs.
type sentryReporter struct {
	client *sentry.Client
}

// newSentryReporter returns the reporter of dsn, or nil when it is empty.
func newSentryReporter(dsn string) (*sentryReporter, error) {
	if dsn == "" {
		return nil, nil
	}
	client, err := sentry.NewClient(sentry.ClientOptions{
		Dsn:              dsn,
		Release:          "balrog@" + Build().Version,
		AttachStacktrace: true,
		SendDefaultPII:   false,
		MaxBreadcrumbs:   -1,
		BeforeSend:       scrubEvent,
	})
	if err != nil {
		return nil, fmt.Errorf("sentry-dsn: %w", err)
	}
	return &sentryReporter{client: client}, nil
}

// scrubEvent drops whatever could carry a secret before an event leaves.
func scrubEvent(ev *sentry.Event, _ *sentry.EventHint) *sentry.Event {
	ev.Request = nil
	ev.User = sentry.User{}
	ev.Breadcrumbs = nil
	ev.ServerName = ""
	return ev
}

// forRole returns the ReportError function of a role; nil without a DSN.
func (r *sentryReporter) forRole(role string) func(route string, err error) {
	if r == nil {
		return nil
	}
	version := Build().Version
	return func(route string, err error) {
		scope := sentry.NewScope()
		scope.SetTags(map[string]string{"role": role, "version": version, "route": route})
		r.client.CaptureException(err, nil, scope)
	}
}

// flush waits a little for the events still queued.
func (r *sentryReporter) flush() {
	if r != nil {
		r.client.Flush(5 * time.Second)
	}
}
