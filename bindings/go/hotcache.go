package weir

import (
	"context"
	"sync"
	"time"
)

// HotCache serves the currently hottest keys from memory for a short TTL
// and sends every miss through a Group, so one key's concurrent misses
// make one load. Keys outside HotKeys' top n are never stored, so the
// cache holds at most n values whatever the key space.
type HotCache[V any] struct {
	hot   *HotKeys
	group *Group
	top   int
	ttl   time.Duration

	mu      sync.Mutex
	entries map[string]hotEntry[V]
	hotSet  map[string]struct{}
	hotAt   time.Time
}

type hotEntry[V any] struct {
	v     V
	until time.Time
}

// NewHotCache caches the values of hot's top n keys for ttl, loading
// misses through group.
func NewHotCache[V any](hot *HotKeys, group *Group, n int, ttl time.Duration) *HotCache[V] {
	return &HotCache[V]{hot: hot, group: group, top: n, ttl: ttl, entries: map[string]hotEntry[V]{}}
}

// Get counts a request for key and answers it from the cache when key is
// hot and its value is younger than the TTL; otherwise from load, shared
// with concurrent misses of the same key.
func (c *HotCache[V]) Get(ctx context.Context, key string, load func(context.Context) (V, error)) (V, error) {
	c.hot.Record(key)
	now := time.Now()
	c.mu.Lock()
	if e, ok := c.entries[key]; ok && now.Before(e.until) {
		c.mu.Unlock()
		return e.v, nil
	}
	if now.Sub(c.hotAt) >= c.ttl {
		c.refresh(now)
	}
	_, hot := c.hotSet[key]
	c.mu.Unlock()
	v, err, _ := c.group.Do(ctx, key, func(ctx context.Context) (any, error) { return load(ctx) })
	val, _ := v.(V)
	if err == nil && hot {
		c.mu.Lock()
		c.entries[key] = hotEntry[V]{v: val, until: now.Add(c.ttl)}
		c.mu.Unlock()
	}
	return val, err
}

// refresh re-reads the top keys and drops values of keys that cooled or
// expired. Called with mu held, once per TTL.
func (c *HotCache[V]) refresh(now time.Time) {
	c.hotAt = now
	c.hotSet = make(map[string]struct{}, c.top)
	for _, k := range c.hot.Top(c.top) {
		c.hotSet[k.Key] = struct{}{}
	}
	for key, e := range c.entries {
		if _, ok := c.hotSet[key]; !ok || !now.Before(e.until) {
			delete(c.entries, key)
		}
	}
}

// Len is the number of values held.
func (c *HotCache[V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
