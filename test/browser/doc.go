// Package browser tests the bridge's status page in a real browser: it
// runs the built bridge against an in-process NATS server and drives
// headless Chromium (Debian's chromium package) with chromedp.
//
// It is a module of its own so that chromedp never enters the dependencies
// of the bridge. Without chromium on PATH the tests skip, except under
// CI=true, where they fail.
//
// Run with -screenshot=../../docs/status-page.png to refresh the README's
// screenshot.
package browser
