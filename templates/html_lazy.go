package templates

import (
	"fmt"
	htmltemplate "html/template"
	"io"
	"sync"
)

// lazyHTML is one message read with html/template on its first rendering,
// into a copy of the shared blocks of its language and form. Set.New has
// already read the same file with text/template, so the reading cannot fail
// on its syntax; it is safe for concurrent use.
type lazyHTML struct {
	key  string
	form string
	fold bool // replace the address-form words by their text (fold.go)
	src  string
	base *htmltemplate.Template // the shared blocks, never executed: only copied

	once sync.Once
	tpl  *htmltemplate.Template
	err  error
}

// ExecuteTemplate executes block name of the message, reading it first.
func (l *lazyHTML) ExecuteTemplate(w io.Writer, name string, data any) error {
	l.once.Do(func() { l.tpl, l.err = l.read() })
	if l.err != nil {
		return l.err
	}
	return l.tpl.ExecuteTemplate(w, name, data)
}

func (l *lazyHTML) read() (*htmltemplate.Template, error) {
	c, err := l.base.Clone()
	if err != nil {
		return nil, fmt.Errorf("templates: %s: %w", l.key, err)
	}
	h, err := c.New(l.key).Parse(l.src)
	if err != nil {
		return nil, fmt.Errorf("templates: %s: %w", l.key, err)
	}
	if l.fold {
		foldHTML(h, l.form)
	}
	return h, nil
}
