package workflow

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// casesOfPerson are the ids of the cases an address takes part in, not
// yet anonymised; complainantOnly leaves out those where they were copied in.
func (w *Workflow) casesOfPerson(ctx context.Context, email string, complainantOnly bool) ([]int64, error) {
	q := `SELECT id FROM cases WHERE anonymised_at IS NULL AND (complainant_email = ?`
	args := []any{strings.ToLower(email)}
	if !complainantOnly {
		q += ` OR id IN (SELECT case_id FROM participants WHERE email = ? AND role <> ?)`
		args = append(args, strings.ToLower(email), RoleHandler)
	}
	var ids []int64
	if err := w.db.Select(ctx, &ids, q+`) ORDER BY id`, args...); err != nil {
		return nil, fmt.Errorf("workflow: cases of a person: %w", err)
	}
	return ids, nil
}

// Erasure is what an erasure request did to one case.
type Erasure struct {
	Reference string
	Done      *Anonymisation // nil when refused
	Refused   string         // why not, when refused
}

// Erase carries out an erasure request (AVG art. 17): every case the
// address filed that is closed or withdrawn and under no hold is
// anonymised now, whatever the retention period; the others are refused
// with the reason. Cases the address was only copied in on are refused:
// they are another person's complaint. by is who carried it out.
func (w *Workflow) Erase(ctx context.Context, email, by string) ([]Erasure, error) {
	mine, err := w.casesOfPerson(ctx, email, true)
	if err != nil {
		return nil, err
	}
	all, err := w.casesOfPerson(ctx, email, false)
	if err != nil {
		return nil, err
	}
	var out []Erasure
	if len(all) == 0 {
		return nil, nil
	}
	rs, err := w.RetentionOf(ctx, all...)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(rs, func(a, b Retention) int { return int(a.CaseID - b.CaseID) })
	for _, r := range rs {
		e := Erasure{Reference: r.Reference}
		switch {
		case !slices.Contains(mine, r.CaseID):
			e.Refused = "the address was copied in on another person's complaint; its data goes when that case is anonymised"
		case r.erasureRefusal() != "":
			e.Refused = r.erasureRefusal()
		default:
			c, err := caseByID(ctx, w.db, r.CaseID)
			if err != nil {
				return out, err
			}
			a, err := w.anonymise(ctx, &c, ReasonErasure, by)
			if err != nil {
				return out, err
			}
			e.Done = &a
		}
		out = append(out, e)
	}
	return out, nil
}

// PersonalData is everything held about one person (AVG art. 15), for the
// copy they are given after review.
type PersonalData struct {
	Email     string
	Generated time.Time
	Cases     []CaseData
	// Others are other people's addresses and names that occur in the
	// data: they are marked for review (art. 15(4)) before it is handed over.
	Others []string
	// Quarantined are the ids of messages set aside (belonging to no case)
	// whose header names the address: the operator looks at them
	// (complaintd quarantine show) and adds what is the person's.
	Quarantined []int64
}

// CaseData is one case in a copy of personal data.
type CaseData struct {
	Case     Case
	Role     string // complainant, or cc when copied in
	Messages []Message
	Timeline []TimelineEntry
	Measures []Measure
}

// ExportPerson collects everything held about the person with this address.
func (w *Workflow) ExportPerson(ctx context.Context, email string) (PersonalData, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	pd := PersonalData{Email: email, Generated: w.clock.Now()}
	ids, err := w.casesOfPerson(ctx, email, false)
	if err != nil {
		return pd, err
	}
	others := map[string]bool{}
	for _, id := range ids {
		c, err := caseByID(ctx, w.db, id)
		if err != nil {
			return pd, err
		}
		cd := CaseData{Case: c, Role: RoleComplainant}
		if c.ComplainantEmail != email {
			cd.Role = RoleCopy
			others[c.ComplainantEmail] = true
			if c.ComplainantName != "" {
				others[c.ComplainantName] = true
			}
		}
		if err := w.db.Select(ctx, &cd.Messages, `SELECT `+messageColumns+` FROM messages WHERE case_id = ? ORDER BY id`, id); err != nil {
			return pd, fmt.Errorf("workflow: export: %w", err)
		}
		if err := w.sentTexts(ctx, cd.Messages); err != nil {
			return pd, err
		}
		if _, cd.Timeline, err = w.Timeline(ctx, c.Reference); err != nil {
			return pd, err
		}
		if cd.Measures, err = w.Measures(ctx, id); err != nil {
			return pd, err
		}
		var ps []Participant
		if err := w.db.Select(ctx, &ps, `SELECT id, case_id, role, email, name, created_at FROM participants WHERE case_id = ?`, id); err != nil {
			return pd, fmt.Errorf("workflow: export: %w", err)
		}
		for _, p := range ps {
			if p.Email != email {
				others[p.Email] = true
				if p.Name != "" {
					others[p.Name] = true
				}
			}
		}
		if c.Assignee != "" {
			others[c.Assignee] = true
		}
		// Who the complaint is about (#betreft): staff, named by name.
		var concerns []string
		if err := w.db.Select(ctx, &concerns, `SELECT name FROM case_concerns WHERE case_id = ?`, id); err != nil {
			return pd, fmt.Errorf("workflow: export: %w", err)
		}
		for _, n := range concerns {
			others[n] = true
		}
		for _, m := range cd.Messages {
			for _, text := range []string{m.FromAddr, m.ToAddr, m.FullText, m.NewText} {
				for _, a := range addressPattern.FindAllString(text, -1) {
					if !strings.EqualFold(a, email) {
						others[strings.ToLower(a)] = true
					}
				}
			}
		}
		pd.Cases = append(pd.Cases, cd)
	}
	if pd.Quarantined, err = w.QuarantinedMentioning(ctx, email); err != nil {
		return pd, err
	}
	// Staff and managers are named in the file too, by name as well as
	// by address.
	for _, h := range w.set.Handlers {
		if h.Email != email {
			others[h.Email], others[h.Name] = true, true
		}
	}
	for _, m := range w.set.Managers {
		if m.Email != email {
			others[m.Email], others[m.Name] = true, true
		}
	}
	orgLocal, orgDomain, _ := strings.Cut(strings.ToLower(w.set.Organisation.Address), "@")
	for o := range others {
		l, d, _ := strings.Cut(strings.ToLower(o), "@")
		ours := d == orgDomain && (l == orgLocal || strings.HasPrefix(l, orgLocal+"+")) // the complaints address, with a reply token
		if strings.TrimSpace(o) != "" && !ours {
			pd.Others = append(pd.Others, o)
		}
	}
	// Longest first, so that marking "Anna de Vries" is not cut short by "Anna".
	slices.SortFunc(pd.Others, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	return pd, nil
}

// addressPattern finds e-mail addresses in free text.
var addressPattern = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)

// sentTexts fills in the text of outgoing messages, which is kept only in
// the exact bytes that were sent (the outbox): the copy shows what the
// person and others were told.
func (w *Workflow) sentTexts(ctx context.Context, msgs []Message) error {
	for i := range msgs {
		m := &msgs[i]
		if m.Direction != DirOut || !m.OutboxID.Valid || m.FullText != "" {
			continue
		}
		var raw []byte
		if err := w.db.Get(ctx, &raw, `SELECT raw FROM outbox WHERE id = ?`, m.OutboxID.Int64); err != nil {
			return fmt.Errorf("workflow: export: outbox %d: %w", m.OutboxID.Int64, err)
		}
		if len(raw) == 0 {
			continue
		}
		if pm, err := w.parse(raw); err == nil {
			m.FullText = pm.Text()
		}
	}
	return nil
}

// QuarantinedMentioning lists the quarantined messages whose header names
// the address. They belong to no case, so retention and erasure leave them
// to the operator; an access request must still find them.
func (w *Workflow) QuarantinedMentioning(ctx context.Context, email string) ([]int64, error) {
	es, err := w.Quarantined(ctx)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, e := range es {
		head := e.Head
		if i := bytes.Index(head, []byte("\n\r\n")); i >= 0 {
			head = head[:i]
		} else if i := bytes.Index(head, []byte("\n\n")); i >= 0 {
			head = head[:i]
		}
		if bytes.Contains(bytes.ToLower(head), []byte(email)) {
			ids = append(ids, e.ID)
		}
	}
	return ids, nil
}
