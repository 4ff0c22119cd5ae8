package oauth

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// Providers and grants accepted by Config.
const (
	ProviderMicrosoft = "microsoft"
	ProviderGoogle    = "google"
	ProviderGeneric   = "generic"

	GrantDeviceCode        = "device_code"        // delegated: complaintd oauth login, refresh token kept
	GrantClientCredentials = "client_credentials" // app-only: client id and secret
	GrantServiceAccount    = "service_account"    // app-only at Google: a service account's key, domain-wide delegation
)

// Config describes the authorization server and the client.
type Config struct {
	Provider      string
	Tenant        string // Microsoft: the directory (tenant) id or domain
	TokenURL      string // generic, or to override the provider's
	DeviceAuthURL string // generic, or to override the provider's
	ClientID      string
	ClientSecret  string
	Grant         string
	Scopes        []string // empty: the provider's defaults for the grant
	// RenewBefore is how long before its expiry a token is replaced;
	// default 5 minutes.
	RenewBefore time.Duration
	// AllowInsecure permits an http:// endpoint that is not loopback.
	AllowInsecure bool
	// ServiceAccountKey is the JSON key file of a Google service account
	// (grant service_account); Subject is the mailbox it acts as, through
	// domain-wide delegation.
	ServiceAccountKey []byte
	Subject           string
	// Certificate, when set, authenticates the client with a signed
	// assertion instead of ClientSecret (client_credentials).
	Certificate *ClientCertificate
}

// DefaultScopes are what IMAP and SMTP need at each provider.
func DefaultScopes(provider, grant string) []string {
	switch {
	case provider == ProviderMicrosoft && grant == GrantClientCredentials:
		// App-only: the permissions granted to the app registration.
		return []string{"https://outlook.office365.com/.default"}
	case provider == ProviderMicrosoft:
		return []string{"https://outlook.office.com/IMAP.AccessAsUser.All", "https://outlook.office.com/SMTP.Send", "offline_access"}
	case provider == ProviderGoogle:
		return []string{"https://mail.google.com/"}
	}
	return nil
}

// withDefaults fills in the provider's endpoints and scopes and checks the
// rest; errors name the configuration key (oauth2.…).
func (c Config) withDefaults() (Config, error) {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("oauth2."+key+": "+format, args...))
	}
	switch c.Provider {
	case ProviderMicrosoft:
		if c.Tenant == "" {
			bad("tenant", "is required for provider microsoft (the directory id, or organizations)")
		}
		base := "https://login.microsoftonline.com/" + url.PathEscape(c.Tenant) + "/oauth2/v2.0/"
		c.TokenURL = cmp(c.TokenURL, base+"token")
		c.DeviceAuthURL = cmp(c.DeviceAuthURL, base+"devicecode")
	case ProviderGoogle:
		c.TokenURL = cmp(c.TokenURL, "https://oauth2.googleapis.com/token")
		c.DeviceAuthURL = cmp(c.DeviceAuthURL, "https://oauth2.googleapis.com/device/code")
	case ProviderGeneric:
		if c.TokenURL == "" {
			bad("token_url", "is required for provider generic")
		}
	default:
		bad("provider", "%q must be microsoft, google or generic", c.Provider)
	}
	switch c.Grant {
	case "":
		c.Grant = GrantDeviceCode
	case GrantDeviceCode, GrantClientCredentials:
	case GrantServiceAccount:
		key, err := parseServiceAccount(c.ServiceAccountKey)
		if err != nil {
			bad("service_account_file", "%v", err)
		} else if c.TokenURL == "" || c.Provider == ProviderGoogle {
			c.TokenURL = cmp(key.TokenURI, c.TokenURL)
		}
		if c.Subject == "" {
			bad("grant", "service_account needs the mailbox to act as (imap.username)")
		}
		c.ClientID = cmp(c.ClientID, key.ClientEmail)
	default:
		bad("grant", "%q must be device_code, client_credentials or service_account", c.Grant)
	}
	if c.ClientID == "" {
		bad("client_id", "is required (the application (client) id of the app registration)")
	}
	if c.Grant == GrantClientCredentials && c.ClientSecret == "" && c.Certificate == nil {
		bad("client_secret", "is required with grant client_credentials (or client_certificate_file and client_key_file)")
	}
	if len(c.Scopes) == 0 {
		c.Scopes = DefaultScopes(c.Provider, c.Grant)
	}
	if len(c.Scopes) == 0 {
		bad("scopes", "are required for provider generic")
	}
	if c.RenewBefore == 0 {
		c.RenewBefore = 5 * time.Minute
	}
	for key, u := range map[string]string{"token_url": c.TokenURL, "device_auth_url": c.DeviceAuthURL} {
		if u == "" {
			continue
		}
		if err := checkEndpoint(u, c.AllowInsecure); err != nil {
			bad(key, "%v", err)
		}
	}
	return c, errors.Join(errs...)
}

// Validate reports what is wrong with the configuration, naming the keys.
func (c Config) Validate() error {
	_, err := c.withDefaults()
	return err
}

// checkEndpoint allows https, and http only to a loopback address (a test's
// server) unless insecure endpoints are allowed: a token sent in clear text
// is a mailbox given away.
func checkEndpoint(raw string, allowInsecure bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not an absolute URL", raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		ip := net.ParseIP(host)
		if host == "localhost" || (ip != nil && ip.IsLoopback()) || allowInsecure {
			return nil
		}
	}
	return fmt.Errorf("%q must be an https:// URL", raw)
}

func (c Config) oauth2Config() *oauth2.Config {
	return &oauth2.Config{
		ClientID: c.ClientID, ClientSecret: c.ClientSecret, Scopes: c.Scopes,
		Endpoint: oauth2.Endpoint{TokenURL: c.TokenURL, DeviceAuthURL: c.DeviceAuthURL, AuthStyle: oauth2.AuthStyleInParams},
	}
}

func cmp(a, b string) string {
	if strings.TrimSpace(a) != "" {
		return a
	}
	return b
}
