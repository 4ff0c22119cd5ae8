package workflow

import (
	"encoding/json"
	"net/textproto"
	"strings"
)

// sesNotification reads an Amazon SES bounce or delivery notification sent
// through SNS as a JSON text (docs.aws.amazon.com/ses, "notification
// contents"). SNS folds long lines, so line breaks are removed before
// decoding; they are never significant in the JSON.
func sesNotification(text string) (Classification, bool) {
	t := strings.TrimSpace(text)
	if !strings.HasPrefix(t, "{") || !strings.Contains(t, `notificationType`) && !strings.Contains(t, `eventType`) {
		return Classification{}, false
	}
	var n struct {
		NotificationType string `json:"notificationType"`
		EventType        string `json:"eventType"`
		Bounce           struct {
			BounceType        string `json:"bounceType"`
			BouncedRecipients []struct {
				EmailAddress string `json:"emailAddress"`
				Action       string `json:"action"`
				Status       string `json:"status"`
			} `json:"bouncedRecipients"`
		} `json:"bounce"`
		Delivery struct {
			Recipients []string `json:"recipients"`
		} `json:"delivery"`
		Mail struct {
			CommonHeaders struct {
				MessageID string `json:"messageId"`
			} `json:"commonHeaders"`
		} `json:"mail"`
	}
	t = strings.NewReplacer("\r", "", "\n", "").Replace(t)
	// An SNS envelope (docs.aws.amazon.com/sns, "HTTP/S notification JSON
	// format") carries the SES notification as a JSON string in Message
	// (sisimai lhost-amazonses-10.eml).
	var envelope struct {
		Type    string `json:"Type"`
		Message string `json:"Message"`
	}
	if err := json.NewDecoder(strings.NewReader(t)).Decode(&envelope); err == nil &&
		envelope.Type == "Notification" && strings.HasPrefix(strings.TrimSpace(envelope.Message), "{") {
		t = envelope.Message
	}
	if err := json.NewDecoder(strings.NewReader(t)).Decode(&n); err != nil {
		return Classification{}, false
	}
	c := Classification{Class: ClassBounce}
	kind := n.NotificationType + n.EventType
	switch kind {
	case "Bounce":
		// SES does not retry after it notified a bounce, of any type: the
		// message is lost, so it failed unless a recipient's Action says
		// otherwise.
		c.Outcome = OutcomeFailed
		groups := make([]textproto.MIMEHeader, 0, len(n.Bounce.BouncedRecipients))
		for _, r := range n.Bounce.BouncedRecipients {
			groups = append(groups, textproto.MIMEHeader{
				"Action": {r.Action}, "Status": {r.Status}, "Final-Recipient": {"rfc822; " + r.EmailAddress},
			})
		}
		if o, rcpts := dsnOutcome(groups); o != "" {
			c.Outcome, c.Recipients = o, rcpts
		} else {
			for _, r := range n.Bounce.BouncedRecipients {
				c.Recipients = appendNew(c.Recipients, dsnAddress(r.EmailAddress))
			}
		}
	case "Delivery":
		c.Outcome = OutcomeDelivered
		for _, r := range n.Delivery.Recipients {
			c.Recipients = appendNew(c.Recipients, dsnAddress(r))
		}
	default:
		return Classification{}, false
	}
	c.Reason = "Amazon SES " + strings.ToLower(kind) + " notification"
	if n.Bounce.BounceType != "" {
		c.Reason += " (" + n.Bounce.BounceType + ")"
	}
	if id := msgID(n.Mail.CommonHeaders.MessageID); id != "" {
		c.OriginalIDs = []string{id}
	}
	return c, true
}
