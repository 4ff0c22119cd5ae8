// Package templates renders the messages complaintd sends. Each message is one
// file per language holding its subject, plain text and HTML; operators can
// replace any of them from an override folder. Data is only ever passed to a
// template, never parsed as one. Dutch messages exist in two address forms,
// "u" and "je" (see Addressed); the data of each message says which.
package templates
