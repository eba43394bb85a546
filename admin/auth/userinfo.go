package auth

import (
	"bytes"
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
)

// maxUserinfoBody bounds the size of a userinfo response.
const maxUserinfoBody = 1 << 20

// userinfoClient asks the issuer's userinfo endpoint about the holder of a
// token, remembering the answers of the most recent tokens (Balrog keeps an
// LRU of 2048 entries without expiry; the token's own exp still applies,
// since it is checked before the cache is consulted).
type userinfoClient struct {
	url    string
	client *http.Client
	cache  *lru
}

// lookup returns the userinfo document for token. An HTTP or transport
// failure wraps ErrProviderUnavailable; a response that is not a JSON object
// is Balrog's incomplete_validation. Failures are not cached.
func (u *userinfoClient) lookup(ctx context.Context, token string) (map[string]any, error) {
	key := sha256.Sum256([]byte(token))
	if info, ok := u.cache.get(key); ok {
		return info, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.url, nil)
	if err != nil {
		return nil, fmt.Errorf("calling userinfo: %w: %w", ErrProviderUnavailable, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	resp, err := u.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("calling userinfo: %w: %w", ErrProviderUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("calling userinfo at %s: %w: HTTP status %s", u.url, ErrProviderUnavailable, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxUserinfoBody+1))
	if err != nil {
		return nil, fmt.Errorf("reading userinfo from %s: %w: %w", u.url, ErrProviderUnavailable, err)
	}
	if len(body) > maxUserinfoBody {
		return nil, errIncompleteValidation()
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var info map[string]any
	if err := dec.Decode(&info); err != nil || info == nil {
		return nil, errIncompleteValidation()
	}
	u.cache.add(key, info)
	return info, nil
}

// lru is a fixed-capacity, concurrency-safe least-recently-used cache of
// userinfo documents keyed by token digest.
type lru struct {
	mu       sync.Mutex
	capacity int
	order    *list.List // front = most recently used; values are *lruEntry
	entries  map[[sha256.Size]byte]*list.Element
}

// lruEntry is one cached document.
type lruEntry struct {
	key  [sha256.Size]byte
	info map[string]any
}

// newLRU returns an empty cache holding at most capacity entries.
func newLRU(capacity int) *lru {
	return &lru{
		capacity: capacity,
		order:    list.New(),
		entries:  make(map[[sha256.Size]byte]*list.Element),
	}
}

// get returns the cached document and marks it as recently used.
func (c *lru) get(key [sha256.Size]byte) (map[string]any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*lruEntry).info, true
}

// add stores a document, evicting the least recently used one when full.
func (c *lru) add(key [sha256.Size]byte, info map[string]any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		el.Value.(*lruEntry).info = info
		c.order.MoveToFront(el)
		return
	}
	c.entries[key] = c.order.PushFront(&lruEntry{key: key, info: info})
	for c.order.Len() > c.capacity {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.entries, oldest.Value.(*lruEntry).key)
	}
}

// len returns the number of cached documents.
func (c *lru) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
