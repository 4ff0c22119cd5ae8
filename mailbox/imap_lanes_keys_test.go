package mailbox

import (
	"slices"
	"testing"
)

// The lanes order a reply after what it answers only if they read the ids:
// header names arrive in any case ("Message-ID", "message-id").
func TestThreadKeysReadSenderIDAndReferences(t *testing.T) {
	raw := []byte("From: Ouder <Ouder@Example.nl>\r\nmessage-ID: <c1@x>\r\nIn-Reply-To: <b1@x>\r\nREFERENCES: <a1@x> <b1@x>\r\n\r\nTekst\r\n")
	sender, id, refs := threadKeys(raw)
	if sender != "ouder@example.nl" || id != "c1@x" {
		t.Errorf("sender %q id %q, want ouder@example.nl and c1@x", sender, id)
	}
	if !slices.Contains(refs, "b1@x") || !slices.Contains(refs, "a1@x") {
		t.Errorf("refs %v, want a1@x and b1@x", refs)
	}
}
