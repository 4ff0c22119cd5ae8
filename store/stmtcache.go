package store

import (
	"container/list"
	"sync"

	"github.com/jmoiron/sqlx"
)

// maxPrepared bounds the statement cache. The daemon has a few dozen fixed
// query texts; texts built with variable IN or VALUES lists come and go, and
// each one kept would stay prepared on the server (per connection) for as
// long as it is cached. Beyond the bound the least recently used statement
// is closed, which deallocates it on the server.
const maxPrepared = 256

// stmtCache keeps prepared statements by query text, least recently used
// first out. A statement evicted while a query still runs on it is closed
// when that query gives it back, never under it.
type stmtCache struct {
	mu      sync.Mutex
	limit   int
	byQuery map[string]*list.Element // of *cachedStmt
	recent  *list.List               // most recently used at the front
}

// cachedStmt is one prepared statement and the number of queries using it.
type cachedStmt struct {
	query   string
	st      *sqlx.Stmt
	users   int
	evicted bool // out of the cache; closed by the last user
}

func newStmtCache(limit int) *stmtCache {
	return &stmtCache{limit: limit, byQuery: map[string]*list.Element{}, recent: list.New()}
}

// get returns the cached statement for query, marked in use, or nil. The
// caller gives it back with put.
func (c *stmtCache) get(query string) *cachedStmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byQuery[query]
	if !ok {
		return nil
	}
	c.recent.MoveToFront(el)
	cs := el.Value.(*cachedStmt)
	cs.users++
	return cs
}

// add caches st for query, marked in use, and closes what falls out. When
// another caller cached the same text meanwhile, st is closed and theirs
// returned. The caller gives the result back with put.
func (c *stmtCache) add(query string, st *sqlx.Stmt) *cachedStmt {
	var closing []*sqlx.Stmt
	c.mu.Lock()
	var cs *cachedStmt
	if el, ok := c.byQuery[query]; ok {
		c.recent.MoveToFront(el)
		cs = el.Value.(*cachedStmt)
		closing = append(closing, st)
	} else {
		cs = &cachedStmt{query: query, st: st}
		c.byQuery[query] = c.recent.PushFront(cs)
	}
	cs.users++
	for c.recent.Len() > c.limit {
		old := c.recent.Remove(c.recent.Back()).(*cachedStmt)
		delete(c.byQuery, old.query)
		old.evicted = true
		if old.users == 0 {
			closing = append(closing, old.st)
		}
	}
	c.mu.Unlock()
	// Closing talks to the server when the connection is idle: not under
	// the lock.
	for _, st := range closing {
		st.Close()
	}
	return cs
}

// put gives back a statement from get or add, closing it when it was
// evicted and this was its last user.
func (c *stmtCache) put(cs *cachedStmt) {
	c.mu.Lock()
	cs.users--
	last := cs.evicted && cs.users == 0
	c.mu.Unlock()
	if last {
		cs.st.Close()
	}
}

// closeAll empties the cache and closes every statement in it; statements in
// use are closed by their last user.
func (c *stmtCache) closeAll() {
	var closing []*sqlx.Stmt
	c.mu.Lock()
	for el := c.recent.Front(); el != nil; el = el.Next() {
		cs := el.Value.(*cachedStmt)
		cs.evicted = true
		if cs.users == 0 {
			closing = append(closing, cs.st)
		}
	}
	c.byQuery = map[string]*list.Element{}
	c.recent.Init()
	c.mu.Unlock()
	for _, st := range closing {
		st.Close()
	}
}

// size is the number of cached statements.
func (c *stmtCache) size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.recent.Len()
}
