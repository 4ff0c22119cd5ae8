// Package oauth keeps an OAuth2 access token for the mail connections
// (IMAP and SMTP with SASL XOAUTH2/OAUTHBEARER) valid without a restart.
//
// Two grants are supported, through golang.org/x/oauth2: delegated access
// for the shared mailbox's user, signed in once with the device-code flow
// (RFC 8628) and kept by its refresh token (RFC 6749 6), which is stored
// sealed (AES-256-GCM) through a Store; and app-only access with the
// client-credentials grant (RFC 6749 4.4). A token is renewed a margin
// before it expires, which also covers clock skew between us, the
// authorization server and the mail server.
package oauth
