// Package ui is the dhis2sync dashboard: an HTML server (html/template, htmx, Bootstrap) that signs users in
// against the gateway, renders instances, configurations and jobs, and relays a job's event stream to the
// browser as htmx server-sent events. It talks to the gateway only.
package ui
