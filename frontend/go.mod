module github.com/dhis2sync/dhis2sync/frontend

go 1.26.0

require github.com/dhis2sync/dhis2sync/proto v0.0.0

require (
	github.com/chromedp/cdproto v0.159.0 // indirect
	github.com/chromedp/chromedp v0.23.0 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	github.com/robfig/cron/v3 v3.0.1 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)

replace github.com/dhis2sync/dhis2sync/proto => ../proto
