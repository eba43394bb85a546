package app

import (
	"context"
	"sync"
)

// service is a long-running part of the process.
type service interface {
	Run(ctx context.Context) error
}

// runGroup runs every service until ctx ends or one of them fails; the first
// failure cancels the rest. It returns that first error, after all have
// stopped.
func runGroup(ctx context.Context, services []service) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for _, s := range services {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.Run(ctx)
			if err != nil {
				once.Do(func() { first = err })
			}
			// A service that stops, failed or not, stops the process.
			cancel()
		}()
	}
	wg.Wait()
	return first
}

// serviceGroup runs several services as one: the first to stop stops the rest.
type serviceGroup []service

func (g serviceGroup) Run(ctx context.Context) error { return runGroup(ctx, g) }
