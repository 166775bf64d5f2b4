// Package e2e holds the dashboard's browser test: headless Chromium drives the dashboard against the fake
// gateway, or against a real stack when DHIS2SYNC_E2E_GATEWAY_URL is set.
package e2e
