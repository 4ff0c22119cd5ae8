package templates

import (
	htmltemplate "html/template"
	"io"
	texttemplate "text/template"
	"text/template/parse"
	"unicode"
)

// The address-form words ({{u}}, {{uw}}, {{U}}, {{Uw}} and
// {{uje "kunt u" "kun je"}}) are the same in every letter of one parse (one
// language and form), yet each was a function call by reflection at every
// Render, twice in the HTML (the call and its escaper): two thirds of what
// rendering allocated. They are replaced by their text once, when parsed.

// formWords are the words {{u}}, {{U}}, {{uw}} and {{Uw}} stand for: the
// u-form's (formal) and the je-form's.
var formWords = map[string][2]string{"u": {"u", "je"}, "U": {"U", "Je"}, "uw": {"uw", "je"}, "Uw": {"Uw", "Je"}}

// formWord is the text of an address-form action in form, if p is one.
func formWord(p *parse.PipeNode, form string) (string, bool) {
	if p == nil || len(p.Decl) > 0 || p.IsAssign || len(p.Cmds) == 0 || len(p.Cmds[0].Args) == 0 {
		return "", false
	}
	args := p.Cmds[0].Args
	id, ok := args[0].(*parse.IdentifierNode)
	if !ok {
		return "", false
	}
	je := form == FormJe
	if words, ok := formWords[id.Ident]; ok && len(args) == 1 {
		if je {
			return words[1], true
		}
		return words[0], true
	}
	if id.Ident != "uje" || len(args) != 3 {
		return "", false
	}
	u, uok := args[1].(*parse.StringNode)
	j, jok := args[2].(*parse.StringNode)
	switch {
	case !uok || !jok:
		return "", false
	case je:
		return j.Text, true
	}
	return u.Text, true
}

// foldText replaces the address-form actions of t's templates by their
// text: text/template writes a string as it is.
func foldText(t *texttemplate.Template, form string) {
	for _, tt := range t.Templates() {
		if tt.Tree != nil {
			foldList(tt.Tree.Root, func(p *parse.PipeNode) (string, bool) {
				if len(p.Cmds) != 1 {
					return "", false
				}
				return formWord(p, form)
			})
		}
	}
}

// foldHTML does the same for the HTML block after html/template has added
// its escapers, only where the word stands in HTML text (escaped by
// _html_template_htmlescaper) and is letters and spaces, which that
// escaper leaves as they are. Elsewhere (an attribute, a URL, a script)
// the call stays.
func foldHTML(h *htmltemplate.Template, form string) {
	// html/template escapes a template when it is first executed; nil data
	// ends that execution at the first field, after the escaping. An
	// escaping error stays with the template and is returned by Render.
	_ = h.ExecuteTemplate(io.Discard, "html", nil)
	for _, ht := range h.Templates() {
		if ht.Tree == nil {
			continue
		}
		foldList(ht.Tree.Root, func(p *parse.PipeNode) (string, bool) {
			if len(p.Cmds) != 2 || len(p.Cmds[1].Args) != 1 {
				return "", false
			}
			if esc, ok := p.Cmds[1].Args[0].(*parse.IdentifierNode); !ok || esc.Ident != "_html_template_htmlescaper" {
				return "", false
			}
			w, ok := formWord(p, form)
			for _, r := range w {
				if !unicode.IsLetter(r) && r != ' ' {
					return "", false
				}
			}
			return w, ok
		})
	}
}

// foldList replaces, in list and the lists inside it, each action whose
// pipeline word gives a text by that text.
func foldList(list *parse.ListNode, word func(*parse.PipeNode) (string, bool)) {
	if list == nil {
		return
	}
	for i, n := range list.Nodes {
		switch n := n.(type) {
		case *parse.ActionNode:
			if w, ok := word(n.Pipe); ok {
				list.Nodes[i] = &parse.TextNode{NodeType: parse.NodeText, Pos: n.Pos, Text: []byte(w)}
			}
		case *parse.IfNode:
			foldList(n.List, word)
			foldList(n.ElseList, word)
		case *parse.RangeNode:
			foldList(n.List, word)
			foldList(n.ElseList, word)
		case *parse.WithNode:
			foldList(n.List, word)
			foldList(n.ElseList, word)
		case *parse.ListNode:
			foldList(n, word)
		}
	}
}
